"""Runbook edits on the workspace document: steps, edges, rules, retry.

Like ``WorkspaceEdits`` (which this extends), nothing here touches widgets: the step
editor and the flowchart describe a change, the app applies it here and re-reads the
model. Renaming a step repoints every edge (and ``start``) that named it, so a rename
never leaves the runbook pointing at a step that no longer exists. Rules and retry keep
the inline-table form the demo file uses (``rules = [ { left = ..., op = ... } ]``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from runbench.core.workspace._edits import WorkspaceEdits
from runbench.core.workspace._ids import check_id
from runbench.core.workspace._model import EDGE_KEYS, KeyPath, Workspace

STEP_DEFAULTS: Mapping[str, Mapping[str, Any]] = {
    "method": {"method": ""},
    "halo": {"action": ""},
    "sql": {"query": ""},
    "ai": {"integration": "", "prompt": ""},
    "condition": {"match": "all"},
    "sleep": {"seconds": 1},
    "foreach": {"items": ""},
    "next": {},
    "runbook": {"runbook": ""},
    "end": {"result": "success", "message": ""},
}


def step_keys(runbook: str, step: str) -> KeyPath:
    return ("runbooks", runbook, "steps", step)


def edge_references(workspace: Workspace, runbook: str, step: str) -> list[tuple[KeyPath, str]]:
    """The edge keys (and ``start``) of ``runbook`` that name ``step``: (keys, label)."""
    found: list[tuple[KeyPath, str]] = []
    book = workspace.runbooks[runbook]
    if book.start == step:
        found.append((("runbooks", runbook, "start"), "start"))
    for other in book.steps.values():
        for key, label in EDGE_KEYS.get(other.kind, ()):
            if other.edge(key) == step:
                found.append((step_keys(runbook, other.id) + (key,), f"{other.id} {label}"))
    return found


class RunbookEdits(WorkspaceEdits):
    """``WorkspaceEdits`` plus the runbook operations (see module docstring)."""

    def set_value(self, keys: KeyPath, value: Any) -> None:
        """Set ``keys``; None (a blank Select, an emptied number) removes the key."""
        if value is None:
            self.delete_if_present(keys)
        else:
            self.set(keys, value)

    def set_rules(self, keys: KeyPath, rules: Sequence[Mapping[str, Any]]) -> None:
        """``rules = [ { left, op, right }, ... ]`` as one array of inline tables."""
        import tomlkit

        array = tomlkit.array()
        for rule in rules:
            table = tomlkit.inline_table()
            table.update({k: v for k, v in rule.items() if v is not None})
            array.append(table)
        if len(rules) > 1:
            array.multiline(True)
        self.set(keys, array)

    def set_retry(self, keys: KeyPath, field: str, value: Any) -> None:
        """One field of the step's ``retry = { ... }``; attempts None drops the retry."""
        import tomlkit

        retry = keys + ("retry",)
        if field == "attempts" and value is None:
            self.delete_if_present(retry)
            return
        if not self.has(retry):
            self.set(retry, tomlkit.inline_table())
        if value is None:
            self.delete_if_present(retry + (field,))
        else:
            self.set(retry + (field,), value)

    # -- structure ---------------------------------------------------------------------
    def add_step(self, workspace: Workspace, runbook: str, name: str, kind: str) -> str:
        import tomlkit

        book = workspace.runbooks[runbook]
        name = check_id(name, list(book.steps), "step")
        table = tomlkit.table()
        table["kind"] = kind
        for key, value in STEP_DEFAULTS.get(kind, {}).items():
            table[key] = value
        table.add(tomlkit.nl())
        self.document.set(list(step_keys(runbook, name)), table)
        if not book.start or book.start not in book.steps:
            self.document.set(["runbooks", runbook, "start"], name)
        return name

    def duplicate_step(self, workspace: Workspace, runbook: str, name: str, new: str) -> str:
        new = check_id(new, list(workspace.runbooks[runbook].steps), "step")
        self._copy(step_keys(runbook, name), step_keys(runbook, new))
        return new

    def rename_step(self, workspace: Workspace, runbook: str, name: str, new: str) -> int:
        """Rename and repoint edges and ``start``; returns how many were repointed."""
        new = check_id(new, list(workspace.runbooks[runbook].steps), "step")
        refs = edge_references(workspace, runbook, name)
        self.document.rename(list(step_keys(runbook, name)), new)
        for keys, _ in refs:
            if len(keys) > 4 and keys[3] == name:  # a step whose edge loops to itself
                keys = step_keys(runbook, new) + keys[4:]
            self.document.set(list(keys), new)
        return len(refs)

    def delete_step(self, runbook: str, name: str) -> None:
        self.document.delete(list(step_keys(runbook, name)))

    def set_start(self, runbook: str, step: str) -> None:
        self.document.set(["runbooks", runbook, "start"], step)


__all__ = ["STEP_DEFAULTS", "RunbookEdits", "edge_references", "step_keys"]
