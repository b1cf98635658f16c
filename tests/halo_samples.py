"""Halo runbook and custom integration JSON, written by hand from the reference
(``halo-json.md``): every step kind, every condition operator, every edge type. Not copied
from any export. No tests here.
"""

from __future__ import annotations

from typing import Any

from runbench.core.halojson import ImportPlan

ALL_OPERATORS = (0, 1, 2, 3, 5, 6, 7, 8, 23, 24, 29, 30, -10)
FOLLOW_UP_GUID = "5d0c3a1e-0000-4000-8000-00000000f011"
TRIAGE_GUID = "5d0c3a1e-0000-4000-8000-00000000a001"


def edge(kind: int, start: int, end: int, seq: int) -> dict[str, Any]:
    names = {
        12: ("Condition met", "Condition not met"),
        17: ("Successful Response (200 - 299)", "Unsuccessful Response"),
        18: ("Successful", "Unsuccessful"),
        22: ("Has elements", "Has no elements"),
        23: ("Iteration finished", "Next iteration"),
        29: ("Successful", "Unsuccessful"),
        32: ("Sleep Finished",),
        37: ("Successful", "Unsuccessful"),
    }
    return {
        "action_type": kind,
        "action_id": -kind,
        "action_name": names[kind][seq - 1],
        "start_step": start,
        "end_step": end,
        "seq": seq,
        "approval_result": 1 if seq == 1 else 0,
        "use_work_hours": True,
        "chat_selection_order": 1,
    }


def pair(kind: int, start: int, ok: int, bad: int) -> list[dict[str, Any]]:
    return [edge(kind, start, ok, 1), edge(kind, start, bad, 2)]


def criterion(op: int, field: str = "<<Impact>>", **value: Any) -> dict[str, Any]:
    row = {"tablename": "runbookvariable", "fieldname": field, "type": op}
    if op not in (29, 30, -10):
        row.update(value or {"value_type": "string", "value_string": f"v{op}"})
    return row


def triage_runbook() -> dict[str, Any]:
    """Begin/next iteration, AI ability and agent, method, condition (every operator),
    Halo API action, SQL, sleep, start another runbook, the three end kinds."""
    rows = [criterion(op) for op in ALL_OPERATORS]
    rows[4] = criterion(5, "<<Tickets>>", value_type="Array", value_int=0)  # has elements
    rows.append(
        {
            "tablename": "faults",
            "fieldname": "CFPriorityReason",
            "type": 0,
            "value_type": "string",
            "value_string": "VIP <<not a variable>>",
        }
    )
    rows.append(
        {
            "tablename": "faults",
            "fieldname": "status_id",
            "type": 1,
            "value_type": "int",
            "value_int": 9,
        }
    )
    steps = [
        {
            "step_id": 42,
            "name": "Any tickets",
            "steptype": 1,
            "auto_action": 6,
            "isstart": True,
            "step_conditions": [criterion(5, "<<Tickets>>", value_type="Array", value_int=0)],
            "actions": pair(12, 42, 11, 90),
        },
        {
            "step_id": 11,
            "name": "Loop tickets",
            "steptype": 2,
            "auto_action": 12,
            "message": "<<Tickets>>",
            "output_variables": [
                {"type": 3, "key": "TicketId", "value": "response^id", "data_type": 3}
            ],
            "actions": pair(22, 11, 12, 90),
        },
        {
            "step_id": 12,
            "name": "Ask AI",
            "steptype": 2,
            "auto_action": 25,
            "auto_action_type": 44,
            "ai_ability_id": 7,
            "input_values": [{"type": 7, "key": "Summary", "value": "<<ticket^summary!>>"}],
            "output_variables": [
                {
                    "type": 3,
                    "key": "OpenAITicket Type",
                    "value": "response^choices[0]^message^content^type!",
                    "data_type": 2,
                }
            ],
            "actions": pair(37, 12, 13, 91),
        },
        {
            "step_id": 13,
            "name": "Get details",
            "steptype": 2,
            "auto_action": 6,
            "auto_action_type": 501,
            "auto_action_type_guid": "g-501",
            "message": "Ticketing API - Get ticket",
            "output_variables": [
                {"type": 3, "key": "Impact", "value": "response^impact!", "data_type": 2}
            ],
            "actions": pair(17, 13, 14, 91),
        },
        {
            "step_id": 14,
            "name": "Is incident",
            "steptype": 1,
            "step_conditions": rows,
            "actions": pair(12, 14, 15, 16),
        },
        {
            "step_id": 15,
            "name": "Update ticket",
            "steptype": 2,
            "auto_action": 8,
            "auto_action_type": 2,
            "message": '[{"id": <<ticket^id>>, "impact": <<Impact>>, "details": "$ALLNONSYSACTIONS"}]',
            "output_variables": [
                {"type": 3, "key": "UpdatedId", "value": "response^id", "data_type": 3}
            ],
            "actions": pair(18, 15, 16, 91),
        },
        {
            "step_id": 16,
            "name": "Next ticket",
            "steptype": 2,
            "auto_action": 13,
            "message": "<<Tickets>>",
            "actions": [edge(23, 16, 17, 1), edge(23, 16, -98, 2)],
        },
        {
            "step_id": 17,
            "name": "Count",
            "steptype": 2,
            "auto_action": 18,
            "message": "SELECT COUNT(*) AS n FROM FAULTS WHERE Areaint = <<ticket^client_id>>",
            "runbook_variable_mappings": [
                {"type": 4, "key": "Count", "value": "<<response[0]^n>>", "data_type": 3}
            ],
            "actions": pair(29, 17, 18, 91),
        },
        {
            "step_id": 18,
            "name": "Wait",
            "steptype": 2,
            "auto_action": 21,
            "duration": 2,
            "actions": [edge(32, 18, 20, 1)],
        },
        {
            "step_id": 20,
            "name": "Agent",
            "steptype": 2,
            "auto_action": 26,
            "ai_ability_id": 8,
            "input_values": [{"type": 7, "key": "Count", "value": "<<Count>>"}],
            "actions": pair(37, 20, 19, 92),
        },
        {
            "step_id": 19,
            "name": "Hand over",
            "steptype": 2,
            "auto_action": 24,
            "start_new_runbook_id": FOLLOW_UP_GUID,
            "actions": [],
        },
        {
            "step_id": 90,
            "name": "Nothing to do",
            "steptype": 3,
            "isend": True,
            "auto_action": 0,
            "message3": "<<report_data>>",
            "actions": [],
        },
        {
            "step_id": 91,
            "name": "Failed",
            "steptype": 3,
            "isend": True,
            "auto_action": 1,
            "actions": [],
        },
        {
            "step_id": 92,
            "name": "Failed - agent",
            "steptype": 3,
            "isend": True,
            "auto_action": 2,
            "actions": [],
        },
    ]
    return {"id": TRIAGE_GUID, "name": "Triage tickets", "type": 1, "steps": steps}


