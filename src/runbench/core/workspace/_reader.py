"""Build a ``Workspace`` from parsed TOML, section by section.

Each ``_read_*`` function takes the raw table and its key path and returns a model
object, reporting bad values through the ``Reader`` (see ``runbench.core.workspace._schema``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runbench.core.workspace._model import (
    AI_TYPES,
    AUTH_TYPES,
    BODY_TYPES,
    EDGE_KEYS,
    INPUT_TYPES,
    STEP_KINDS,
    VERBS,
    Auth,
    Endpoint,
    InputSpec,
    Integration,
    KeyPath,
    Limits,
    Method,
    Retry,
    Rule,
    Runbook,
    Step,
    Workspace,
)
from runbench.core.workspace._problems import Problem
from runbench.core.workspace._schema import (
    ALL_EDGE_KEYS,
    INTEGRATION_KEYS,
    METHOD_KEYS,
    RUNBOOK_KEYS,
    STEP_KEYS,
    Reader,
)

_TOP_KEYS = frozenset(
    {"name", "halo", "variables", "integrations", "runbooks", "notes", "retention_days"}
)


def parse_workspace(
    data: Mapping[str, Any], *, file: str, lines: Mapping[KeyPath, int]
) -> tuple[Workspace, list[Problem]]:
    """The model of ``data`` and every shape problem found while reading it."""
    reader = Reader(file, lines)
    reader.unknown_keys(data, _TOP_KEYS, ())
    integrations = {
        key: _read_integration(reader, key, raw)
        for key, raw in _tables(reader, data, "integrations", ()).items()
    }
    runbooks = {
        key: _read_runbook(reader, key, raw)
        for key, raw in _tables(reader, data, "runbooks", ()).items()
    }
    workspace = Workspace(
        path=file,
        name=reader.string(data, "name", ()),
        halo=reader.string(data, "halo", ()),
        variables=dict(reader.table(data, "variables", ())),
        integrations=integrations,
        runbooks=runbooks,
        lines=lines,
        retention_days=reader.number(data, "retention_days", (), 0.0),
    )
    return workspace, reader.problems


def _tables(
    reader: Reader, data: Mapping[str, Any], key: str, keys: KeyPath
) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {}
    for name, value in reader.table(data, key, keys).items():
        if isinstance(value, dict):
            result[name] = value
        else:
            reader.report(keys + (key, name), "must be a table")
    return result


def _read_auth(reader: Reader, raw: Any, keys: KeyPath) -> Auth:
    if isinstance(raw, str):
        raw = {"type": raw}
    if not isinstance(raw, dict):
        reader.report(keys, 'must be a table such as { type = "bearer", token = ... }')
        return Auth()
    kind = reader.choice(raw, "type", keys, AUTH_TYPES, "none")
    params = reader.string_map(raw, "params", keys)
    return Auth(
        type=kind,
        name=reader.string(raw, "name", keys),
        location=reader.choice(raw, "in", keys, ("header", "query"), "header"),
        value=reader.secret(raw, "value", keys),
        token=reader.secret(raw, "token", keys),
        header=reader.string(raw, "header", keys, "Authorization"),
        prefix=reader.string(raw, "prefix", keys, "Bearer"),
        username=reader.secret(raw, "username", keys),
        password=reader.secret(raw, "password", keys),
        grant=reader.choice(
            raw, "grant", keys, ("client_credentials", "password"), "client_credentials"
        ),
        token_url=reader.string(raw, "token_url", keys),
        client_id=reader.secret(raw, "client_id", keys),
        client_secret=reader.secret(raw, "client_secret", keys),
        scope=reader.string(raw, "scope", keys),
        params=params,
    )


def _read_limits(reader: Reader, raw: Mapping[str, Any], keys: KeyPath) -> Limits:
    timeout = reader.number(raw, "timeout", keys, 30.0)
    verify = raw.get("verify", True)
    if not isinstance(verify, (bool, str)):
        reader.report(keys + ("verify",), "must be true, false, or the path of a CA bundle")
        verify = True
    return Limits(
        connect_timeout=reader.number(raw, "connect_timeout", keys, timeout),
        read_timeout=reader.number(raw, "read_timeout", keys, timeout),
        max_response_bytes=reader.integer(raw, "max_response_bytes", keys, 50 * 1024 * 1024),
        follow_redirects=reader.boolean(raw, "follow_redirects", keys, True),
        max_redirects=reader.integer(raw, "max_redirects", keys, 10),
        verify=verify,
        total_timeout=reader.number(raw, "total_timeout", keys, Limits.total_timeout),
    )


def _read_method(
    reader: Reader, integration: str, key: str, raw: dict[str, Any], keys: KeyPath
) -> Method:
    reader.unknown_keys(raw, METHOD_KEYS, keys)
    verb = reader.string(raw, "verb", keys, "GET")
    if verb.upper() not in VERBS:
        reader.report(keys + ("verb",), f"bad verb '{verb}': use one of {', '.join(VERBS)}")
    body = raw.get("body", "")
    if not isinstance(body, str):
        reader.report(keys + ("body",), "must be a string (use ''' quotes for JSON)")
        body = ""
    default_body_type = "json" if body else "none"
    test_values = raw.get("test_values", {})
    return Method(
        id=key,
        integration=integration,
        verb=verb.upper() if verb.upper() in VERBS else "GET",
        path=reader.string(raw, "path", keys),
        query=reader.string_map(raw, "query", keys),
        headers=reader.string_map(raw, "headers", keys),
        body_type=reader.choice(raw, "body_type", keys, BODY_TYPES, default_body_type),
        body=body,
        auth=reader.choice(raw, "auth", keys, ("inherit", "none"), "inherit"),
        outputs=reader.outputs(raw, keys),
        title=reader.string(raw, "title", keys),
        test_values=test_values if isinstance(test_values, dict) else {},
        halo=reader.halo_fields(raw, keys),
        expect=reader.expect(raw, keys),
    )


def _read_integration(reader: Reader, key: str, raw: dict[str, Any]) -> Integration:
    keys: KeyPath = ("integrations", key)
    reader.unknown_keys(raw, INTEGRATION_KEYS, keys)
    if "base_url" not in raw:
        reader.report(keys, 'missing base_url (e.g. base_url = "https://api.example.com")')
    methods = {
        name: _read_method(reader, key, name, table, keys + ("methods", name))
        for name, table in _tables(reader, raw, "methods", keys).items()
    }
    return Integration(
        id=key,
        base_url=reader.string(raw, "base_url", keys),
        title=reader.string(raw, "title", keys),
        auth=_read_auth(reader, raw.get("auth", {"type": "none"}), keys + ("auth",)),
        limits=_read_limits(reader, raw, keys),
        methods=methods,
        halo=reader.halo_fields(raw, keys),
    )


def _read_rules(reader: Reader, raw: Mapping[str, Any], keys: KeyPath) -> tuple[Rule, ...]:
    rules = raw.get("rules", [])
    if not isinstance(rules, list):
        reader.report(keys + ("rules",), "must be an array of { left, op, right } tables")
        return ()
    result: list[Rule] = []
    for index, rule in enumerate(rules):
        where = keys + ("rules", str(index))
        if not isinstance(rule, dict) or "left" not in rule or "op" not in rule:
            reader.report(
                where, 'each rule needs left and op, e.g. { left = "<<x>>", op = "has_value" }'
            )
            continue
        left = rule["left"] if isinstance(rule["left"], str) else str(rule["left"])
        result.append(Rule(left=left, op=str(rule["op"]), right=rule.get("right")))
    return tuple(result)


def _read_retry(reader: Reader, raw: Any, keys: KeyPath) -> Retry | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        reader.report(keys, 'must be a table such as { attempts = 3, backoff = "exponential" }')
        return None
    statuses = raw.get("on", list(Retry().on))
    if not isinstance(statuses, list) or not all(isinstance(s, int) for s in statuses):
        reader.report(keys + ("on",), "must be an array of HTTP status codes")
        statuses = list(Retry().on)
    return Retry(
        attempts=max(1, reader.integer(raw, "attempts", keys, 3)),
        backoff=reader.choice(raw, "backoff", keys, ("exponential", "fixed"), "exponential"),
        delay=reader.number(raw, "delay", keys, 1.0),
        max_delay=reader.number(raw, "max_delay", keys, 60.0),
        on=tuple(statuses),
        network_errors=reader.boolean(raw, "network_errors", keys, True),
        idempotent=reader.boolean(raw, "idempotent", keys, False),
    )


def _read_step(reader: Reader, key: str, raw: dict[str, Any], keys: KeyPath) -> Step:
    reader.unknown_keys(raw, STEP_KEYS, keys)
    kind = reader.choice(raw, "kind", keys, STEP_KINDS, "end") if "kind" in raw else ""
    if not kind:
        reader.report(keys, f"missing kind: use one of {', '.join(STEP_KINDS)}")
        kind = "end"
    own_edges = {edge for edge, _ in EDGE_KEYS[kind]}
    edges: dict[str, str] = {}
    for edge in sorted(own_edges):
        if edge in raw:
            edges[edge] = reader.string(raw, edge, keys)
    for other in sorted(raw.keys() & (ALL_EDGE_KEYS - own_edges)):
        reader.report(
            keys + (other,), f"'{other}' is not an edge of a {kind} step; it is ignored", "warning"
        )
    args = raw.get("args", {})
    if not isinstance(args, dict):
        reader.report(keys + ("args",), "must be a table of name = value")
        args = {}
    timeout = raw.get("timeout")
    body = raw.get("body")
    return Step(
        id=key,
        kind=kind,
        title=reader.string(raw, "title", keys),
        method=reader.string(raw, "method", keys),
        action=reader.string(raw, "action", keys),
        body=body if isinstance(body, str) else None,
        args=args,
        outputs=reader.outputs(raw, keys),
        edges=edges,
        match=reader.choice(raw, "match", keys, ("all", "any"), "all"),
        rules=_read_rules(reader, raw, keys),
        seconds=reader.number(raw, "seconds", keys, 0.0),
        items=reader.string(raw, "items", keys),
        runbook=reader.string(raw, "runbook", keys),
        result=reader.choice(raw, "result", keys, ("success", "failure"), "success"),
        message=reader.string(raw, "message", keys),
        timeout=reader.number(raw, "timeout", keys, 0.0) if timeout is not None else None,
        retry=_read_retry(reader, raw.get("retry"), keys + ("retry",)),
        halo=reader.halo_fields(raw, keys),
        **_data_fields(reader, raw, keys),
    )


def _data_fields(reader: Reader, raw: Mapping[str, Any], keys: KeyPath) -> dict[str, Any]:
    """The keys of sql and ai steps."""
    return {
        "query": reader.string(raw, "query", keys),
        "database": reader.secret(raw, "database", keys),
        "max_rows": reader.integer(raw, "max_rows", keys, 1000),
        "integration": reader.string(raw, "integration", keys),
        "model": reader.string(raw, "model", keys),
        "prompt": reader.string(raw, "prompt", keys),
        "json_answer": reader.boolean(raw, "json_answer", keys, False),
        "ai_type": reader.choice(raw, "ai_type", keys, AI_TYPES, "ability"),
    }


def _read_inputs(reader: Reader, raw: Mapping[str, Any], keys: KeyPath) -> dict[str, InputSpec]:
    result: dict[str, InputSpec] = {}
    for name, spec in reader.table(raw, "inputs", keys).items():
        where = keys + ("inputs", name)
        if isinstance(spec, str):
            spec = {"type": spec}
        if not isinstance(spec, dict):
            reader.report(where, 'must be a table such as { type = "string", default = "" }')
            continue
        result[name] = InputSpec(
            name=name,
            type=reader.choice(spec, "type", where, INPUT_TYPES, "string"),
            default=spec.get("default"),
            has_default="default" in spec,
            source=reader.string(spec, "from", where),
            description=reader.string(spec, "description", where),
        )
    return result


def _read_endpoint(reader: Reader, raw: Any, keys: KeyPath) -> Endpoint:
    if not isinstance(raw, dict):
        if raw is not None:
            reader.report(keys, "must be a table")
        return Endpoint()
    secrets_raw = raw.get("secrets", [raw["secret"]] if "secret" in raw else [])
    secrets = tuple(
        reader.secret({"s": item}, "s", keys + ("secrets",))
        for item in (secrets_raw if isinstance(secrets_raw, list) else [secrets_raw])
    )
    return Endpoint(
        auth=reader.choice(raw, "auth", keys, ("none", "basic", "signature"), "none"),
        username=reader.secret(raw, "username", keys),
        password=reader.secret(raw, "password", keys),
        secrets=secrets,
        header=reader.string(raw, "header", keys, "X-Signature"),
        algorithm=reader.choice(raw, "algorithm", keys, ("sha1", "sha256", "sha512"), "sha256"),
        encoding=reader.choice(raw, "encoding", keys, ("hex", "base64"), "hex"),
        prefix=reader.string(raw, "prefix", keys),
        timestamp_header=reader.string(raw, "timestamp_header", keys),
        tolerance=reader.number(raw, "tolerance", keys, 300.0),
        delivery_header=reader.string(raw, "delivery_header", keys, "X-Delivery-Id"),
        halo_webhook=reader.boolean(raw, "halo_webhook", keys, False),
        max_body=reader.integer(raw, "max_body", keys, 1024 * 1024),
    )


def _read_runbook(reader: Reader, key: str, raw: dict[str, Any]) -> Runbook:
    keys: KeyPath = ("runbooks", key)
    reader.unknown_keys(raw, RUNBOOK_KEYS, keys)
    steps = {
        name: _read_step(reader, name, table, keys + ("steps", name))
        for name, table in _tables(reader, raw, "steps", keys).items()
    }
    return Runbook(
        id=key,
        start=reader.string(raw, "start", keys),
        steps=steps,
        title=reader.string(raw, "title", keys),
        public=reader.boolean(raw, "public", keys, False),
        endpoint=_read_endpoint(reader, raw.get("endpoint"), keys + ("endpoint",)),
        inputs=_read_inputs(reader, raw, keys),
        max_concurrent=reader.integer(raw, "max_concurrent", keys, 0),
        max_steps=reader.integer(raw, "max_steps", keys, 1000),
        max_duration=reader.number(raw, "max_duration", keys, 3600.0),
        halo=reader.halo_fields(raw, keys),
        schedule=reader.string(raw, "schedule", keys),
    )
