"""A workspace's runbooks and integrations as Halo's JSON (what ``POST /api/Webhook`` and
``POST /api/CustomIntegration`` accept).

The inverse of the importers: kinds to ``steptype``/``auto_action``, edges to ``actions[]``
by ``seq``, operators to Halo's numbers, Halo's kept ids and numbers (``halo = {...}``)
back in place. What Halo cannot express (retries, timeouts, ``match = "any"``, comparing
two variables, a step's args, a prompt, secrets) is left out with a ``Note`` saying so;
nothing is silently dropped. Secrets are never exported: Halo keeps its own, and a push
must not carry a credential out of the machine.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from runbench.core.errors import ExpressionError
from runbench.core.expressions import LITERAL_OPEN, parse_template
from runbench.core.halo import find_action
from runbench.core.halojson._codes import (
    AI_ABILITY,
    AI_AGENT,
    EDGE_NAMES,
    EDGE_TYPE,
    END_FAIL,
    END_FAIL_OTHER,
    END_SUCCESS,
    HALO_ACTION_IDS,
    INBOUND_AUTH_IDS,
    KIND_OF_ACTION,
    LOOP_BACK,
    OPERATOR_IDS,
    PUBLIC_START,
    RUNBOOK_TYPE,
    SEQ_EDGES,
    STEP_ACTION,
    STEP_CONDITION,
    STEP_END,
)
from runbench.core.halojson._integrations_out import (
    custom_integrations,
    integrations_json,
    literal_text,
)
from runbench.core.halojson._plan import Note
from runbench.core.halojson._values import ai_input_rows, input_rows, output_rows
from runbench.core.workspace import KeyPath, Rule, Runbook, Step, Workspace

HaloJson = dict[str, Any]
_ACTION_OF_KIND = {kind: n for n, kind in KIND_OF_ACTION.items() if kind not in ("ai",)}
_TICKET_FIELD = re.compile(r"<<ticket\^([A-Za-z0-9_]+)>>")
_BARE_VARIABLE = re.compile(r"<<([A-Za-z_][A-Za-z0-9_.-]*)>>")


@dataclass
class Exported:
    """Halo JSON objects and the notes on what could not go into them."""

    objects: list[HaloJson] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


def export_integrations(workspace: Workspace, ids: Sequence[str] = ()) -> Exported:
    """The integrations ``ids``; when empty, every custom integration: all but the
    workspace's Halo connection and those only AI steps use (Halo runs those itself)."""
    objects, notes = integrations_json(workspace, ids)
    return Exported(objects, notes)


def export_runbooks(workspace: Workspace, ids: Sequence[str] = ()) -> Exported:
    """The runbooks ``ids`` (all when empty) as Halo runbook objects."""
    out = Exported()
    for runbook_id in ids or list(workspace.runbooks):
        runbook = workspace.runbooks[runbook_id]
        out.objects.append(RunbookWriter(workspace, runbook, out.notes).runbook_json())
    return out


