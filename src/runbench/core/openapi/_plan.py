"""Plan the integration and methods an OpenAPI 3 document becomes.

One method per operation (GET, POST, PUT, PATCH, DELETE; HEAD/OPTIONS/TRACE are noted and
skipped): its id from ``operationId`` (made to obey the id rule), path parameters as
``<<variables>>`` (Halo's ``{id}`` written ``<<id>>``), query and header parameters as
templates, test values from examples/defaults/enums, and a JSON (or form) body skeleton
built from the request schema. The security scheme becomes the integration's auth, its
credentials ``{ env = "NAME" }`` references (listed, never values). Pure: the CLI writes
the plan through ``WorkspaceEdits`` so ids obey the same rule as everywhere else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from runbench.core.openapi._schema import skeleton
from runbench.core.openapi._security import security_auth
from runbench.core.openapi._spec import Resolver
from runbench.core.workspace import to_id, unique_name

VERBS = ("get", "post", "put", "patch", "delete")
SKIPPED_VERBS = ("head", "options", "trace")


@dataclass(frozen=True)
class OpenApiPlan:
    base_url: str
    integration_table: dict[str, Any]
    methods: tuple[tuple[str, dict[str, Any]], ...]
    env: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()


@dataclass
class _Draft:
    notes: list[str] = field(default_factory=list)
    taken: list[str] = field(default_factory=list)


def base_url_of(spec: Mapping[str, Any], notes: list[str]) -> str:
    servers = spec.get("servers") or []
    server = servers[0] if servers and isinstance(servers[0], Mapping) else {}
    url = str(server.get("url", ""))
    for name, variable in (server.get("variables") or {}).items():
        url = url.replace("{" + name + "}", str(variable.get("default", "")))
    if not url.startswith(("http://", "https://")):
        notes.append(
            f"the spec's server URL is {url or 'missing'!r}: set base_url to the API's address"
        )
    return url.rstrip("/")


def plan_openapi(
    spec: Mapping[str, Any],
    *,
    integration: str,
    tag: str | None = None,
    taken: Sequence[str] = (),
) -> OpenApiPlan:
    """Plan ``integration`` from ``spec``; only operations tagged ``tag`` when given;
    ``taken``: method ids already in the integration (new ones get ``_2``)."""
    resolver = Resolver(spec)
    draft = _Draft(taken=list(taken))
    base_url = base_url_of(spec, draft.notes)
    operations = list(_operations(spec, resolver, tag, draft))
    auth, env = security_auth(spec, [op for _, _, op in operations], integration, draft.notes)
    methods = tuple(_method(resolver, path, verb, op, draft) for path, verb, op in operations)
    info = spec.get("info") or {}
    table: dict[str, Any] = {"base_url": base_url, "auth": auth}
    if info.get("title"):
        table = {"title": str(info["title"]), **table}
    return OpenApiPlan(base_url, table, methods, tuple(env), tuple(draft.notes))


def _operations(
    spec: Mapping[str, Any], resolver: Resolver, tag: str | None, draft: _Draft
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in (spec.get("paths") or {}).items():
        item = resolver.get(item)
        if not isinstance(item, Mapping):
            continue
        for verb in SKIPPED_VERBS:
            if verb in item:
                draft.notes.append(f"skipped {verb.upper()} {path}: Halo methods cannot send it")
        for verb, operation in item.items():  # the spec's order
            if verb not in VERBS or not isinstance(operation, Mapping):
                continue
            if tag is not None and tag not in (operation.get("tags") or []):
                continue
            shared = list(item.get("parameters") or [])
            own = list(operation.get("parameters") or [])
            yield path, verb, {**operation, "parameters": shared + own}


def _method(
    resolver: Resolver, path: str, verb: str, operation: Mapping[str, Any], draft: _Draft
) -> tuple[str, dict[str, Any]]:
    name = _method_id(path, verb, operation, draft)
    table: dict[str, Any] = {"verb": verb.upper()}
    summary = operation.get("summary") or operation.get("description") or ""
    if summary:
        table["title"] = str(summary).strip().splitlines()[0][:120]
    table["path"] = re.sub(r"\{([^}/]+)\}", lambda m: f"<<{_var(m.group(1))}>>", path)
    query: dict[str, str] = {}
    headers: dict[str, str] = {}
    test_values: dict[str, Any] = {}
    for raw in operation.get("parameters") or []:
        parameter = resolver.get(raw)
        if not isinstance(parameter, Mapping) or "name" not in parameter:
            continue
        place, pname = parameter.get("in"), str(parameter["name"])
        variable = _var(pname)
        if place == "query":
            query[pname] = f"<<{variable}>>"
        elif place == "header" and pname.lower() not in ("authorization", "content-type"):
            headers[pname] = f"<<{variable}>>"
        elif place != "path":
            continue
        example = _example(resolver, parameter)
        if example is not None:
            test_values[variable] = example
    if query:
        table["query"] = query
    if headers:
        table["headers"] = headers
    _body(resolver, operation, table, draft, f"{verb.upper()} {path}")
    if operation.get("security") == []:
        table["auth"] = "none"
    if test_values:
        table["test_values"] = test_values
    return name, table


def _var(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_") or "value"


def _method_id(path: str, verb: str, operation: Mapping[str, Any], draft: _Draft) -> str:
    given = operation.get("operationId")
    if isinstance(given, str) and given.strip():
        base = to_id(re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", given), "operation")
    else:
        parts = [p for p in path.split("/") if p and "{" not in p]
        base = to_id(f"{verb}_{parts[-1] if parts else 'root'}", "operation")
    name = unique_name(base, draft.taken)
    draft.taken.append(name)
    return name


def _example(resolver: Resolver, parameter: Mapping[str, Any]) -> Any:
    if "example" in parameter:
        return parameter["example"]
    schema = resolver.get(parameter.get("schema") or {})
    if not isinstance(schema, Mapping):
        return None
    if "example" in schema:
        return schema["example"]
    if "default" in schema:
        return schema["default"]
    if schema.get("enum"):
        return schema["enum"][0]
    items = resolver.get(schema.get("items") or {})
    if schema.get("type") == "array" and isinstance(items, Mapping):
        if items.get("enum"):
            return items["enum"][0]
        if "default" in items:
            return items["default"]
    return None


def _body(
    resolver: Resolver,
    operation: Mapping[str, Any],
    table: dict[str, Any],
    draft: _Draft,
    where: str,
) -> None:
    body = resolver.get(operation.get("requestBody") or {})
    content = body.get("content") if isinstance(body, Mapping) else None
    if not isinstance(content, Mapping) or not content:
        return
    json_type = next((t for t in content if "json" in t), None)
    if json_type is not None:
        schema = (content[json_type] or {}).get("schema") or {}
        table["body_type"] = "json"
        table["body"] = json.dumps(skeleton(resolver, schema), indent=2, ensure_ascii=False)
        if json_type != "application/json":
            table["headers"] = {**table.get("headers", {}), "Content-Type": json_type}
        return
    if "application/x-www-form-urlencoded" in content:
        schema = (content["application/x-www-form-urlencoded"] or {}).get("schema") or {}
        fields = skeleton(resolver, schema)
        names = list(fields) if isinstance(fields, dict) else []
        table["body_type"] = "form"
        table["body"] = "&".join(f"{n}=<<{_var(n)}>>" for n in names)
        return
    draft.notes.append(
        f"{where}: request body {', '.join(content)} is not JSON or a form; wrote no body"
    )


__all__ = ["OpenApiPlan", "base_url_of", "plan_openapi"]
