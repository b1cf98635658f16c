"""Context objects of a run: the ticket and action a Halo run starts from, and halo_url.

In Halo a runbook started from a ticket sees ``<<ticket^...>>`` and ``<<action^...>>``.
runbench gets those objects the same ways Halo would: by loading the ticket through the
workspace's Halo integration (``GET /api/Tickets/ID?includedetails=true``), or from the
JSON a Halo outgoing webhook sent (saved to a file). The objects go into the run's
context, so they are journaled and a resumed or replayed run sees the same ticket.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from runbench.core.errors import HttpError, RunError, UsageError
from runbench.core.files import (
    MAX_INPUT_BYTES,
    json_error_reason,
    load_json_text,
    not_text,
    read_capped_text,
    unreadable,
)
from runbench.core.http import Executor
from runbench.core.secrets import Secrets
from runbench.core.workspace import Method, Workspace

TICKET_METHOD_ID = "_load_ticket"


def ticket_method(workspace: Workspace) -> Method:
    """The synthetic method that reads one ticket from the Halo integration."""
    if not workspace.halo or workspace.halo not in workspace.integrations:
        raise UsageError(
            "--ticket needs the workspace's Halo integration: set "
            'halo = "INTEGRATION" at the top of the workspace'
        )
    return Method(
        id=TICKET_METHOD_ID,
        integration=workspace.halo,
        verb="GET",
        path="/api/Tickets/<<ticket_id>>",
        query={"includedetails": "true"},
        title="Load ticket",
    )


async def load_ticket(
    workspace: Workspace,
    ticket_id: str | int,
    *,
    secrets: Secrets,
    transport: httpx.AsyncBaseTransport | None = None,
    variables: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ticket as Halo returns it; RunError saying why when it cannot be loaded."""
    method = ticket_method(workspace)
    scope = {**(variables or {}), "ticket_id": ticket_id}
    async with Executor(
        workspace, secrets=secrets, transport=transport, variables=variables
    ) as executor:
        exchange = await executor.call(method, scope)
    if exchange.error is not None:
        raise RunError(
            f"could not load ticket {ticket_id} from '{workspace.halo}': {exchange.error}"
        )
    response = exchange.response
    if response is None or not exchange.ok:
        status = response.status if response is not None else "no response"
        raise RunError(
            f"could not load ticket {ticket_id} from '{workspace.halo}': HTTP {status}"
            " (does the ticket exist, and may the API application read it?)"
        )
    try:
        ticket = response.json()
    except HttpError as exc:
        raise RunError(f"ticket {ticket_id}: {exc}") from None
    if not isinstance(ticket, dict):
        raise RunError(f"ticket {ticket_id}: Halo answered {type(ticket).__name__}, not an object")
    return ticket


def custom_field_variables(ticket: Any) -> dict[str, Any]:
    """``{CFname: value}`` for every custom field of ``ticket`` (Halo's ``<<CFname>>``).

    Halo lets a runbook started from a ticket write a custom field as ``<<CFPriority>>``;
    the ticket carries them as ``customfields: [{"id", "name", "value"}, ...]``."""
    found: dict[str, Any] = {}
    fields = ticket.get("customfields") if isinstance(ticket, Mapping) else None
    for field in fields if isinstance(fields, list) else ():
        name = field.get("name") if isinstance(field, Mapping) else None
        if isinstance(name, str) and name:
            found[name] = field.get("value")
    return found


def read_object(path: str | Path, what: str) -> dict[str, Any]:
    """A JSON object from a file (a Halo webhook body); ``{"ticket": {...}}`` is unwrapped."""
    try:
        data = load_json_text(read_capped_text(path, MAX_INPUT_BYTES))
    except OSError as exc:
        raise UsageError(f"--{what}-json {path}: cannot read: {unreadable(exc)}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"--{what}-json {path}:{exc.lineno}: not JSON: {json_error_reason(exc)}"
        ) from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"--{what}-json {path}: {not_text(exc)}") from None
    except RecursionError:
        raise UsageError(f"--{what}-json {path}: nested too deeply to be read") from None
    if isinstance(data, dict) and isinstance(data.get(what), dict) and len(data) <= 2:
        data = data[what]
    if not isinstance(data, dict):
        raise UsageError(
            f"--{what}-json {path}: must hold a JSON object, not {type(data).__name__}"
        )
    return data


async def build_context(
    workspace: Workspace,
    *,
    secrets: Secrets,
    transport: httpx.AsyncBaseTransport | None = None,
    ticket_id: str | None = None,
    ticket_json: str | None = None,
    action_json: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The context objects asked for on the command line (ticket, action)."""
    context: dict[str, Any] = {}
    if ticket_id is not None and ticket_json is not None:
        raise UsageError("give --ticket or --ticket-json, not both")
    if ticket_id is not None:
        ticket_key: str | int = int(ticket_id) if str(ticket_id).isdigit() else ticket_id
        context["ticket"] = await load_ticket(
            workspace, ticket_key, secrets=secrets, transport=transport, variables=variables
        )
    elif ticket_json is not None:
        context["ticket"] = read_object(ticket_json, "ticket")
    if action_json is not None:
        context["action"] = read_object(action_json, "action")
    return context


__all__ = [
    "build_context",
    "custom_field_variables",
    "load_ticket",
    "read_object",
    "ticket_method",
]
