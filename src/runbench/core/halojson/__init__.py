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

from runbench.core.halojson._client import HaloClient
from runbench.core.halojson._codes import RUNBOOK_TYPE
from runbench.core.halojson._export import (
    Exported,
    HaloJson,
    custom_integrations,
    export_integrations,
    export_runbooks,
    to_json_text,
)
from runbench.core.halojson._import import import_halo
from runbench.core.halojson._plan import ImportPlan, Note
from runbench.core.halojson._source import (
    HaloJsonError,
    integration_objects,
    load_json,
    runbook_objects,
)
from runbench.core.halojson._sync import (
    PullPreview,
    PushPreview,
    pick_runbooks,
    prepare_pull,
    prepare_push,
    push,
)
from runbench.core.halojson._write import merge_plan, write_plan

__all__ = [
    "Exported",
    "HaloClient",
    "PullPreview",
    "PushPreview",
    "custom_integrations",
    "pick_runbooks",
    "prepare_pull",
    "prepare_push",
    "push",
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
    "merge_plan",
    "runbook_objects",
    "to_json_text",
    "write_plan",
]
