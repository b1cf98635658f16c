"""Custom integrations from Halo's JSON (``/api/CustomIntegration`` objects) into tables.

Secrets never come into the file: Halo does not hand them out anyway, and every secret
field becomes an ``{ env = "NAME" }`` reference the user is told to set. Halo's
``{{name}}`` placeholders in base URLs (filled in when a Halo template is installed)
become ``<<name>>`` and a workspace variable to fill in. Halo's method and integration ids
are kept (``halo = { id, guid }``) so runbook steps that call a method by id find it, and
so ``export-halo`` and ``push`` update the same objects in Halo.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from runbench.core.halojson._codes import (
    AUTH_TYPES,
    GRANTS,
    METHOD_NO_AUTH,
    UNSUPPORTED_AUTH,
    VERBS,
)
from runbench.core.halojson._plan import ImportPlan, Table, halo_int, text_of
from runbench.core.halojson._values import outputs_from
from runbench.core.workspace import KeyPath

_DOUBLE_BRACES = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_ .-]*?)\s*\}\}")


@dataclass
class MethodIndex:
    """Halo method ids and guids -> ``integration.method`` refs (and stubs made on the way)."""

    by_id: dict[int, str] = field(default_factory=dict)
    by_guid: dict[str, str] = field(default_factory=dict)

    def find(self, method_id: Any, guid: Any) -> str | None:
        if isinstance(guid, str) and guid and guid in self.by_guid:
            return self.by_guid[guid]
        number = halo_int(method_id)
        return self.by_id.get(number) if number is not None and number > 0 else None

    def add(self, ref: str, method_id: Any, guid: Any) -> None:
        number = halo_int(method_id)
        if number is not None and number > 0:
            self.by_id.setdefault(number, ref)
        if isinstance(guid, str) and guid:
            self.by_guid.setdefault(guid, ref)


def import_integrations(
    objects: list[Mapping[str, Any]], plan: ImportPlan, index: MethodIndex
) -> None:
    """Add every integration of ``objects`` to ``plan`` and its methods to ``index``."""
    for raw in objects:
        name = text_of(raw.get("name")).strip() or "integration"
        known = halo_int(raw.get("id"))
        if known is not None and any(
            t.get("halo", {}).get("id") == known for t in plan.integrations.values()
        ):
            continue  # the same integration listed twice (a runbook's integrations[])
        key = plan.integration_ids.get(known) if known is not None else None
        key = key or plan.fresh_id("integrations", name, "integration")

        keys: KeyPath = ("integrations", key)
        table: Table = {"title": name, "base_url": _base_url(raw, keys, plan)}
        table["auth"] = _auth(raw, key, keys, plan)
        if known is not None:
            table["halo"] = {"id": known}
        methods: dict[str, Table] = {}
        for method in raw.get("methods") or []:
            if isinstance(method, Mapping):
                mkey = _method_key(plan, key, method, methods)
                methods[mkey] = _method(method, keys + ("methods", mkey), plan)
                index.add(f"{key}.{mkey}", method.get("id"), method.get("guid"))
        table["methods"] = methods
        plan.integrations[key] = table


def _method_key(plan: ImportPlan, integration: str, raw: Mapping[str, Any], taken: Table) -> str:
    """The workspace's id for a method Halo already knows (a pull), else a new one."""
    owner, key = plan.method_keys.get(halo_int(raw.get("id")) or 0, ("", ""))
    if owner == integration and key not in taken:
        return key
    return plan.new_id(text_of(raw.get("name")), taken, "method")


def _base_url(raw: Mapping[str, Any], keys: KeyPath, plan: ImportPlan) -> str:
    url = text_of(raw.get("resourcebaseurl") or raw.get("baseurl")).strip()
    if not url:
        plan.note(keys + ("base_url",), "Halo gave no base URL; fill in base_url")
        return "https://example.invalid"

    def variable(found: re.Match[str]) -> str:
        name = found.group(1).strip()
        if name not in plan.variables:
            plan.variables[name] = ""
            plan.note(
                ("variables", name),
                f"{{{{{name}}}}} in a base URL is filled in by Halo when a template is "
                "installed; set this variable",
            )
        return f"<<{name}>>"

    return _DOUBLE_BRACES.sub(variable, url)


def _auth(raw: Mapping[str, Any], key: str, keys: KeyPath, plan: ImportPlan) -> Table:
    number = halo_int(raw.get("authorizationtype")) or 0
    kind = AUTH_TYPES.get(number)
    env = key.upper().replace("-", "_")
    where = keys + ("auth",)
    if kind is None:
        what = UNSUPPORTED_AUTH.get(number, f"authorization type {number}")
        plan.note(where, f"Halo's {what} authorization is not supported; imported as none")
        return {"type": "none"}
    auth: Table = {"type": kind}
    if kind in ("api_key", "bearer", "oauth2"):
        header = text_of(raw.get("headername")).strip()
        if header:
            auth["header" if kind != "api_key" else "name"] = header
    if kind == "api_key":
        auth.setdefault("name", "X-API-Key")
        auth["value"] = plan.need_env(f"{env}_API_KEY", f"the API key of '{key}'")
    elif kind == "bearer":
        auth["token"] = plan.need_env(f"{env}_TOKEN", f"the bearer token of '{key}'")
    elif kind == "basic":
        auth["username"] = text_of(raw.get("username")) or plan.need_env(
            f"{env}_USERNAME", f"the user name of '{key}'"
        )
        auth["password"] = plan.need_env(f"{env}_PASSWORD", f"the password of '{key}'")
    elif kind == "oauth2":
        _oauth2(raw, auth, env, key, where, plan)
    prefix = text_of(raw.get("headerprefix")).strip()
    if kind in ("bearer", "oauth2") and prefix and prefix != "Bearer":
        auth["prefix"] = prefix
    return auth


