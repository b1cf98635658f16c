"""The resources the sandbox's Halo API serves (``/api/<name>``): their list wrappers,
required fields, search and filter fields, and which fields must point at another record.

Apart from ``store`` (records, saves, tokens, persistence) because it is a table of what
Halo's API looks like, read by the store and by ``halo_api``'s routes alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ResourceSpec:
    """How one ``/api/<name>`` resource behaves."""

    name: str
    wrapper: str | None  # key of the list in GET responses; None = bare JSON array
    required: tuple[str, ...] = ()
    search: tuple[str, ...] = ("name",)
    filters: tuple[str, ...] = ()


RESOURCES: Mapping[str, ResourceSpec] = {
    spec.name.lower(): spec
    for spec in (
        ResourceSpec(
            "Tickets",
            "tickets",
            ("summary",),
            ("summary",),
            ("client_id", "site_id", "user_id", "status_id"),
        ),
        ResourceSpec("Actions", "actions", ("ticket_id",), ("note",), ("ticket_id",)),
        ResourceSpec("Client", "clients", ("name",)),
        ResourceSpec("Site", "sites", ("name", "client_id"), filters=("client_id",)),
        ResourceSpec("Users", "users", ("name",), filters=("client_id", "site_id")),
        ResourceSpec(
            "Asset", "assets", (), ("inventory_number", "key_field"), ("client_id", "site_id")
        ),
        ResourceSpec("Lookup", None, filters=("lookupid",)),
        ResourceSpec("KBArticle", "articles", ("name",)),
        ResourceSpec("CustomTable", "customtables"),
        ResourceSpec("TicketRules", "rules"),
    )
}

# field -> resource it must point at (checked whenever the field is present and not null)
REFERENCES: Mapping[str, Mapping[str, str]] = {
    "Actions": {"ticket_id": "Tickets"},
    "Site": {"client_id": "Client"},
}


def find_resource(name: str) -> ResourceSpec | None:
    """The resource called ``name`` (case-insensitive, like Halo's API), or None."""
    return RESOURCES.get(name.lower())


__all__ = ["REFERENCES", "RESOURCES", "ResourceSpec", "find_resource"]
