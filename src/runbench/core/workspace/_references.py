"""Secret references that will not resolve: what `runbench check` warns about on this
machine.

``check_workspace`` judges the file alone, the same everywhere; whether
``{ env = "TOKEN" }`` is set or ``{ secret = "halo" }`` is in ``.runbench/secrets.toml``
depends on where the workspace is opened. So this is a separate check that takes the
environment and the secret names (the caller reads the secrets file), and the CLI and
the workbench both call it: a run that would stop with "environment variable TOKEN is
not set" is caught, with its line, before anything is sent.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping

from runbench.core.workspace._model import KeyPath, SecretRef, Workspace
from runbench.core.workspace._problems import Problem, dotted

AUTH_SECRETISH = ("value", "token", "username", "password", "client_id", "client_secret")


def secret_references(workspace: Workspace) -> Iterator[tuple[KeyPath, SecretRef]]:
    """Every ``env:``/``secret:`` reference of the workspace, with the keys it is at."""
    for integration in workspace.integrations.values():
        for field in AUTH_SECRETISH:
            value = getattr(integration.auth, field)
            if isinstance(value, SecretRef):
                yield ("integrations", integration.id, "auth", field), value
    for runbook in workspace.runbooks.values():
        keys: KeyPath = ("runbooks", runbook.id, "endpoint")
        endpoint = runbook.endpoint
        for field in ("username", "password"):
            value = getattr(endpoint, field)
            if isinstance(value, SecretRef):
                yield keys + (field,), value
        single = keys + ("secret",)
        for index, value in enumerate(endpoint.secrets):
            if isinstance(value, SecretRef):
                yield (
                    (single if single in workspace.lines else keys + ("secrets", str(index))),
                    value,
                )
        for step in runbook.steps.values():
            if isinstance(step.database, SecretRef):
                yield ("runbooks", runbook.id, "steps", step.id, "database"), step.database


def check_secret_references(
    workspace: Workspace,
    environ: Mapping[str, str],
    secret_names: Collection[str],
    secrets_path: str = ".runbench/secrets.toml",
) -> list[Problem]:
    """A warning, with its line, for each reference that would not resolve here: an
    ``env:`` name missing from ``environ``, a ``secret:`` name missing from the file."""
    problems: list[Problem] = []
    for keys, ref in secret_references(workspace):
        if ref.source == "env" and ref.name not in environ:
            what = f"environment variable {ref.name} is not set; export {ref.name}=... first"
        elif ref.source == "secret" and ref.name not in secret_names:
            what = (
                f"secret '{ref.name}' is not in {secrets_path}; "
                f"set it with: runbench secret set {ref.name} -w {workspace.path}"
            )
        else:
            continue
        line = workspace.line_of(keys)
        message = f"{dotted(keys)}: {what}"
        problems.append(Problem(workspace.path, line, "warning", message, keys))
    return problems


__all__ = ["check_secret_references", "secret_references"]
