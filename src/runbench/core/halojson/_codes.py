"""Halo's numbers for runbooks and custom integrations, and what they are in runbench.

Every table here comes from ``/work/shared/reference/halo-json.md`` (Halo's Swagger schema,
the halocli decoding of Halo's web app, probes of a live Halo, Halo's own templates).
Numbers whose meaning is not known are not guessed: the importer keeps them in the
object's ``halo = { ... }`` table and says so, and the exporter writes them back.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

STEP_CONDITION, STEP_ACTION, STEP_END = 1, 2, 3
"""``steptype``: condition, action, end."""

METHOD, HALO_API, BEGIN_ITERATION, NEXT_ITERATION, SQL, SLEEP = 6, 8, 12, 13, 18, 21
START_RUNBOOK, AI_ABILITY, AI_AGENT = 24, 25, 26
"""``auto_action`` of an action step."""

KIND_OF_ACTION: Mapping[int, str] = MappingProxyType(
    {
        METHOD: "method",
        HALO_API: "halo",
        BEGIN_ITERATION: "foreach",
        NEXT_ITERATION: "next",
        SQL: "sql",
        SLEEP: "sleep",
        START_RUNBOOK: "runbook",
        AI_ABILITY: "ai",
        AI_AGENT: "ai",
    }
)
AI_TYPE_OF_ACTION: Mapping[int, str] = MappingProxyType({AI_ABILITY: "ability", AI_AGENT: "agent"})

END_SUCCESS, END_FAIL, END_FAIL_OTHER = 0, 1, 2
"""``auto_action`` of an end step: success, failure, and a second failure variant Halo's
"Failed - ..." terminals use (kept in ``halo.auto_action`` so export gives it back)."""

LOOP_BACK = -98
"""``end_step`` of a Next Iteration's "next iteration" edge: back to its Begin Iteration."""

EDGE_TYPE: Mapping[str, int] = MappingProxyType(
    {
        "condition": 12,
        "method": 17,
        "halo": 18,
        "foreach": 22,
        "next": 23,
        "sql": 29,
        "sleep": 32,
        "ai": 37,
    }
)
"""The ``action_type`` of a kind's edges."""

EDGE_NAMES: Mapping[int, tuple[str, ...]] = MappingProxyType(
    {
        12: ("Condition met", "Condition not met"),
        17: ("Successful Response (200 - 299)", "Unsuccessful Response"),
        18: ("Successful", "Unsuccessful"),
        22: ("Has elements", "Has no elements"),
        23: ("Iteration finished", "Next iteration"),
        29: ("Successful", "Unsuccessful"),
        32: ("Sleep Finished",),
        37: ("Successful", "Unsuccessful"),
    }
)

SEQ_EDGES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "method": ("on_success", "on_failure"),
        "halo": ("on_success", "on_failure"),
        "sql": ("on_success", "on_failure"),
        "ai": ("on_success", "on_failure"),
        "condition": ("on_true", "on_false"),
        "foreach": ("on_item", "on_empty"),
        "next": ("on_done", "loop"),
        "sleep": ("next",),
    }
)
"""runbench's edge keys by Halo's ``seq``: the first is seq 1 (approval_result 1), the
second seq 2 (approval_result 0)."""

OPERATORS: Mapping[int, str] = MappingProxyType(
    {
        0: "equals",
        1: "not_equals",
        2: "contains",
        3: "not_contains",
        5: "greater_than",
        6: "greater_or_equal",
        7: "less_than",
        8: "less_or_equal",
        23: "includes",
        24: "not_includes",
        29: "has_value",
        30: "no_value",
        -10: "any_value",
    }
)
OPERATOR_IDS: Mapping[str, int] = MappingProxyType({op: n for n, op in OPERATORS.items()})

VERBS: Mapping[int, str] = MappingProxyType(
    {0: "GET", 1: "POST", 2: "PUT", 3: "DELETE", 4: "PATCH"}
)
VERB_IDS: Mapping[str, int] = MappingProxyType({verb: n for n, verb in VERBS.items()})

DATA_TYPES: Mapping[int, str] = MappingProxyType(
    {0: "object", 1: "array", 2: "any", 3: "int", 4: "float", 5: "bool", 6: "datetime"}
)
"""Output ``data_type``. Halo's 2 ("string") is its default and holds text, which runbench
reads as ``any`` so a number stored with ``!`` stays a number (see expressions.md)."""
DATA_TYPE_IDS: Mapping[str, int] = MappingProxyType(
    {"object": 0, "array": 1, "any": 2, "string": 2, "int": 3, "float": 4, "bool": 5}
    | {"datetime": 6}
)
INPUT_TYPES: Mapping[int, str] = MappingProxyType(
    {0: "object", 1: "array", 2: "string", 3: "int", 4: "float", 5: "bool", 6: "string"}
)
INPUT_TYPE_IDS: Mapping[str, int] = MappingProxyType(
    {"object": 0, "array": 1, "string": 2, "int": 3, "float": 4, "bool": 5}
)

OUTPUT_VARIABLE, MAPPING_VARIABLE, AI_INPUT = 3, 4, 7
"""``type`` of an OutboundIntegrationMethodValue row."""

AUTH_TYPES: Mapping[int, str] = MappingProxyType(
    {0: "none", 1: "api_key", 2: "bearer", 3: "basic", 4: "oauth2"}
)
AUTH_TYPE_IDS: Mapping[str, int] = MappingProxyType({kind: n for n, kind in AUTH_TYPES.items()})
UNSUPPORTED_AUTH: Mapping[int, str] = MappingProxyType(
    {5: "Certificate", 6: "Secret Key (request signing)", 7: "JWT", 8: "mTLS"}
)
GRANTS: Mapping[int, str] = MappingProxyType({0: "client_credentials", 1: "password"})
GRANT_IDS: Mapping[str, int] = MappingProxyType({grant: n for n, grant in GRANTS.items()})
METHOD_INHERIT_AUTH, METHOD_NO_AUTH = -1, 0

HALO_ACTIONS: Mapping[int, str] = MappingProxyType(
    {1: "create_ticket", 2: "update_ticket", 3: "create_action", 16: "get_control"}
)
"""``auto_action_type`` of a Halo API action step, where the number is evidenced. 8 is
"Create/Edit User" (create_user, or edit_user when the body carries an id)."""
USER_ACTION = 8
HALO_ACTION_IDS: Mapping[str, int] = MappingProxyType(
    {action: n for n, action in HALO_ACTIONS.items()} | {"create_user": 8, "edit_user": 8}
)
KNOWN_UNMAPPED_ACTIONS: Mapping[int, str] = MappingProxyType({26: "post chat message"})

RUNBOOK_TYPE = 1
"""``type`` of a Webhook that is a runbook (0 is an outgoing webhook)."""
PUBLIC_START = 1
"""``runbook_start_type`` that also allows the public endpoint (inferred: Halo's own
probe sets it on a runbook with input variables, which only public runs have)."""
INBOUND_AUTH: Mapping[int, str] = MappingProxyType({0: "none", 1: "basic", 2: "signature"})
INBOUND_AUTH_IDS: Mapping[str, int] = MappingProxyType({a: n for n, a in INBOUND_AUTH.items()})
