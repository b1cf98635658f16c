"""``import_halo``: Halo JSON objects into an ``ImportPlan``, alone or into a workspace.

Integrations first (so method steps can find their methods by Halo's id or guid), then
runbooks. Into an existing workspace (a pull), what Halo already knew keeps its id: the
workspace's integrations, methods and runbooks are matched by the Halo ids they keep.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from runbench.core.halojson._integrations_in import MethodIndex, import_integrations
from runbench.core.halojson._plan import ImportPlan
from runbench.core.halojson._runbooks_in import Importer
from runbench.core.workspace import Workspace


def import_halo(
    runbooks: Sequence[Mapping[str, Any]],
    integrations: Sequence[Mapping[str, Any]] = (),
    *,
    into: Workspace | None = None,
) -> ImportPlan:
    """The workspace ``runbooks`` and ``integrations`` (Halo JSON objects) make; ``into``:
    merged into that workspace (a pull), so objects Halo already knew keep their ids and
    method steps find the workspace's methods."""
    plan = ImportPlan()
    index = MethodIndex()
    runbook_ids: dict[str, str] = {}
    if into is not None:
        _known(into, plan, index, runbook_ids)
    embedded = [
        item
        for book in runbooks
        for item in (book.get("integrations") or [])
        if isinstance(item, Mapping) and isinstance(item.get("methods"), list)
    ]
    import_integrations([*integrations, *embedded], plan, index)
    Importer(plan, index, runbook_ids).run(list(runbooks))
    return plan


def _known(
    into: Workspace, plan: ImportPlan, index: MethodIndex, runbook_ids: dict[str, str]
) -> None:
    plan.halo = into.halo
    plan.reserved = {"integrations": set(into.integrations), "runbooks": set(into.runbooks)}
    for integration in into.integrations.values():
        number = integration.halo.get("id")
        if isinstance(number, int):
            plan.integration_ids[number] = integration.id
        for method in integration.methods.values():
            index.add(method.ref, method.halo.get("id"), method.halo.get("guid"))
            if isinstance(method.halo.get("id"), int):
                plan.method_keys[method.halo["id"]] = (integration.id, method.id)
    for runbook in into.runbooks.values():
        if runbook.halo.get("id"):
            runbook_ids[str(runbook.halo["id"])] = runbook.id


__all__ = ["import_halo"]