class RunbookWriter:
    """One runbook's Halo JSON: step numbers first (so edges can name them), then steps."""

    def __init__(self, workspace: Workspace, runbook: Runbook, notes: list[Note]) -> None:
        self.ws, self.book, self.notes = workspace, runbook, notes
        self.keys: KeyPath = ("runbooks", runbook.id)
        steps = [s for s in runbook.steps.values() if not s.halo.get("synthetic")]
        self.synthetic = {s.id for s in runbook.steps.values() if s.halo.get("synthetic")}
        self.numbers: dict[str, int] = {}
        for step in steps:
            kept = step.halo.get("step_id")
            if isinstance(kept, int) and kept > 0 and kept not in self.numbers.values():
                self.numbers[step.id] = kept
        for step in steps:
            if step.id not in self.numbers:
                self.numbers[step.id] = max(self.numbers.values(), default=0) + 1
        self.steps = steps

    def note(self, keys: KeyPath, message: str) -> None:
        self.notes.append(Note(keys, message))

    def runbook_json(self) -> HaloJson:
        book = self.book
        found: HaloJson = {"name": book.title or book.id, "type": RUNBOOK_TYPE, "active": True}
        if "id" in book.halo:
            found["id"] = book.halo["id"]
        found["runbook_start_type"] = book.halo.get("runbook_start_type", PUBLIC_START)
        auth = book.endpoint.auth if book.public else "none"
        found["inbound_authentication_type"] = INBOUND_AUTH_IDS.get(auth, 0)
        if auth == "basic":
            found["basic_username"] = literal_text(book.endpoint.username)
        elif auth == "signature":
            found["authentication_header"] = book.endpoint.header
            found["signature_prefix"] = book.endpoint.prefix
        found["input_variables"] = input_rows(book.inputs.values())
        found["steps"] = [self.step(step) for step in self.steps]
        for what, value, default in (
            ("max_concurrent", book.max_concurrent, 0),
            ("max_steps", book.max_steps, 1000),
            ("max_duration", book.max_duration, 3600.0),
        ):
            if value != default:
                self.note(self.keys + (what,), f"{what} is runbench's own guard; not exported")
        return found

    def step(self, step: Step) -> HaloJson:
        keys = self.keys + ("steps", step.id)
        number = self.numbers[step.id]
        if "raw" in step.halo:
            kept = {**json.loads(str(step.halo["raw"])), "step_id": number}
            if step.id == self.book.start or kept.get("isstart"):
                kept["isstart"] = step.id == self.book.start
            return kept
        found: HaloJson = {
            "step_id": number,
            "name": step.title or step.id,
            "steptype": STEP_ACTION,
            "isstart": step.id == self.book.start,
        }
        getattr(self, f"kind_{step.kind}")(step, found, keys)
        if step.kind in SEQ_EDGES:
            found["actions"] = self.edges(step, number)
        for what, value in (("retry", step.retry), ("timeout", step.timeout)):
            if value is not None:
                self.note(keys + (what,), f"Halo has no per-step {what}; not exported")
        if step.args and step.kind not in ("ai",):
            self.note(
                keys + ("args",), "Halo steps read runbook variables by name; args are not exported"
            )
        return found

    def edges(self, step: Step, number: int) -> list[HaloJson]:
        action_type = EDGE_TYPE[step.kind]
        rows: list[HaloJson] = []
        for seq, key in enumerate(SEQ_EDGES[step.kind], start=1):
            target = step.edge(key)
            if not target or target in self.synthetic or target not in self.numbers:
                continue
            end = LOOP_BACK if step.kind == "next" and key == "loop" else self.numbers[target]
            rows.append(
                {
                    "action_type": action_type,
                    "action_id": -action_type,
                    "action_name": EDGE_NAMES[action_type][seq - 1],
                    "start_step": number,
                    "end_step": end,
                    "seq": seq,
                    "approval_result": 1 if seq == 1 else 0,
                    "use_work_hours": True,
                    "chat_selection_order": 1,
                }
            )
        return rows

    # -- kinds -----------------------------------------------------------------------
    def kind_end(self, step: Step, found: HaloJson, _keys: KeyPath) -> None:
        failure = END_FAIL_OTHER if step.halo.get("auto_action") == END_FAIL_OTHER else END_FAIL
        found.update(
            {
                "steptype": STEP_END,
                "isend": True,
                "auto_action": END_SUCCESS if step.result == "success" else failure,
                "message3": step.message,
                "actions": [],
            }
        )

    def kind_condition(self, step: Step, found: HaloJson, keys: KeyPath) -> None:
        found["steptype"] = STEP_CONDITION
        if step.match == "any" and len(step.rules) > 1:
            self.note(
                keys + ("match",), "Halo ANDs a condition's rows; match = any is exported as all"
            )
        rows = [self.criterion(r, keys + ("rules", str(i))) for i, r in enumerate(step.rules)]
        found["step_conditions"] = [row for row in rows if row is not None]

    def criterion(self, rule: Rule, keys: KeyPath) -> HaloJson | None:
        number = OPERATOR_IDS.get(rule.op)
        if number is None:
            self.note(keys, f"Halo has no operator for {rule.op}; the row is not exported")
            return None
        ticket = _TICKET_FIELD.fullmatch(rule.left)
        row: HaloJson = {"type": number}
        if ticket:
            row.update({"tablename": "faults", "fieldname": ticket.group(1)})
        else:
            row.update({"tablename": "runbookvariable", "fieldname": rule.left})
            if not _single_ref(rule.left):
                self.note(
                    keys + ("left",), "Halo's left side is one <<variable>>; exported as written"
                )
        if rule.op in ("has_value", "no_value", "any_value"):
            return row
        right = rule.right
        if isinstance(right, int) and not isinstance(right, bool):
            row.update({"value_type": "int", "value_int": right})
            return row
        text = json.dumps(right) if isinstance(right, bool) else str(right)
        if _has_refs(text):
            self.note(
                keys + ("right",),
                "Halo compares the value side as text: its <<variables>> are not filled in",
            )
        row.update({"value_type": "string", "value_string": text.replace(LITERAL_OPEN, "<<")})
        return row

    def kind_method(self, step: Step, found: HaloJson, keys: KeyPath) -> None:
        method = self.ws.method(step.method)
        integration = self.ws.integrations.get(step.method.partition(".")[0])
        halo = method.halo if method else {}
        if "id" not in halo:
            self.note(
                keys + ("method",),
                f"{step.method} has no Halo method id yet (push its integration first, or "
                "import it with --integrations): exported with auto_action_type 0",
            )
        title = (method.title or method.id) if method else step.method
        owner = (integration.title or integration.id) if integration else ""
        found.update(
            {
                "auto_action": _ACTION_OF_KIND["method"],
                "auto_action_type": halo.get("id", 0),
                "message": f"{owner} - {title}" if owner else title,
            }
        )
        if "guid" in halo:
            found["auto_action_type_guid"] = halo["guid"]
        found["output_variables"] = output_rows(step.outputs, mapping=False)

    def kind_halo(self, step: Step, found: HaloJson, keys: KeyPath) -> None:
        number = HALO_ACTION_IDS.get(step.action, step.halo.get("auto_action_type"))
        if number is None:
            self.note(
                keys + ("action",),
                f"Halo's number for {step.action} is not known: exported with auto_action_type "
                "0; choose the action in Halo after pushing",
            )
        action = find_action(step.action)
        body = step.body if step.body is not None else (action.body_template if action else "")
        found.update({"auto_action": _ACTION_OF_KIND["halo"], "auto_action_type": number or 0})
        found["message"] = body
        found["output_variables"] = output_rows(step.outputs, mapping=False)

    def kind_foreach(self, step: Step, found: HaloJson, _keys: KeyPath) -> None:
        found.update({"auto_action": _ACTION_OF_KIND["foreach"], "message": step.items})
        found["output_variables"] = output_rows(step.outputs, mapping=False)

    def kind_next(self, step: Step, found: HaloJson, _keys: KeyPath) -> None:
        loop = self.book.steps.get(step.edge("loop") or "")
        found.update(
            {"auto_action": _ACTION_OF_KIND["next"], "message": loop.items if loop else ""}
        )

    def kind_sql(self, step: Step, found: HaloJson, keys: KeyPath) -> None:
        if step.database:
            self.note(
                keys + ("database",),
                "Halo's SQL steps query Halo's database; database is not exported",
            )
        found.update({"auto_action": _ACTION_OF_KIND["sql"], "message": step.query})
        found["runbook_variable_mappings"] = output_rows(step.outputs, mapping=True)

    def kind_sleep(self, step: Step, found: HaloJson, _keys: KeyPath) -> None:
        seconds = int(step.seconds) if float(step.seconds).is_integer() else step.seconds
        found.update({"auto_action": _ACTION_OF_KIND["sleep"], "duration": seconds})

    def kind_runbook(self, step: Step, found: HaloJson, keys: KeyPath) -> None:
        target = self.ws.runbooks.get(step.runbook)
        guid = target.halo.get("id") if target else None
        if not guid:
            self.note(
                keys + ("runbook",), f"runbook '{step.runbook}' has no Halo id yet: push it first"
            )
        found.update(
            {
                "auto_action": _ACTION_OF_KIND["runbook"],
                "start_new_runbook_id": guid or "",
                "actions": [],
            }
        )

    def kind_ai(self, step: Step, found: HaloJson, keys: KeyPath) -> None:
        found["auto_action"] = AI_AGENT if step.ai_type == "agent" else AI_ABILITY
        for name in ("ai_ability_id", "auto_action_type"):
            if name in step.halo:
                found[name] = step.halo[name]
        found["input_values"] = ai_input_rows(step.args)
        found["output_variables"] = output_rows(step.outputs, mapping=False)
        if step.prompt.strip() and "ai_ability_id" in step.halo:
            self.note(
                keys + ("prompt",), "the prompt belongs to the AI ability in Halo; not exported"
            )


def _single_ref(text: str) -> bool:
    try:
        return parse_template(text).is_single_ref
    except ExpressionError:
        return False


def _has_refs(text: str) -> bool:
    try:
        return bool(parse_template(text).refs)
    except ExpressionError:
        return False


def to_json_text(objects: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps(list(objects), indent=2, ensure_ascii=False) + "\n"


__all__ = [
    "Exported",
    "HaloJson",
    "custom_integrations",
    "export_integrations",
    "export_runbooks",
    "to_json_text",
]
