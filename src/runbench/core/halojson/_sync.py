"""``pull`` and ``push``: a workspace and a Halo instance, each shown as a diff first.

A pull fetches runbooks (and with ``integrations``, custom integrations) from Halo,
converts them like ``import-halo`` does into the open workspace document (what Halo
already knew keeps its id; see ``merge_plan``) and hands back the document unsaved, with
the before and after text, so the caller can show the diff and save only when asked.
A push exports the runbooks (and integrations), fetches Halo's current version of every
one that has a Halo id and diffs the two (Halo's extra fields left out, so only what a
push would change shows); sending then saves the integrations first, writes the method
ids Halo assigned back into the workspace, exports the runbooks again so their method
steps carry those ids, saves them and keeps the runbook guids.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from runbench.core.errors import RunError, UsageError
from runbench.core.halojson._client import HaloClient
from runbench.core.halojson._export import HaloJson, export_integrations, export_runbooks
from runbench.core.halojson._import import import_halo
from runbench.core.halojson._plan import Note
from runbench.core.halojson._write import merge_plan
from runbench.core.workspace import (
    KeyPath,
    Problem,
    RunbookEdits,
    Workspace,
    WorkspaceDocument,
    to_id,
    toml_item,
)


def unified(before: str, after: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), old, new
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@dataclass
class PullPreview:
    """The pulled workspace, not saved yet."""

    document: WorkspaceDocument
    before: str
    warnings: list[Problem]
    pulled: list[str]

    @property
    def diff(self) -> str:
        path = str(self.document.path)
        return unified(self.before, self.document.text(), f"{path} (now)", f"{path} (pulled)")


async def prepare_pull(
    document: WorkspaceDocument,
    client: HaloClient,
    names: Sequence[str] = (),
    *,
    with_integrations: bool = False,
) -> PullPreview:
    workspace, _ = document.model()
    chosen = pick_runbooks(await client.runbooks(), names, workspace)
    books = [await client.runbook(str(row["id"])) for row in chosen]
    integrations: list[dict[str, Any]] = []
    if with_integrations:
        for row in await client.integrations():
            if isinstance(row.get("id"), int):
                integrations.append(await client.integration(row["id"]))
    plan = import_halo(books, integrations, into=workspace)
    before = document.text()
    warnings = merge_plan(plan, document)
    pulled = [str(book.get("name")) for book in books] + [str(i.get("name")) for i in integrations]
    return PullPreview(document, before, warnings, pulled)


def pick_runbooks(
    rows: Sequence[Mapping[str, Any]], names: Sequence[str], workspace: Workspace
) -> list[Mapping[str, Any]]:
    """The Halo runbooks ``names`` mean (Halo's name, its id-form, or a workspace runbook
    that came from it); all of them when no name is given."""
    rows = [row for row in rows if row.get("id") not in (None, "")]
    if not names:
        return list(rows)
    chosen: list[Mapping[str, Any]] = []
    for name in names:
        local = workspace.runbooks.get(name)
        guid = local.halo.get("id") if local else None
        found = [
            row
            for row in rows
            if str(row.get("name")) == name
            or to_id(str(row.get("name")), "") == name
            or (guid and str(row["id"]) == str(guid))
        ]
        if not found:
            known = ", ".join(sorted(str(row.get("name")) for row in rows)) or "none"
            raise UsageError(f"Halo has no runbook '{name}' (it has: {known})")
        chosen.append(found[0])
    return chosen


@dataclass
class PushPreview:
    """What a push would send, and how it differs from what Halo has."""

    runbooks: list[str]
    integrations: list[str]
    diff: str
    notes: list[Note] = field(default_factory=list)


def _project(remote: Any, local: Any) -> Any:
    """``remote`` cut down to the shape of ``local`` (Halo adds fields runbench never sends)."""
    if isinstance(local, dict) and isinstance(remote, dict):
        return {k: _project(remote[k], v) for k, v in local.items() if k in remote}
    if isinstance(local, list) and isinstance(remote, list):
        if local and all(isinstance(x, dict) and "step_id" in x for x in local):
            by_id = {x.get("step_id"): x for x in remote if isinstance(x, dict)}
            kept = [_project(by_id[x["step_id"]], x) for x in local if x["step_id"] in by_id]
            others = [
                x
                for x in remote
                if isinstance(x, dict) and x.get("step_id") not in {y["step_id"] for y in local}
            ]
            return kept + others
        return [_project(r, lo) for r, lo in zip(remote, local, strict=False)] + remote[
            len(local) :
        ]
    return remote


def _text(value: Any) -> str:
    return (
        ""
        if value is None
        else json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )


async def _remote(client: HaloClient, kind: str, found: HaloJson) -> Any:
    if "id" not in found:
        return None
    try:
        if kind == "runbook":
            return await client.runbook(str(found["id"]))
        return await client.integration(int(found["id"]))
    except RunError as exc:
        if "HTTP 404" in str(exc):
            return None
        raise


async def prepare_push(
    workspace: Workspace,
    client: HaloClient,
    names: Sequence[str],
    integrations: Sequence[str] = (),
) -> PushPreview:
    """What pushing the runbooks ``names`` (all when empty) and the ``integrations``
    would change in Halo."""
    books = export_runbooks(workspace, names)
    custom = export_integrations(workspace, integrations) if integrations else None
    parts: list[str] = []
    pairs = [("integration", o) for o in (custom.objects if custom else [])]
    pairs += [("runbook", o) for o in books.objects]
    for kind, found in pairs:
        remote = await _remote(client, kind, found)
        label = f"{kind} '{found.get('name')}'"
        before = _text(_project(remote, found)) if remote is not None else ""
        parts.append(unified(before, _text(found), f"Halo: {label}", f"workspace: {label}"))
    notes = books.notes + (custom.notes if custom else [])
    runbooks = list(names) or list(workspace.runbooks)
    return PushPreview(runbooks, list(integrations), "".join(parts), notes)


async def push(document: WorkspaceDocument, client: HaloClient, preview: PushPreview) -> None:
    """Send what ``preview`` showed; Halo's new ids go into ``document`` (not saved)."""
    edits = RunbookEdits(document)
    workspace, _ = document.model()
    if preview.integrations:
        sent = export_integrations(workspace, preview.integrations).objects
        saved = await client.save_integrations(sent)
        for key, answer in zip(preview.integrations, saved, strict=True):
            _record_integration(edits, workspace, key, answer)
        workspace, _ = document.model()
    books = export_runbooks(workspace, preview.runbooks).objects
    saved = await client.save_runbooks(books)
    for key, answer in zip(preview.runbooks, saved, strict=True):
        if answer.get("id"):
            _set_halo(edits, ("runbooks", key), workspace.runbooks[key].halo, {"id": answer["id"]})


def _record_integration(
    edits: RunbookEdits, workspace: Workspace, key: str, answer: Mapping[str, Any]
) -> None:
    integration = workspace.integrations[key]
    if isinstance(answer.get("id"), int):
        _set_halo(edits, ("integrations", key), integration.halo, {"id": answer["id"]})
    by_name = {m.get("name"): m for m in answer.get("methods") or [] if isinstance(m, dict)}
    for method in integration.methods.values():
        found = by_name.get(method.title or method.id)
        if found is None:
            continue
        values = {k: found[k] for k in ("id", "guid") if found.get(k) not in (None, "")}
        _set_halo(edits, ("integrations", key, "methods", method.id), method.halo, values)


def _set_halo(
    edits: RunbookEdits, keys: KeyPath, old: Mapping[str, Any], values: Mapping[str, Any]
) -> None:
    merged = {**old, **values}
    if merged != dict(old):
        edits.set(keys + ("halo",), toml_item(merged))


__all__ = ["PullPreview", "PushPreview", "pick_runbooks", "prepare_pull", "prepare_push", "push"]
