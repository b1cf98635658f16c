"""Testing a method from the workbench: the same Executor call as `runbench test`.

The workbench adds nothing to the request: it builds an ``Executor`` for the workspace
as edited (overrides such as ``--var sandbox=...`` passed as run variables, never written
to the file), calls the method with its test values and hands back the ``Exchange``.
Also here: the scope an output path is evaluated in, rebuilt from the recorded response
for the expression checker (the same roots the executor uses).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from runbench.core.errors import RunbenchError
from runbench.core.http import Exchange, Executor
from runbench.core.secrets import Secrets
from runbench.core.workspace import Method, Workspace


async def call_method(
    workspace: Workspace,
    method: Method,
    *,
    overrides: Mapping[str, Any],
    environ: Mapping[str, str],
    transport: httpx.AsyncBaseTransport | None = None,
) -> Exchange:
    """Call ``method`` with its test values; failures come back inside the Exchange."""
    try:
        secrets = Secrets(workspace.path, environ)
        async with Executor(
            workspace, secrets=secrets, transport=transport, variables=overrides
        ) as executor:
            return await executor.call(method, dict(method.test_values))
    except RunbenchError as exc:
        return Exchange(None, None, {}, {}, str(exc), "render", 0.0)


def variables_of(
    workspace: Workspace, method: Method, overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """Every value a test of ``method`` can use: workspace variables, overrides, test values."""
    return {**workspace.variables, **overrides, **method.test_values}
