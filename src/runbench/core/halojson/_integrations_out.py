"""A workspace's custom integrations as Halo's JSON (``POST /api/CustomIntegration``).

Base and token URLs get Halo's ``{{name}}`` placeholders back for runbench's
``<<name>>``; query parameters go out as ``uri_params`` and headers as ``headers`` (which
Halo field holds query parameters is inferred). Secrets are never exported: Halo keeps its
own, and a push must not carry a credential off the machine.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from runbench.core.halojson._codes import (
    AUTH_TYPE_IDS,
    GRANT_IDS,
    METHOD_INHERIT_AUTH,
    METHOD_NO_AUTH,
    VERB_IDS,
)
from runbench.core.halojson._plan import Note
from runbench.core.halojson._values import output_rows
from runbench.core.workspace import Integration, KeyPath, Method, Workspace

HaloJson = dict[str, Any]
_BARE_VARIABLE = re.compile(r"<<([A-Za-z_][A-Za-z0-9_.-]*)>>")


def integrations_json(
    workspace: Workspace, ids: Sequence[str] = ()
) -> tuple[list[HaloJson], list[Note]]:
    """The integrations ``ids``; when empty, every custom integration: all but the
    workspace's Halo connection and those only AI steps use (Halo runs those itself)."""
    objects: list[HaloJson] = []
    notes: list[Note] = []
    chosen = ids or custom_integrations(workspace)
    for integration_id in chosen:
        integration = workspace.integrations[integration_id]
        objects.append(integration_json(integration, notes))
    return objects, notes


def custom_integrations(workspace: Workspace) -> list[str]:
    """The integrations that are Halo custom integrations: all but the workspace's Halo
    connection and those only AI steps use (Halo runs AI steps itself)."""
    steps = [s for book in workspace.runbooks.values() for s in book.steps.values()]
    by_methods = {s.method.partition(".")[0] for s in steps if s.kind == "method"}
    by_ai = {s.integration for s in steps if s.kind == "ai"}
    left_out = {workspace.halo} | (by_ai - by_methods)
    return [i for i in workspace.integrations if i not in left_out]


def _halo_url(text: str) -> str:
    """``<<name>>`` as Halo's ``{{name}}`` placeholder (base and token URLs)."""
    return _BARE_VARIABLE.sub(lambda m: "{{" + m.group(1) + "}}", text)


def literal_text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def integration_json(integration: Integration, notes: list[Note]) -> HaloJson:
    keys: KeyPath = ("integrations", integration.id)
    auth = integration.auth
    found: HaloJson = {
        "name": integration.title or integration.id,
        "resourcebaseurl": _halo_url(integration.base_url),
        "authorizationtype": AUTH_TYPE_IDS.get(auth.type, 0),
    }
    if "id" in integration.halo:
        found["id"] = integration.halo["id"]
    if auth.type == "api_key":
        found["headername"] = auth.name
        if auth.location == "query":
            notes.append(
                Note(
                    keys + ("auth",), "Halo's API key goes in a header; in = query is not exported"
                )
            )
    if auth.type in ("bearer", "oauth2"):
        if auth.header != "Authorization":
            found["headername"] = auth.header
        found["headerprefix"] = auth.prefix
    if auth.type in ("basic",) or (auth.type == "oauth2" and auth.grant == "password"):
        found["username"] = literal_text(auth.username)
    if auth.type == "oauth2":
        found["granttype"] = GRANT_IDS.get(auth.grant, 0)
        found["tokenurl"] = _halo_url(auth.token_url)
        found["client_id"] = literal_text(auth.client_id)
        found["scope"] = auth.scope
        if auth.params:
            notes.append(
                Note(
                    keys + ("auth",), "token URL params are not exported: put them in the token URL"
                )
            )
    if auth.type != "none":
        notes.append(
            Note(
                keys + ("auth",), "secrets are never exported: set them on the integration in Halo"
            )
        )
    found["methods"] = [method_json(m) for m in integration.methods.values()]
    return found


def method_json(method: Method) -> HaloJson:
    found: HaloJson = {
        "name": method.title or method.id,
        "method": VERB_IDS.get(method.verb, 0),
        "path": method.path,
        "requestbody": method.body,
        "authorizationtype": METHOD_NO_AUTH if method.auth == "none" else METHOD_INHERIT_AUTH,
        "headers": [{"key": k, "value": v} for k, v in method.headers.items()],
        "uri_params": [{"key": k, "value": v} for k, v in method.query.items()],
        "output_variables": output_rows(method.outputs, mapping=False),
    }
    for name in ("id", "guid", "requesttype", "responsetype"):
        if name in method.halo:
            found[name] = method.halo[name]
    return found


__all__ = ["custom_integrations", "integration_json", "integrations_json", "literal_text"]
