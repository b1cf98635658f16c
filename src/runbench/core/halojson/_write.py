"""Turn an ``ImportPlan`` into workspace tables, through the workspace room's edits.

Every id goes through the same id rule as the TUI's and ``import-curl``'s (the edits'
``add_imported`` checks it), so nothing an import writes can be refused by ``check``.
``write_plan`` creates a new file (exclusively: an existing file is never overwritten).
``merge_plan`` (a pull) changes an open document in place: a runbook, step, integration
or method Halo already had is changed key by key where it stands (the lines it keeps keep
their comments), keeping what only runbench has (retries, timeouts, a method step's args,
a database URL, an AI step's prompt and integration, an integration's base URL and auth,
test values, notes; a step whose kind changed loses its old kind's keys, args included);
objects Halo no longer has inside a pulled runbook or integration are removed. Each note
then gets the line its key path landed on.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runbench.core.errors import UsageError
from runbench.core.halojson._plan import ImportPlan, Table
from runbench.core.workspace import (
    KeyPath,
    Problem,
    RunbookEdits,
    WorkspaceDocument,
    text_block,
    toml_item,
)

BLOCKS = frozenset({"body", "query", "prompt"})
_RUNBOOK_FROM_HALO = ("title", "start", "halo", "public", "endpoint", "inputs")
_LOCAL_STEP_KEYS = frozenset({"retry", "timeout", "notes", "position", "max_steps"})
_LOCAL_BY_KIND: Mapping[str, frozenset[str]] = {
    "method": frozenset({"args"}),
    "halo": frozenset({"args"}),
    "sql": frozenset({"database", "max_rows"}),
    "ai": frozenset({"integration", "prompt", "model", "json_answer"}),
    "condition": frozenset({"match"}),
}
_LOCAL_METHOD_KEYS = frozenset({"test_values", "notes", "body_type"})


def write_plan(plan: ImportPlan, path: Path, name: str) -> list[Problem]:
    """Write ``plan`` as a new workspace at ``path``; the notes, with their lines."""
    try:
        with path.open("x", encoding="utf-8") as stream:
            stream.write(
                "# Written by runbench import-halo: docs/halo.md says what maps to what.\n"
            )
    except FileExistsError:
        raise UsageError(
            f"{path} exists; import-halo writes a new file (choose another --out)"
        ) from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot create: {exc.strerror or exc}") from None
    document = WorkspaceDocument(path)
    edits = RunbookEdits(document)
    edits.set(("name",), name)
    if plan.halo:
        edits.set(("halo",), plan.halo)
    notes = merge_plan(plan, document)
    document.save()
    return notes


def merge_plan(plan: ImportPlan, document: WorkspaceDocument) -> list[Problem]:
    """Apply ``plan`` to ``document`` (not saved); the notes, with their lines."""
    current: dict[str, Any] = tomllib.loads(document.text())
    edits = RunbookEdits(document)
    variables = current.get("variables", {})
    for key, value in plan.variables.items():
        if key not in variables:
            document.set(["variables", key], value)
    integrations: dict[str, Any] = current.get("integrations", {})
    for key, table in plan.integrations.items():
        _integration(edits, key, table, integrations.get(key), list(integrations))
        integrations.setdefault(key, {})
    runbooks: dict[str, Any] = current.get("runbooks", {})
    for key, table in plan.runbooks.items():
        _runbook(edits, key, table, runbooks.get(key), list(runbooks))
        runbooks.setdefault(key, {})
    workspace, _ = document.model()
    return [
        Problem(str(document.path), workspace.line_of(n.keys), "warning", n.message, n.keys)
        for n in plan.notes
    ]


def _ordered(table: Table, first: tuple[str, ...]) -> Table:
    head = {k: table[k] for k in first if k in table}
    whole: Table = _tomlable(head | {k: v for k, v in table.items() if k not in first})
    return whole


def _tomlable(value: Any) -> Any:
    """Halo's raw values as TOML can hold them: TOML has no null, so a list holding one
    is kept as its JSON text, and a null in a table is left out."""
    if isinstance(value, dict):
        return {str(k): _tomlable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        if any(item is None for item in value):
            return json.dumps(value, ensure_ascii=False)
        return [_tomlable(item) for item in value]
    return value


def _update(
    edits: RunbookEdits,
    keys: KeyPath,
    new: Table,
    old: Mapping[str, Any],
    local: frozenset[str],
    managed: frozenset[str] | None = None,
) -> None:
    """Change an existing table in place, key by key, so unchanged keys keep their place
    and look: ``new``'s keys are set where they differ (``local`` ones only when missing),
    keys Halo gave before but not now are removed (``managed``: which keys come from
    Halo; None = every key not ``local``)."""
    for key, value in new.items():
        if key in old and (key in local or old[key] == value):
            continue
        value = _tomlable(value)
        edits.set(keys + (key,), text_block(value) if key in BLOCKS else toml_item(value))
    for key in old:
        from_halo = key not in local if managed is None else key in managed
        if key not in new and from_halo and key not in ("steps", "methods"):
            edits.delete_if_present(keys + (key,))


def _integration(
    edits: RunbookEdits, key: str, table: Table, old: Mapping[str, Any] | None, taken: list[str]
) -> None:
    keys = ("integrations", key)
    if old is None:
        values = {k: v for k, v in _ordered(table, ("title", "base_url", "auth")).items()}
        values.pop("methods", None)
        edits.add_imported(keys, values, taken, "integration")
    else:
        head = {k: v for k, v in table.items() if k in ("title", "halo")}
        _update(edits, keys, head, old, frozenset(), frozenset({"title", "halo"}))
    old_methods: Mapping[str, Any] = (old or {}).get("methods", {})
    methods: dict[str, Table] = table.get("methods", {})
    new_methods = []
    for mkey, method in methods.items():
        if mkey in old_methods:
            _update(edits, keys + ("methods", mkey), method, old_methods[mkey], _LOCAL_METHOD_KEYS)
        else:
            taken_methods = [m for m in methods if m != mkey]
            new_methods.append((mkey, _ordered(method, ("title",)), taken_methods))
    if new_methods:  # one edit: each new method after the last, as one by one would
        edits.add_imported_all(keys + ("methods",), new_methods, "method", BLOCKS)
    for mkey in old_methods:
        if mkey not in methods:
            edits.delete_method(key, mkey)


def _runbook(
    edits: RunbookEdits, key: str, table: Table, old: Mapping[str, Any] | None, taken: list[str]
) -> None:
    keys = ("runbooks", key)
    if old is None:
        values = {k: v for k, v in _ordered(table, ("title", "start")).items() if k != "steps"}
        edits.add_imported(keys, values, taken, "runbook")
    else:
        head = {k: v for k, v in table.items() if k != "steps"}
        _update(edits, keys, head, old, frozenset(), frozenset(_RUNBOOK_FROM_HALO))
    old_steps: Mapping[str, Any] = (old or {}).get("steps", {})
    steps: dict[str, Table] = table.get("steps", {})
    new_steps = []
    for skey, step in steps.items():
        before = old_steps.get(skey)
        if before is not None:  # changed in place: the lines it keeps keep their comments
            local = _LOCAL_STEP_KEYS
            if before.get("kind") == step.get("kind"):  # else the old kind's own keys go
                local |= _LOCAL_BY_KIND.get(str(step.get("kind")), frozenset())
            _update(edits, keys + ("steps", skey), step, before, local)
        else:
            taken_steps = [s for s in steps if s != skey and s not in old_steps]
            new_steps.append((skey, _ordered(step, ("kind", "title")), taken_steps))
    if new_steps:  # one edit: each new step after the last, as one by one would
        edits.add_imported_all(keys + ("steps",), new_steps, "step", BLOCKS)
    for skey in old_steps:
        if skey not in steps:
            edits.delete_step(key, skey)


__all__ = ["merge_plan", "write_plan"]
