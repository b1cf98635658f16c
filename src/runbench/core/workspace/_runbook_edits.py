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

from runbench.core.errors import SchemaError
from runbench.core.workspace._edits import WorkspaceEdits, starter_title
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
    "end": {"result": "success"},
}


def step_keys(runbook: str, step: str) -> KeyPath:
    return ("runbooks", runbook, "steps", step)


def runbook_references(workspace: Workspace, runbook: str) -> list[tuple[KeyPath, str]]:
    """The ``runbook = "..."`` keys of steps that start ``runbook``: (keys, "book.step")."""
    return [
        (step_keys(book.id, step.id) + ("runbook",), f"{book.id}.{step.id}")
        for book in workspace.runbooks.values()
        for step in book.steps.values()
        if step.kind == "runbook" and step.runbook == runbook
    ]


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
        """``rules = [ { left, op, right }, ... ]``: one array of inline tables, one per
        line when there are several."""
        self.set(keys, [{k: v for k, v in rule.items() if v is not None} for rule in rules])

    def set_retry(self, keys: KeyPath, field: str, value: Any) -> None:
        """One field of the step's ``retry = { ... }``; attempts None drops the retry."""
        retry = keys + ("retry",)
        if field == "attempts" and value is None:
            self.delete_if_present(retry)
            return
        if not self.has(retry):
            self.set(retry, {})
        if value is None:
            self.delete_if_present(retry + (field,))
        else:
            self.set(retry + (field,), value)

    # -- structure ---------------------------------------------------------------------
    def add_step(self, workspace: Workspace, runbook: str, name: str, kind: str) -> str:
        """Add step ``name`` after the runbook's last step; the first step is the start."""
        book = workspace.runbooks[runbook]
        name = check_id(name, list(book.steps), "step")
        self.document.add_table(
            step_keys(runbook, name), {"kind": kind, **STEP_DEFAULTS.get(kind, {})}
        )
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

    # -- runbooks ----------------------------------------------------------------------
    def add_runbook(self, workspace: Workspace, name: str, title: str = "") -> str:
        """Add an empty runbook after the last one; its first step becomes its start."""
        name = check_id(name, list(workspace.runbooks), "runbook")
        self.document.add_table(("runbooks", name), {"title": title.strip() or starter_title(name)})
        return name

    def rename_runbook(self, workspace: Workspace, name: str, new: str) -> int:
        """Rename and repoint every ``runbook = "..."`` step; returns how many."""
        new = check_id(new, list(workspace.runbooks), "runbook")
        refs = runbook_references(workspace, name)
        self.document.rename(["runbooks", name], new)
        for keys, _ in refs:
            if keys[1] == name:  # a step of the renamed runbook itself
                keys = ("runbooks", new) + keys[2:]
            self.document.set(list(keys), new)
        return len(refs)

    def duplicate_runbook(self, workspace: Workspace, name: str, new: str) -> str:
        new = check_id(new, list(workspace.runbooks), "runbook")
        self._copy(("runbooks", name), ("runbooks", new))
        return new

    def delete_runbook(self, name: str) -> None:
        self.document.delete(["runbooks", name])

    # -- runbook details: endpoint, inputs ----------------------------------------------
    def set_endpoint(self, runbook: str, field: str, value: Any) -> None:
        """One field of ``[runbooks.ID.endpoint]`` (made when missing); None or "" removes
        it. ``secret`` replaces a ``secrets = [...]`` list (rotation) with one value."""
        keys: KeyPath = ("runbooks", runbook, "endpoint")
        if value is None or value == "":
            self.delete_if_present(keys + (field,))
            if field == "secret":
                self.delete_if_present(keys + ("secrets",))
            return
        if field == "secret":
            self.delete_if_present(keys + ("secrets",))
        self.set(keys + (field,), value)

    def set_input(
        self, runbook: str, name: str, spec: Mapping[str, Any], old_name: str | None = None
    ) -> None:
        """Add or change input ``name``: the keys of ``spec`` (``type``, ``default``,
        ``description``; None removes one) replace what was there; other keys (``from``)
        are kept."""
        keys: KeyPath = ("runbooks", runbook, "inputs")
        previous: dict[str, Any] = {}
        if self.has(keys + (old_name or name,)):
            found = self.document.get(list(keys + (old_name or name,)))
            previous = dict(found.unwrap()) if hasattr(found, "unwrap") else {}
        kept = {k: v for k, v in previous.items() if k not in spec}  # "from", say
        value = {k: v for k, v in {**kept, **spec}.items() if v is not None and v != ""}
        if not self.has(keys):
            if not name.strip():
                raise SchemaError("an input needs a name")
            self.document.add_table(keys, {name.strip(): value})
            return
        self.set_entry(keys, name, value, old_name)

    def delete_input(self, runbook: str, name: str) -> None:
        keys: KeyPath = ("runbooks", runbook, "inputs")
        self.delete_entry(keys, name)
        if not self.document.get(list(keys)):
            self.document.delete(list(keys))


__all__ = ["STEP_DEFAULTS", "RunbookEdits", "edge_references", "runbook_references", "step_keys"]
