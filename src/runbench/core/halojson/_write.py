"""Turn an ``ImportPlan`` into a new workspace file, through the workspace room's edits.

Every id goes through the same id rule as the TUI's and ``import-curl``'s (the edits'
``add_imported`` checks it), so nothing an import writes can be refused by ``check``.
The file is created exclusively (an existing file is never overwritten) and saved
atomically; then each note gets the line its key path landed on.
"""

from __future__ import annotations

from pathlib import Path

from runbench.core.errors import UsageError
from runbench.core.halojson._plan import ImportPlan, Table
from runbench.core.workspace import (
    Problem,
    RunbookEdits,
    WorkspaceDocument,
    read_workspace,
)

BLOCKS = frozenset({"body", "query", "prompt"})
_INTEGRATION_ORDER = ("title", "base_url", "auth", "halo")
_STEP_ORDER = ("kind", "title")


def write_plan(plan: ImportPlan, path: Path, name: str) -> list[Problem]:
    """Write ``plan`` as a new workspace at ``path``; the notes, with their lines."""
    try:
        with path.open("x", encoding="utf-8") as stream:
            stream.write(
                "# Written by runbench import-halo: see docs/halo.md for what maps to what.\n"
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
    if plan.variables:
        document.add_table(["variables"], dict(plan.variables))
    for key, table in plan.integrations.items():
        _integration(
            edits, key, table, list(plan.integrations)[: list(plan.integrations).index(key)]
        )
    written: list[str] = []
    for key, table in plan.runbooks.items():
        _runbook(edits, key, table, written)
        written.append(key)
    document.save()
    workspace, _ = read_workspace(path)
    return [
        Problem(str(path), workspace.line_of(note.keys), "warning", note.message, note.keys)
        for note in plan.notes
    ]


def _ordered(table: Table, first: tuple[str, ...]) -> Table:
    return {k: table[k] for k in first if k in table} | {
        k: v for k, v in table.items() if k not in first
    }


def _integration(edits: RunbookEdits, key: str, table: Table, taken: list[str]) -> None:
    values = {k: v for k, v in _ordered(table, _INTEGRATION_ORDER).items() if k != "methods"}
    edits.add_imported(("integrations", key), values, taken, "integration")
    methods: dict[str, Table] = table.get("methods", {})
    for index, (mkey, method) in enumerate(methods.items()):
        keys = ("integrations", key, "methods", mkey)
        edits.add_imported(
            keys, _ordered(method, ("title",)), list(methods)[:index], "method", BLOCKS
        )


def _runbook(edits: RunbookEdits, key: str, table: Table, taken: list[str]) -> None:
    values = {k: v for k, v in _ordered(table, ("title", "start")).items() if k != "steps"}
    edits.add_imported(("runbooks", key), values, taken, "runbook")
    steps: dict[str, Table] = table.get("steps", {})
    for index, (skey, step) in enumerate(steps.items()):
        keys = ("runbooks", key, "steps", skey)
        edits.add_imported(keys, _ordered(step, _STEP_ORDER), list(steps)[:index], "step", BLOCKS)


__all__ = ["write_plan"]
