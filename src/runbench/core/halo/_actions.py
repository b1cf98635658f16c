"""The Halo API actions a runbook step can call, as plain data.

Halo's "Halo API action" steps hide the HTTP request behind a name ("Create ticket",
"Edit customer"). runbench shows the request instead: each action here is a verb, an
endpoint under the Halo base URL and a body template in runbench's ``<<var>>`` syntax,
so the user sees (and can edit) exactly what will be sent. Create and update are both a
``POST`` of a JSON array in Halo; an update carries ``"id"``. The catalogue is immutable
module data, not state; callers look actions up with :func:`find_action` and report an
unknown id themselves (they know the file and line).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class HaloAction:
    """One Halo API action: the request it stands for and what it is for."""

    id: str
    title: str
    verb: str
    endpoint: str
    body_template: str
    description: str


def _post(action_id: str, title: str, endpoint: str, body: str, description: str) -> HaloAction:
    return HaloAction(action_id, title, "POST", endpoint, body, description)


_CATALOGUE: tuple[HaloAction, ...] = (
    _post(
        "create_ticket",
        "Create ticket",
        "/api/Tickets",
        '[{"summary": "<<summary!>>", "details": "<<details!>>", '
        '"client_id": <<client_id>>, "tickettype_id": <<tickettype_id>>}]',
        "Log a new ticket for a customer.",
    ),
    _post(
        "update_ticket",
        "Update ticket",
        "/api/Tickets",
        '[{"id": <<id>>, "summary": "<<summary!>>", "status_id": <<status_id>>}]',
        "Change fields of an existing ticket (only the fields sent change).",
    ),
    _post(
        "create_action",
        "Add action (note) to ticket",
        "/api/Actions",
        '[{"ticket_id": <<ticket^id>>, "note_html": "<<note!>>", '
        '"outcome": "Note", "hiddenfromuser": false}]',
        "Add a note to the ticket the run started from.",
    ),
    _post(
        "create_customer",
        "Create customer",
        "/api/Client",
        '[{"name": "<<name!>>"}]',
        "Create a customer (Halo calls them clients).",
    ),
    _post(
        "edit_customer",
        "Edit customer",
        "/api/Client",
        '[{"id": <<id>>, "name": "<<name!>>"}]',
        "Rename or change an existing customer.",
    ),
    _post(
        "create_site",
        "Create site",
        "/api/Site",
        '[{"name": "<<name!>>", "client_id": <<client_id>>}]',
        "Create a site under an existing customer.",
    ),
    _post(
        "edit_site",
        "Edit site",
        "/api/Site",
        '[{"id": <<id>>, "name": "<<name!>>", "client_id": <<client_id>>}]',
        "Change an existing site.",
    ),
    _post(
        "create_user",
        "Create user",
        "/api/Users",
        '[{"name": "<<name!>>", "site_id": <<site_id>>, "emailaddress": "<<emailaddress!>>"}]',
        "Create an end user at a site.",
    ),
    _post(
        "edit_user",
        "Edit user",
        "/api/Users",
        '[{"id": <<id>>, "name": "<<name!>>", "emailaddress": "<<emailaddress!>>"}]',
        "Change an existing end user.",
    ),
    _post(
        "create_asset",
        "Create asset",
        "/api/Asset",
        '[{"inventory_number": "<<inventory_number!>>", "client_id": <<client_id>>, '
        '"site_id": <<site_id>>, "assettype_id": <<assettype_id>>}]',
        "Register an asset (device) for a customer site.",
    ),
    _post(
        "edit_asset",
        "Edit asset",
        "/api/Asset",
        '[{"id": <<id>>, "inventory_number": "<<inventory_number!>>"}]',
        "Change an existing asset.",
    ),
    _post(
        "create_lookup",
        "Create lookup value",
        "/api/Lookup",
        '[{"lookupid": <<lookupid>>, "name": "<<name!>>"}]',
        "Add a value to a lookup list (lookupid says which list).",
    ),
    _post(
        "edit_lookup",
        "Edit lookup value",
        "/api/Lookup",
        '[{"id": <<id>>, "lookupid": <<lookupid>>, "name": "<<name!>>"}]',
        "Change a value of a lookup list.",
    ),
    _post(
        "create_kb_article",
        "Create KB article",
        "/api/KBArticle",
        '[{"name": "<<name!>>", "description": "<<description!>>", '
        '"resolution": "<<resolution!>>"}]',
        "Write a knowledge-base article.",
    ),
    _post(
        "edit_kb_article",
        "Edit KB article",
        "/api/KBArticle",
        '[{"id": <<id>>, "name": "<<name!>>", "description": "<<description!>>", '
        '"resolution": "<<resolution!>>"}]',
        "Change a knowledge-base article.",
    ),
    _post(
        "edit_custom_table",
        "Edit custom table data",
        "/api/CustomTable",
        '[{"id": <<id>>, "_add_rows": <<rows>>}]',
        "Replace the rows of a custom table. Send every row: rows not sent are dropped.",
    ),
    _post(
        "create_ticket_rule",
        "Create ticket rule",
        "/api/TicketRules",
        '[{"name": "<<name!>>"}]',
        "Create a ticket rule (routing/assignment rule).",
    ),
    _post(
        "edit_ticket_rule",
        "Edit ticket rule",
        "/api/TicketRules",
        '[{"id": <<id>>, "name": "<<name!>>"}]',
        "Change an existing ticket rule.",
    ),
    HaloAction(
        "get_control",
        "Get control (settings)",
        "GET",
        "/api/Control",
        "",
        "Read Halo's global settings (no body).",
    ),
)

ACTIONS: Mapping[str, HaloAction] = MappingProxyType({a.id: a for a in _CATALOGUE})


def find_action(action_id: str) -> HaloAction | None:
    """The action with this id, or None (the caller reports where it was named)."""
    return ACTIONS.get(action_id)


def action_ids() -> tuple[str, ...]:
    """Every action id, in catalogue order (creates before edits, per resource)."""
    return tuple(ACTIONS)
