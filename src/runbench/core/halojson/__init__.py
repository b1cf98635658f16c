"""Halo's own JSON for runbooks and custom integrations, both ways.

Import from here. ``import_halo`` turns Halo runbook JSON (one object, an array, or a
``rows``/``details`` bundle) and custom integration JSON into an ``ImportPlan``;
``write_plan`` writes it as a new workspace; ``export_runbooks``/``export_integrations``
give a workspace back as the JSON ``POST /api/Webhook`` and ``POST /api/CustomIntegration``
accept. Every approximation is a ``Note`` with the key path it concerns. This room sits
above ``workspace`` (which imports ``halo``, the API-action catalogue), so neither of
those depends on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from runbench.core.halojson._codes import RUNBOOK_TYPE
from runbench.core.halojson._export import (
    Exported,
    HaloJson,
    export_integrations,
    export_runbooks,
    to_json_text,
)
from runbench.core.halojson._integrations_in import MethodIndex, import_integrations
from runbench.core.halojson._plan import ImportPlan, Note
from runbench.core.halojson._runbooks_in import Importer
from runbench.core.halojson._source import (
    HaloJsonError,
    integration_objects,
    load_json,
    runbook_objects,
)
from runbench.core.halojson._write import write_plan


def import_halo(
    runbooks: Sequence[Mapping[str, Any]], integrations: Sequence[Mapping[str, Any]] = ()
) -> ImportPlan:
    """The workspace ``runbooks`` and ``integrations`` (Halo JSON objects) make."""
    plan = ImportPlan()
    index = MethodIndex()
    embedded = [
        item
        for book in runbooks
        for item in (book.get("integrations") or [])
        if isinstance(item, Mapping) and isinstance(item.get("methods"), list)
    ]
    import_integrations([*integrations, *embedded], plan, index)
    Importer(plan, index, {}).run(list(runbooks))
    return plan


__all__ = [
    "Exported",
    "HaloJson",
    "HaloJsonError",
    "ImportPlan",
    "Note",
    "RUNBOOK_TYPE",
    "export_integrations",
    "export_runbooks",
    "import_halo",
    "integration_objects",
    "load_json",
    "runbook_objects",
    "to_json_text",
    "write_plan",
]