def follow_up_runbook() -> dict[str, Any]:
    """A method whose integration is not given, a Halo action number runbench does not
    know, a step kind it does not know, and a condition without its 'not met' edge."""
    return {
        "id": FOLLOW_UP_GUID,
        "name": "Follow up",
        "type": 1,
        "runbook_start_type": 1,
        "input_variables": [{"key": "note_text", "value": "hi", "data_type": 2}],
        "steps": [
            {
                "step_id": 1,
                "name": "Notify",
                "steptype": 2,
                "auto_action": 6,
                "isstart": True,
                "auto_action_type": 777,
                "message": "Slack - Post message",
                "actions": [edge(17, 1, 2, 1), edge(17, 1, 4, 2)],
            },
            {
                "step_id": 2,
                "name": "Has note",
                "steptype": 1,
                "step_conditions": [criterion(29, "<<note_text>>")],
                "actions": [edge(12, 2, 3, 1)],
            },
            {
                "step_id": 4,
                "name": "Chat",
                "steptype": 2,
                "auto_action": 8,
                "auto_action_type": 26,
                "message": '{"chat_id": <<chat^id>>, "text": "<<note_text!>>"}',
                "actions": pair(18, 4, 3, 3),
            },
            {"step_id": 5, "name": "Mystery", "steptype": 2, "auto_action": 99, "actions": []},
            {"step_id": 3, "name": "Done", "steptype": 3, "isend": True, "actions": []},
        ],
    }


def integrations() -> list[dict[str, Any]]:
    return [
        {
            "id": 50,
            "name": "Ticketing API",
            "resourcebaseurl": "https://{{tenant-host}}/api",
            "authorizationtype": 4,
            "granttype": 0,
            "tokenurl": "https://login.example/token",
            "client_id": "abc",
            "scope": "all",
            "methods": [
                {
                    "id": 501,
                    "guid": "g-501",
                    "name": "Get ticket",
                    "method": 0,
                    "path": "/tickets/<<TicketId>>",
                    "headers": [{"key": "Accept", "value": "application/json"}],
                    "uri_params": [{"key": "includedetails", "value": "true"}],
                    "output_variables": [
                        {"type": 3, "key": "Summary", "value": "response^summary!", "data_type": 2}
                    ],
                },
                {
                    "id": 502,
                    "name": "Create note",
                    "method": 1,
                    "path": "/notes",
                    "requestbody": '{"text": "<<note!>>"}',
                    "authorizationtype": 0,
                },
            ],
        }
    ]


def many_step_plan(steps: int, methods: int, prefix: str = "step") -> ImportPlan:
    """An import of one runbook of ``steps`` method steps (with a body block, an inline
    table, a literal string) and one integration of ``methods`` methods: for the tests and
    the benchmark of how an import scales."""
    plan = ImportPlan()
    table: dict[str, Any] = {}
    for i in range(steps):
        table[f"{prefix}_{i}"] = {
            "kind": "method",
            "title": f'Step {i} "quoted"' if i % 3 else f"Step {i}",
            "method": "api.m0",
            "body": f'{{"id": {i},\n "x": "y"}}\n',
            "outputs": {"Id": "response^id", "Rows": [1, 2]},
            "next": f"{prefix}_{i + 1}" if i + 1 < steps else None,
        }
    plan.runbooks["big"] = {"title": "Big", "start": f"{prefix}_0", "steps": table}
    plan.integrations["api"] = {
        "title": "API",
        "base_url": "https://example.invalid",
        "methods": {f"m{i}": {"title": f"M {i}", "path": f"/x/{i}"} for i in range(methods)},
    }
    return plan
