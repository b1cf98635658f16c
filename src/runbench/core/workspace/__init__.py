"""The workspace: its model, how a TOML file becomes one, and every edit written back.

Import from here. Reading: ``read_workspace``/``load_workspace`` (tomllib, fast) build the
frozen model (``Workspace``, ``Integration``, ``Method``, ``Runbook``, ``Step``, ...);
``check_workspace`` finds every ``Problem`` with its line. Writing: ``WorkspaceDocument``
keeps the tomlkit document (comments and layout kept, atomic save, conflict detection) and
``WorkspaceEdits``/``RunbookEdits`` are the only functions that change it, so the TUI,
``import-curl`` and every importer obey the same id rule (``check_id``).
"""

from runbench.core.workspace._edits import (
    SECRET_FIELDS,
    SECRETISH_FIELDS,
    WorkspaceEdits,
    method_references,
    parse_secret_text,
    secret_text,
    text_block,
    toml_item,
)
from runbench.core.workspace._ids import (
    ID_HINT,
    ID_PATTERN,
    check_id,
    id_problem,
    to_id,
    unique_name,
)
from runbench.core.workspace._model import (
    AI_TYPES,
    AUTH_TYPES,
    BODY_TYPES,
    DEFAULT_AI_MODEL,
    EDGE_KEYS,
    OPERATORS,
    OUTPUT_TYPES,
    STEP_KINDS,
    UNARY_OPERATORS,
    VERBS,
    Auth,
    Endpoint,
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
)
from runbench.core.workspace._runbook_edits import (
    RunbookEdits,
    edge_references,
    step_keys,
)
from runbench.core.workspace._store import (
    WorkspaceDocument,
    atomic_write,
    load_workspace,
    read_workspace,
)
from runbench.core.workspace._validate import (
    REQUIRED_EDGES,
    Checker,
    check_workspace,
    successors,
)

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
    "ID_HINT",
    "ID_PATTERN",
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
    "check_workspace",
    "id_problem",
    "edge_references",
    "load_workspace",
    "method_references",
    "parse_secret_text",
    "read_workspace",
    "secret_text",
    "step_keys",
    "successors",
    "to_id",
    "text_block",
    "toml_item",
    "unique_name",
]
