"""Halo runbooks (``/api/Webhook`` objects with ``steps[]``) into runbook tables.

Each Halo step becomes one step of the same kind; its edges (``actions[]``) are read by
``seq`` (1: success / met / has elements / finished, 2: the other), never by name. Halo's
step ids are kept (``halo = { step_id = N }``) so an export gives the same ids back, which
keeps Halo's diagram layout on push. Where Halo would die with "Next step not found" (a
step without an edge it needs), the edge goes to an explicit failure end that says so,
which ``export-halo`` leaves out again. A step kind runbench does not know is kept whole
(``halo.raw``) as a failure end, so it exports unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runbench.core.halojson._codes import (
    INBOUND_AUTH,
    KIND_OF_ACTION,
    LOOP_BACK,
    PUBLIC_START,
    SEQ_EDGES,
    STEP_CONDITION,
    STEP_END,
)
from runbench.core.halojson._integrations_in import MethodIndex
from runbench.core.halojson._plan import ImportPlan, Table, halo_int, text_of
from runbench.core.halojson._steps_in import StepReaders
from runbench.core.halojson._values import inputs_from
from runbench.core.workspace import REQUIRED_EDGES, KeyPath

NOT_FOUND_STEP = "next_step_not_found"
AI_INTEGRATION = "ai"
HALO_INTEGRATION = "halo"
_HAS_ID = re.compile(r'"id"\s*:')


@dataclass
class Importer:
    """Shared by the runbooks of one import: the plan, methods, and Halo runbook guids."""

    plan: ImportPlan
    methods: MethodIndex
    runbook_ids: dict[str, str]

    def run(self, objects: list[Mapping[str, Any]]) -> None:
        keys: list[str] = []
        for raw in objects:
            name = text_of(raw.get("name")).strip() or "runbook"
            guid = str(raw.get("id") or "")
            key = self.runbook_ids.get(guid) if guid else None
            if key is None or key in keys:
                taken = set(self.plan.runbooks) | self.plan.reserved["runbooks"] | set(keys)
                key = self.plan.new_id(name, taken, "runbook")
            keys.append(key)
            if guid:
                self.runbook_ids.setdefault(guid, key)
        for key, raw in zip(keys, objects, strict=True):
            self.plan.runbooks[key] = RunbookReader(self, key, raw).table()

    def stub_runbook(self, guid: str, keys: KeyPath) -> str:
        """A runbook that only fails, for a "start new runbook" whose target was not given."""
        if guid in self.runbook_ids:
            return self.runbook_ids[guid]
        key = self.plan.fresh_id("runbooks", f"runbook {guid[:8]}", "runbook")
        self.runbook_ids[guid] = key
        message = f"stub for Halo runbook {guid}, which was not imported"
        self.plan.runbooks[key] = {
            "title": f"Halo runbook {guid}",
            "start": "stub",
            "halo": {"id": guid},
            "steps": {"stub": {"kind": "end", "result": "failure", "message": message}},
        }
        self.plan.note(keys + ("runbook",), f"{message}: runbook '{key}' is a stub")
        return key

    def ensure_integration(self, key: str, table: Table, note: str) -> str:
        if key not in self.plan.integrations and key not in self.plan.reserved["integrations"]:
            self.plan.integrations[key] = table
            self.plan.note(("integrations", key), note)
        return key


class RunbookReader(StepReaders):
    """One Halo runbook: its steps (ids assigned up front, so edges resolve), then the rest."""

    def __init__(self, importer: Importer, key: str, raw: Mapping[str, Any]) -> None:
        self.importer = importer
        self.plan = importer.plan
        self.key = key
        self.raw = raw
        self.steps_raw = [s for s in raw.get("steps") or [] if isinstance(s, Mapping)]
        self.ids: dict[int, str] = {}  # Halo step_id -> step id
        self.order: list[str] = []  # step ids in Halo's order
        for index, step in enumerate(self.steps_raw):
            number = halo_int(step.get("step_id"))
            name = text_of(step.get("name")).strip() or f"step {number or index}"
            sid = self.plan.new_id(name, self.order, "step")
            self.order.append(sid)
            if number is not None:
                self.ids.setdefault(number, sid)
        self.keys: KeyPath = ("runbooks", key)
        self.missing_used = False

    def table(self) -> Table:
        raw = self.raw
        table: Table = {"title": text_of(raw.get("name")).strip() or self.key}
        table["start"] = self.start()
        halo: Table = {}  # inbound_authentication_type is the endpoint's auth
        if raw.get("id") not in (None, ""):
            halo["id"] = raw["id"]
        if raw.get("runbook_start_type") not in (None, "", PUBLIC_START):
            halo["runbook_start_type"] = raw["runbook_start_type"]
        if halo:
            table["halo"] = halo
        inputs = inputs_from(raw, self.keys, self.plan)
        inbound = INBOUND_AUTH.get(halo_int(raw.get("inbound_authentication_type")) or 0, "none")
        if inputs or inbound != "none":
            table["public"] = True
        if inbound != "none":
            table["endpoint"] = self.endpoint(inbound)
        if inputs:
            table["inputs"] = inputs
        steps: dict[str, Table] = {}
        for index, step in enumerate(self.steps_raw):
            sid = self.order[index]
            steps[sid] = self.step(step, self.keys + ("steps", sid))
        if self.missing_used:
            steps[NOT_FOUND_STEP] = {
                "kind": "end",
                "result": "failure",
                "message": "Next step not found (the edge is missing in Halo)",
                "halo": {"synthetic": True},
            }
        table["steps"] = steps
        return table

    def start(self) -> str:
        starts = [i for i, s in enumerate(self.steps_raw) if s.get("isstart") is True]
        if len(starts) != 1:
            self.plan.note(
                self.keys + ("start",),
                f"Halo needs exactly one start step and this runbook has {len(starts)}; "
                "start is the first " + ("of them" if starts else "step"),
            )
        if not self.steps_raw:
            return ""
        return self.order[starts[0] if starts else 0]

    def endpoint(self, inbound: str) -> Table:
        raw, env = self.raw, self.key.upper().replace("-", "_")
        endpoint: Table = {"auth": inbound}
        if inbound == "basic":
            endpoint["username"] = text_of(raw.get("basic_username"))
            endpoint["password"] = self.plan.need_env(
                f"{env}_ENDPOINT_PASSWORD", f"the public endpoint password of '{self.key}'"
            )
        else:
            endpoint["secret"] = self.plan.need_env(
                f"{env}_SIGNING_SECRET", f"the signing secret of '{self.key}'"
            )
            if text_of(raw.get("authentication_header")):
                endpoint["header"] = text_of(raw["authentication_header"])
            if text_of(raw.get("signature_prefix")):
                endpoint["prefix"] = text_of(raw["signature_prefix"])
            self.plan.note(
                self.keys + ("endpoint",),
                "Halo's signature algorithm and digest numbers are not known: check algorithm "
                "and encoding (runbench's defaults are sha256 and hex)",
            )
        return endpoint

    # -- steps -----------------------------------------------------------------------
    def step(self, raw: Mapping[str, Any], keys: KeyPath) -> Table:
        steptype = halo_int(raw.get("steptype"))
        action = halo_int(raw.get("auto_action"))
        name = text_of(raw.get("name")).strip()
        if raw.get("isend") is True or steptype == STEP_END:
            kind = "end"
        elif steptype == STEP_CONDITION:
            kind = "condition"
        else:
            kind = KIND_OF_ACTION.get(action) if action is not None else None  # type: ignore[assignment]
        table: Table = {"kind": kind or "end"}
        if name and name != keys[-1]:
            table["title"] = name
        handler = getattr(self, f"step_{kind}", None) if kind else None
        if handler is None:
            self.unsupported(raw, table, keys, steptype, action)
        else:
            handler(raw, table, keys)
        if kind in SEQ_EDGES:
            table.update(self.edges(raw, kind, keys))
        number = halo_int(raw.get("step_id"))
        halo = {"step_id": number} if number is not None else {}
        table["halo"] = {**halo, **table.pop("halo", {})}  # last: Halo's own numbers
        return table

    def unsupported(
        self, raw: Mapping[str, Any], table: Table, keys: KeyPath, steptype: Any, action: Any
    ) -> None:
        what = f"Halo step type {steptype}, action {action}"
        table.update(
            {"kind": "end", "result": "failure", "message": f"{what} is not supported by runbench"}
        )
        table["halo"] = {"raw": json.dumps(raw, ensure_ascii=False, sort_keys=True)}
        self.plan.note(
            keys, f"{what} is not a step runbench knows: kept for export, runs as a failure end"
        )

    def edges(self, raw: Mapping[str, Any], kind: str, keys: KeyPath) -> Table:
        names = SEQ_EDGES[kind]
        found: Table = {}
        for edge in raw.get("actions") or []:
            if not isinstance(edge, Mapping):
                continue
            seq = halo_int(edge.get("seq")) or (
                1 if halo_int(edge.get("approval_result")) == 1 else 2
            )
            if not 1 <= seq <= len(names):
                self.plan.note(
                    keys, f"edge with seq {seq} ignored ({kind} steps have {len(names)})"
                )
                continue
            key, target = names[seq - 1], halo_int(edge.get("end_step"))
            if kind == "next" and key == "loop":
                loop = self.loop_of(raw, keys)
                if loop:
                    found["loop"] = loop
            elif target == LOOP_BACK:
                self.plan.note(keys + (key,), f"a loop-back edge (-98) on a {kind} step is ignored")
            elif target is not None and target in self.ids:
                found[key] = self.ids[target]
            else:
                self.plan.note(keys + (key,), f"edge to step {target}, which is not in the runbook")
        for key in REQUIRED_EDGES.get(kind, ()):
            if key not in found:
                found[key] = NOT_FOUND_STEP
                self.missing_used = True
                self.plan.note(
                    keys + (key,),
                    f"no '{key}' edge in Halo (Halo stops with 'Next step not found'): it goes "
                    f"to the failure end '{NOT_FOUND_STEP}'",
                )
        return found

    def loop_of(self, raw: Mapping[str, Any], keys: KeyPath) -> str | None:
        """The Begin Iteration step with the same array (``message``) as this Next."""
        message = text_of(raw.get("message")).strip()
        loops = [
            (text_of(step.get("message")).strip(), self.order[index])
            for index, step in enumerate(self.steps_raw)
            if halo_int(step.get("auto_action")) == 12
            and halo_int(step.get("steptype")) != STEP_CONDITION
        ]
        same = [sid for text, sid in loops if text == message]
        if same or len(loops) == 1:
            return (same or [loops[0][1]])[0]
        self.plan.note(
            keys + ("loop",), f"no Begin Iteration step over {message!r} to loop back to"
        )
        return None


__all__ = ["Importer", "NOT_FOUND_STEP", "RunbookReader"]