def _oauth2(
    raw: Mapping[str, Any], auth: Table, env: str, key: str, where: KeyPath, plan: ImportPlan
) -> None:
    grant_number = halo_int(raw.get("granttype")) or 0
    grant = GRANTS.get(grant_number)
    if grant is None:
        plan.note(
            where,
            f"OAuth 2.0 grant {grant_number} (authorization code) needs a browser; runbench "
            "does client credentials and password: imported as client credentials",
        )
        grant = "client_credentials"
    auth["grant"] = grant
    auth["token_url"] = text_of(raw.get("tokenurl")) or "https://example.invalid/token"
    auth["client_id"] = text_of(raw.get("client_id")) or plan.need_env(
        f"{env}_CLIENT_ID", f"the OAuth client id of '{key}'"
    )
    auth["client_secret"] = plan.need_env(f"{env}_CLIENT_SECRET", f"the client secret of '{key}'")
    scope = text_of(raw.get("scope")).strip()
    if scope:
        auth["scope"] = scope
    if grant == "password":
        auth["username"] = text_of(raw.get("username")) or plan.need_env(
            f"{env}_USERNAME", f"the user name of '{key}'"
        )
        auth["password"] = plan.need_env(f"{env}_PASSWORD", f"the password of '{key}'")


def _pairs(rows: Any) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, Mapping) and text_of(row.get("key")).strip():
            pairs[text_of(row.get("key")).strip()] = text_of(row.get("value"))
    return pairs


def _method(raw: Mapping[str, Any], keys: KeyPath, plan: ImportPlan) -> Table:
    verb_number = halo_int(raw.get("method"))
    verb = VERBS.get(verb_number if verb_number is not None else 0)
    if verb is None:
        plan.note(keys + ("verb",), f"HTTP verb number {verb_number} is unknown; imported as GET")
        verb = "GET"
    table: Table = {"title": text_of(raw.get("name")), "verb": verb}
    table["path"] = text_of(raw.get("path") or raw.get("resource"))
    query, headers = _pairs(raw.get("uri_params")), _pairs(raw.get("headers"))
    if query:
        table["query"] = query
    if headers:
        table["headers"] = headers
    body = text_of(raw.get("requestbody"))
    if body.strip():
        table["body_type"] = "json"
        table["body"] = body
        plan.check_placeholders(keys + ("body",), body)
    if halo_int(raw.get("authorizationtype")) == METHOD_NO_AUTH:
        table["auth"] = "none"
    outputs = outputs_from(raw, keys, plan)
    if outputs:
        table["outputs"] = outputs
    if raw.get("body_mappings"):
        plan.note(keys, "Halo body mappings are not supported; write the values into the body")
    halo: Table = {}
    for name in ("id", "guid", "requesttype", "responsetype"):
        if raw.get(name) not in (None, ""):
            halo[name] = raw[name]
    if halo:
        table["halo"] = halo
    return table


def stub_method(
    plan: ImportPlan, index: MethodIndex, text: str, method_id: Any, guid: Any, keys: KeyPath
) -> str:
    """A stub integration/method for a method step whose integration was not given."""
    owner, sep, name = text.partition(" - ")
    if not sep:
        owner, name = "Imported methods", text
    stubs = [k for k, t in plan.integrations.items() if t.get("title") == owner.strip()]
    key = stubs[0] if stubs else plan.fresh_id("integrations", owner, "integration")
    table = plan.integrations.setdefault(
        key, {"title": owner.strip(), "base_url": "https://example.invalid", "methods": {}}
    )
    methods: dict[str, Table] = table["methods"]
    mkey = plan.new_id(name or f"method {method_id}", methods, "method")
    halo = {
        k: v for k, v in (("id", halo_int(method_id)), ("guid", guid)) if v not in (None, "", 0)
    }
    methods[mkey] = {"title": name.strip(), "verb": "GET", "path": "/", "halo": halo}
    ref = f"{key}.{mkey}"
    index.add(ref, method_id, guid)
    plan.note(
        keys + ("method",),
        f"Halo method {halo_int(method_id) or guid or '?'} ({text!r}) was not in --integrations: "
        f"{ref} is a stub; fill in its base_url, auth and request (or import its integration)",
    )
    return ref


__all__ = ["MethodIndex", "import_integrations", "stub_method"]
