"""The workspace: its model, how a TOML file becomes one, and every edit written back.

Import from here. Reading: ``read_workspace``/``load_workspace`` (tomllib, fast) build the
frozen model (``Workspace``, ``Integration``, ``Method``, ``Runbook``, ``Step``, ...);
``check_workspace`` finds every ``Problem`` with its line. Writing: ``WorkspaceDocument``
keeps the tomlkit document (comments and layout kept, atomic save, conflict detection) and
``WorkspaceEdits``/``RunbookEdits`` are the only functions that change it, so the TUI,
``import-curl`` and every importer obey the same id rule (``check_id``).

The writing side (the document store, the edits, the starter and what they import:
tomlkit helpers, the edit history, the save lock) is imported on first use of one of its
names (module ``__getattr__``): a run, ``check`` and ``serve`` only read, and those eight
modules were ~5% of `runbench run`'s start-up.
"""

import importlib
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from runbench.core.workspace._ids import (
    ID_HINT,
    ID_PATTERN,
    check_id,
    id_problem,
    to_id,
    unique_name,
)
from runbench.core.workspace._load import load_workspace, read_workspace
from runbench.core.workspace._model import (
    AI_TYPES,
    AUTH_TYPES,
    BODY_TYPES,
    DEFAULT_AI_MODEL,
    EDGE_KEYS,
    EXPECT_TYPES,
    INPUT_TYPES,
    OPERATORS,
    OUTPUT_TYPES,
    STEP_KINDS,
    UNARY_OPERATORS,
    VERBS,
    Auth,
    Endpoint,
    Expect,
    HaloFields,
    InputSpec,
    Integration,
    KeyPath,
    Limits,
    Method,
    Output,
    Retry,
    Rule,
    Runbook,
    Secretish,
    SecretRef,
    Step,
    Workspace,
)
from runbench.core.workspace._problems import (
    Problem,
    counted,
    summary,
)
from runbench.core.workspace._references import (
    check_secret_references,
    secret_references,
)
from runbench.core.workspace._trigger import TRIGGER_VALUES, context_used
from runbench.core.workspace._validate import (
    REQUIRED_EDGES,
    Checker,
    check_workspace,
    successors,
    workspace_errors,
)

if TYPE_CHECKING:
    from runbench.core.workspace._edits import (
        SECRET_FIELDS,
        SECRETISH_FIELDS,
        WorkspaceEdits,
        method_references,
        parse_secret_text,
        secret_text,
        starter_title,
        text_block,
        toml_item,
    )
    from runbench.core.workspace._runbook_edits import (
        RunbookEdits,
        edge_references,
        runbook_references,
        step_keys,
    )
    from runbench.core.workspace._starter import starter_text
    from runbench.core.workspace._store import WorkspaceDocument, atomic_write

_WRITING = MappingProxyType(
    {
        "SECRET_FIELDS": "_edits",
        "SECRETISH_FIELDS": "_edits",
        "WorkspaceEdits": "_edits",
        "method_references": "_edits",
        "parse_secret_text": "_edits",
        "secret_text": "_edits",
        "starter_title": "_edits",
        "text_block": "_edits",
        "toml_item": "_edits",
        "RunbookEdits": "_runbook_edits",
        "edge_references": "_runbook_edits",
        "runbook_references": "_runbook_edits",
        "step_keys": "_runbook_edits",
        "starter_text": "_starter",
        "WorkspaceDocument": "_store",
        "atomic_write": "_store",
    }
)


def __getattr__(name: str) -> Any:
    """The writing side's names (``_WRITING``), imported when first asked for."""
    module = _WRITING.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "AI_TYPES",
    "AUTH_TYPES",
    "Auth",
    "BODY_TYPES",
    "Checker",
    "DEFAULT_AI_MODEL",
    "EDGE_KEYS",
    "Endpoint",
    "HaloFields",
    "EXPECT_TYPES",
    "Expect",
    "ID_HINT",
    "ID_PATTERN",
    "INPUT_TYPES",
    "InputSpec",
    "Integration",
    "KeyPath",
    "Limits",
    "Method",
    "OPERATORS",
    "OUTPUT_TYPES",
    "Output",
    "Problem",
    "REQUIRED_EDGES",
    "Retry",
    "Rule",
    "Runbook",
    "RunbookEdits",
    "SECRETISH_FIELDS",
    "SECRET_FIELDS",
    "STEP_KINDS",
    "TRIGGER_VALUES",
    "SecretRef",
    "Secretish",
    "Step",
    "UNARY_OPERATORS",
    "VERBS",
    "Workspace",
    "WorkspaceDocument",
    "WorkspaceEdits",
    "atomic_write",
    "check_id",
    "check_secret_references",
    "check_workspace",
    "context_used",
    "counted",
    "id_problem",
    "edge_references",
    "load_workspace",
    "method_references",
    "parse_secret_text",
    "read_workspace",
    "runbook_references",
    "secret_references",
    "secret_text",
    "starter_text",
    "starter_title",
    "step_keys",
    "successors",
    "workspace_errors",
    "summary",
    "to_id",
    "text_block",
    "toml_item",
    "unique_name",
]
