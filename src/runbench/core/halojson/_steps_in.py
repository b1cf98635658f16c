"""How each kind of Halo step becomes a runbench step: one ``step_<kind>`` per kind.

A mixin of ``RunbookReader`` (which assigns ids, reads edges and dispatches here), kept
apart so each kind's fields can be read next to each other. Every handler fills the
step's table from the Halo step and notes what it could only approximate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from runbench.core.expressions import LITERAL_OPEN
from runbench.core.halojson._codes import (
    AI_TYPE_OF_ACTION,
    END_FAIL,
    END_FAIL_OTHER,
    HALO_ACTIONS,
    KNOWN_UNMAPPED_ACTIONS,
    OPERATORS,
    USER_ACTION,
)
from runbench.core.halojson._integrations_in import stub_method
from runbench.core.halojson._plan import ImportPlan, Table, halo_int, text_of
from runbench.core.halojson._values import ai_inputs_from, outputs_from
from runbench.core.workspace import KeyPath

if TYPE_CHECKING:
    from runbench.core.halojson._runbooks_in import Importer

AI_INTEGRATION = "ai"
HALO_INTEGRATION = "halo"
_HAS_ID = re.compile(r'"id"\s*:')


class StepReaders:
    """The per-kind readers; ``RunbookReader`` supplies ``plan`` and ``importer``."""

    plan: ImportPlan
    importer: Importer

    def step_end(self, raw: Mapping[str, Any], table: Table, _keys: KeyPath) -> None:
        action = halo_int(raw.get("auto_action")) or 0
        table["result"] = "failure" if action in (END_FAIL, END_FAIL_OTHER) else "success"
        if action == END_FAIL_OTHER:
            table["halo"] = {"auto_action": END_FAIL_OTHER}
        message = text_of(raw.get("message3"))
        if message:
            table["message"] = message

    def step_condition(self, raw: Mapping[str, Any], table: Table, keys: KeyPath) -> None:
        rules = [
            rule
            for index, row in enumerate(raw.get("step_conditions") or [])
            if isinstance(row, Mapping) and (rule := self.rule(row, keys + ("rules", str(index))))
        ]
        table["rules"] = rules
        if raw.get("criteria_groups"):
            self.plan.note(keys, "Halo criteria groups are not supported: only the step's own rows")

    def rule(self, row: Mapping[str, Any], keys: KeyPath) -> Table:
        field = text_of(row.get("fieldname")).strip()
        if text_of(row.get("tablename")).lower() == "faults" and not field.startswith("<<"):
            left = f"<<{field}>>" if field.startswith("CF") else f"<<ticket^{field}>>"
        else:
            left = field
            if not field.startswith("<<"):
                self.plan.note(
                    keys, f"{field!r} is not wrapped in <<>>: Halo compares the text itself"
                )
        number = halo_int(row.get("type"))
        op = OPERATORS.get(number if number is not None else 0)
        if op is None:
            self.plan.note(keys, f"condition operator {number} is unknown; read as equals")
            op = "equals"
        rule: Table = {"left": left, "op": op}
        if op not in ("has_value", "no_value", "any_value"):
            rule["right"] = self.right_side(row)
        return rule

    @staticmethod
    def right_side(row: Mapping[str, Any]) -> Any:
        text = text_of(row.get("value_string"))
        number = halo_int(row.get("value_int"))
        kind = text_of(row.get("value_type")).lower()
        if number is not None and (kind in ("int", "array") or not text):
            return number
        return text.replace("<<", LITERAL_OPEN)  # Halo compares the value side as text

    def step_method(self, raw: Mapping[str, Any], table: Table, keys: KeyPath) -> None:
        number, guid = raw.get("auto_action_type"), raw.get("auto_action_type_guid")
        ref = self.importer.methods.find(number, guid)
        if ref is None:
            text = text_of(raw.get("message")).strip() or text_of(raw.get("name")).strip()
            ref = stub_method(self.plan, self.importer.methods, text, number, guid, keys)
        table["method"] = ref
        self.outputs(raw, table, keys)

    def step_halo(self, raw: Mapping[str, Any], table: Table, keys: KeyPath) -> None:
        number = halo_int(raw.get("auto_action_type"))
        body = text_of(raw.get("message"))
        if number == USER_ACTION:
            action = "edit_user" if _HAS_ID.search(body) else "create_user"
        else:
            action = HALO_ACTIONS.get(number if number is not None else -1, "")
        table["action"] = action
        if not action:
            table["halo"] = {"auto_action_type": number}
            known = KNOWN_UNMAPPED_ACTIONS.get(number or 0)
            what = f"Halo API action {number}" + (f" ({known})" if known else "")
            self.plan.note(
                keys + ("action",),
                f"{what} has no runbench equivalent: kept for export; choose an action to run it",
            )
        table["body"] = body
        self.plan.check_placeholders(keys + ("body",), body)
        self.halo_needed()
        self.outputs(raw, table, keys)

    def step_foreach(self, raw: Mapping[str, Any], table: Table, keys: KeyPath) -> None:
        table["items"] = text_of(raw.get("message")).strip()
        self.outputs(raw, table, keys)

    def step_next(self, raw: Mapping[str, Any], table: Table, keys: KeyPath) -> None:
        pass  # its edges say it all

    def step_sql(self, raw: Mapping[str, Any], table: Table, keys: KeyPath) -> None:
        table["query"] = text_of(raw.get("message"))
        self.plan.check_placeholders(keys + ("query",), table["query"])
        self.halo_needed()
        self.outputs(raw, table, keys)

    def step_sleep(self, raw: Mapping[str, Any], table: Table, _keys: KeyPath) -> None:
        seconds = raw.get("duration")
        table["seconds"] = seconds if isinstance(seconds, (int, float)) and seconds >= 0 else 0

    def step_runbook(self, raw: Mapping[str, Any], table: Table, keys: KeyPath) -> None:
        guid = text_of(raw.get("start_new_runbook_id")).strip()
        table["runbook"] = self.importer.stub_runbook(guid or "unknown", keys)

    def step_ai(self, raw: Mapping[str, Any], table: Table, keys: KeyPath) -> None:
        table["integration"] = self.importer.ensure_integration(
            AI_INTEGRATION,
            {
                "title": "AI (OpenAI-compatible)",
                "base_url": "https://api.openai.com/v1",
                "auth": {
                    "type": "bearer",
                    "token": self.plan.need_env("OPENAI_API_KEY", "an OpenAI API key"),
                },
            },
            "Halo runs AI steps with its own AI; runbench sends them to this OpenAI-compatible "
            "integration (point it at the sandbox's /openai/v1 to try them offline)",
        )
        table["ai_type"] = AI_TYPE_OF_ACTION.get(halo_int(raw.get("auto_action")) or 25, "ability")
        args = ai_inputs_from(raw)
        if args:
            table["args"] = args
        ability = raw.get("ai_ability_id")
        table["halo"] = {
            k: v
            for k, v in (
                ("ai_ability_id", ability),
                ("auto_action_type", raw.get("auto_action_type")),
            )
            if v not in (None, "")
        }
        table["prompt"] = "" if args else f"(the prompt of Halo AI ability {ability})"
        self.plan.note(
            keys + ("prompt",),
            f"the prompt of Halo AI ability {ability} lives in Halo, not in the runbook: "
            "write it in prompt (without one, the input values are sent as the prompt)",
        )
        self.outputs(raw, table, keys)

    # -- helpers ---------------------------------------------------------------------
    def outputs(self, raw: Mapping[str, Any], table: Table, keys: KeyPath) -> None:
        outputs = outputs_from(raw, keys, self.plan)
        if outputs:
            table["outputs"] = outputs

    def halo_needed(self) -> None:
        if not self.plan.halo:
            self.plan.halo = self.importer.ensure_integration(
                HALO_INTEGRATION,
                halo_integration(self.plan),
                "Halo API action and SQL steps go to the workspace's Halo integration: set "
                "halo_base_url and the HALO_CLIENT_ID/HALO_CLIENT_SECRET of a Halo API application",
            )


def halo_integration(plan: ImportPlan) -> Table:
    """The workspace's Halo integration, as Halo's guide sets one up (OAuth 2.0, client
    credentials, the token URL with the tenant)."""
    plan.variables.setdefault("halo_base_url", "https://YOUR-TENANT.halopsa.com")
    return {
        "title": "Halo",
        "base_url": "<<halo_base_url>>",
        "auth": {
            "type": "oauth2",
            "grant": "client_credentials",
            "token_url": "<<halo_base_url>>/auth/token",
            "client_id": plan.need_env("HALO_CLIENT_ID", "a Halo API application's client id"),
            "client_secret": plan.need_env("HALO_CLIENT_SECRET", "its client secret"),
            "scope": "all",
        },
    }


__all__ = ["AI_INTEGRATION", "HALO_INTEGRATION", "StepReaders", "halo_integration"]
