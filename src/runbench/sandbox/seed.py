"""The records a fresh sandbox starts with.

Enough data that every Halo API action has something to point at (id 1 exists for every
resource) and that the demo runbook has a real question to answer: ticket 1 carries an
action whose note is a question for the AI step. Dates are fixed so runs are repeatable.
"""

from __future__ import annotations

from typing import Any

Record = dict[str, Any]

_DAY = "2024-01-15T09:30:00"


def _ticket(tid: int, summary: str, details: str, client: int, site: int, user: int) -> Record:
    return {
        "id": tid,
        "summary": summary,
        "details": details,
        "client_id": client,
        "site_id": site,
        "user_id": user,
        "tickettype_id": 1,
        "status_id": 1,
        "customfields": [],
        "dateoccurred": _DAY,
        "last_action_date": None,
        "action_count": 0,
    }


def seed_records() -> dict[str, list[Record]]:
    """A new copy of the seed data, keyed by canonical resource name."""
    tickets = [
        _ticket(
            1, "VPN not connecting", "Remote staff cannot reach the VPN since Monday.", 1, 1, 1
        ),
        _ticket(2, "Printer jam on floor 2", "The big printer jams on every job.", 2, 3, 2),
        _ticket(
            3, "New starter laptop", "Please prepare a laptop for Dana (starts 1 Feb).", 3, 4, 3
        ),
    ]
    tickets[0]["customfields"] = [
        {"id": 246, "name": "CFPriorityReason", "value": "Remote staff blocked"},
    ]
    tickets[0]["last_action_date"] = "2024-01-15T09:45:00"
    tickets[0]["action_count"] = 1
    return {
        "Client": [
            {"id": 1, "name": "Acme Corp", "inactive": False},
            {"id": 2, "name": "Globex", "inactive": False},
            {"id": 3, "name": "Initech", "inactive": False},
        ],
        "Site": [
            {"id": 1, "name": "Acme HQ", "client_id": 1},
            {"id": 2, "name": "Acme Warehouse", "client_id": 1},
            {"id": 3, "name": "Globex Main Office", "client_id": 2},
            {"id": 4, "name": "Initech Office", "client_id": 3},
        ],
        "Users": [
            {
                "id": 1,
                "name": "Alice Admin",
                "site_id": 1,
                "client_id": 1,
                "emailaddress": "alice@acme.example",
            },
            {
                "id": 2,
                "name": "Bob Builder",
                "site_id": 3,
                "client_id": 2,
                "emailaddress": "bob@globex.example",
            },
            {
                "id": 3,
                "name": "Carol Coder",
                "site_id": 4,
                "client_id": 3,
                "emailaddress": "carol@initech.example",
            },
        ],
        "Tickets": tickets,
        "Actions": [
            {
                "id": 1,
                "ticket_id": 1,
                "outcome": "Note",
                "who": "Alice Admin",
                "note_html": "<p>How do I reset my VPN password?</p>",
                "note": "How do I reset my VPN password?",
                "hiddenfromuser": False,
                "datetime": "2024-01-15T09:45:00",
            },
        ],
        "Asset": [
            {
                "id": 1,
                "inventory_number": "ACME-LT-001",
                "client_id": 1,
                "site_id": 1,
                "assettype_id": 1,
                "key_field": "Laptop",
            },
            {
                "id": 2,
                "inventory_number": "GLX-PR-002",
                "client_id": 2,
                "site_id": 3,
                "assettype_id": 2,
                "key_field": "Printer",
            },
        ],
        "Lookup": [
            {"id": 1, "lookupid": 1, "name": "Hardware"},
            {"id": 2, "lookupid": 1, "name": "Software"},
            {"id": 3, "lookupid": 2, "name": "Urgent"},
        ],
        "KBArticle": [
            {
                "id": 1,
                "name": "Resetting your VPN password",
                "description": "How to reset a forgotten VPN password.",
                "resolution": "Open the self-service portal, choose 'Reset VPN password'.",
            },
        ],
        "CustomTable": [
            {
                "id": 1,
                "name": "Escalation contacts",
                "rows": [
                    {"id": 1, "team": "Network", "contact": "net@msp.example"},
                    {"id": 2, "team": "Desktop", "contact": "desk@msp.example"},
                ],
            },
        ],
        "TicketRules": [
            {"id": 1, "name": "Route VPN tickets to Network", "sequence": 1},
        ],
    }


def control_settings(halo_url: str) -> Record:
    """What ``GET /api/Control`` answers: a few of Halo's global settings."""
    return {
        "id": 1,
        "halo_url": halo_url,
        "company_name": "Sandbox MSP",
        "timezone": "UTC",
        "date_format": "dd/MM/yyyy",
        "default_tickettype_id": 1,
        "default_status_id": 1,
        "is_sandbox": True,
    }
