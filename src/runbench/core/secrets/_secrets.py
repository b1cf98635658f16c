"""Resolve `{ env = .. }` / `{ secret = .. }` references and keep their values out of output.

A workspace file is shared and committed, so credentials live outside it: in the
environment, or in ``.runbench/secrets.toml`` beside the workspace (readable by its owner
only, like ``~/.ssh``). Every value resolved here is remembered, so the one Redactor every
consumer shares (executor, engine, journal writes, CLI printers, workbench) can blank it
wherever it turns up later: request records, response bodies that echo it back, error
messages, stored variables. ``preload`` resolves every credential a workspace names up
front (skipping the ones that cannot be resolved yet), so a value is known before the
first response that could echo it, and registers the outputs declared ``secret = true``. Redaction is by value *and* by place (auth headers,
api-key query parameters), so a credential is hidden even when it was never resolved here
(a literal token in a header) or is too short to search for safely.
"""

from __future__ import annotations

import os
import stat
import threading
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from runbench.core.errors import SecretError, UsageError
from runbench.core.files import MAX_SECRETS_BYTES, FileTooLargeError, read_capped_text
from runbench.core.secrets._redactor import Redactor
from runbench.core.workspace import Output, Secretish, SecretRef, Workspace


def secrets_file(workspace_path: str | Path) -> Path:
    """Where the secrets of the workspace at ``workspace_path`` live (beside the file a
    symlink points at). A symlink loop is a UsageError (``resolve`` raises RuntimeError)."""
    try:
        folder = Path(workspace_path).resolve().parent
    except (RuntimeError, OSError) as exc:
        raise UsageError(f"{workspace_path}: cannot follow its symbolic links ({exc})") from None
    return folder / ".runbench" / "secrets.toml"


class Secrets:
    """Resolves secret references for one workspace and remembers every value it handed out."""

    def __init__(self, workspace_path: str | Path, environ: Mapping[str, str]) -> None:
        self.path = secrets_file(workspace_path)
        self._environ = environ
        self._file: dict[str, str] | None = None
        self._known: set[str] = set()
        self._lock = threading.Lock()
        self._preloaded: set[str] = set()
        self.redactor = Redactor()
        """Shared by everything that uses these secrets; learns each value as it is known."""

    def resolve(self, value: Secretish, *, sensitive: bool = True) -> str:
        """The value of ``value``. A literal string is returned as is (and remembered when
        ``sensitive``); references are always remembered. Raises SecretError naming the
        reference and where to set it."""
        if isinstance(value, SecretRef):
            found = self._lookup(value)
            self.remember(found)
            return found
        if sensitive:
            self.remember(value)
        return value

    def remember(self, value: str) -> None:
        """Treat ``value`` as secret from now on (e.g. an OAuth2 access token)."""
        if not value or value in self._known:
            return
        with self._lock:
            self._known.add(value)
            self.redactor.add(value)

    def remember_value(self, value: Any) -> None:
        """Treat every string (and number) inside JSON-like ``value`` as secret: the value
        of an output declared ``secret = true``."""
        for leaf in _leaves(value):
            self.remember(leaf)

    def known_values(self) -> set[str]:
        return set(self._known)

    def preload(self, workspace: Workspace) -> None:
        """Learn, before any request, every credential ``workspace`` names (literal or
        reference; references that cannot be resolved now are skipped: using them reports
        the error) and the names of its secret outputs. Once per workspace file."""
        if workspace.path in self._preloaded:
            return
        self._preloaded.add(workspace.path)
        self.redactor.secret_name(*secret_output_names(workspace))
        for integration in workspace.integrations.values():
            auth = integration.auth
            for value in (auth.value, auth.token, auth.password, auth.client_secret):
                self._try(value)
            if auth.type == "basic":
                self._try_basic(auth.username, auth.password)
            if auth.type in ("bearer", "oauth2"):
                self.redactor.sensitive_header(auth.header)
            if auth.type == "api_key" and auth.name:
                if auth.location == "query":
                    self.redactor.sensitive_query(auth.name)
                else:
                    self.redactor.sensitive_header(auth.name)
        for runbook in workspace.runbooks.values():
            endpoint = runbook.endpoint
            for value in (endpoint.password, *endpoint.secrets):
                self._try(value)

    def _try(self, value: Secretish) -> None:
        if isinstance(value, SecretRef) or value:
            try:
                self.resolve(value)
            except SecretError:
                pass

    def _try_basic(self, username: Secretish, password: Secretish) -> None:
        try:
            user = self.resolve(username, sensitive=False)
            secret = self.resolve(password)
        except SecretError:
            return
        self.redactor.add_basic(user, secret)

    def _lookup(self, ref: SecretRef) -> str:
        if ref.source == "env":
            try:
                return self._environ[ref.name]
            except KeyError:
                raise SecretError(
                    f"environment variable {ref.name} is not set (needed by {ref}); "
                    f'export {ref.name}=... before running, or use {{ secret = "{ref.name}" }} '
                    f"and put it in {self.path}"
                ) from None
        table = self._load_file()
        if ref.name not in table:
            raise SecretError(
                f'secret {ref.name!r} is not in {self.path}; add a line {ref.name} = "..." '
                "there (the file must be readable by you only: chmod 600)"
            )
        return table[ref.name]

    def _load_file(self) -> dict[str, str]:
        if self._file is None:
            self._file = read_secrets_file(self.path)
        return self._file


def secret_output_names(workspace: Workspace) -> set[str]:
    """Names of the outputs declared ``secret = true`` anywhere in ``workspace`` (a name
    secret in one place is treated as secret everywhere)."""
    outputs: list[Output] = []
    for integration in workspace.integrations.values():
        for method in integration.methods.values():
            outputs += method.outputs
    for runbook in workspace.runbooks.values():
        for step in runbook.steps.values():
            outputs += step.outputs
    return {output.name for output in outputs if output.secret}


def _leaves(value: Any) -> Iterator[str]:
    """The strings and numbers inside JSON-like ``value``, as text (iteratively: a deeply
    nested value must not exhaust the stack)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, (int, float)):
            yield str(item)
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def read_secrets_file(path: Path) -> dict[str, str]:
    """The name = "value" pairs of a secrets file; refuses files others can read."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise SecretError(
            f'no secrets file at {path}; create it with name = "value" lines and chmod 600 it'
        ) from None
    if os.name == "posix" and stat.S_IMODE(mode) & 0o077:
        raise SecretError(
            f"{path} is readable by others (mode {stat.S_IMODE(mode):o}); refusing to use it. "
            f"Run: chmod 600 {path}"
        )
    try:
        data = tomllib.loads(read_capped_text(path, MAX_SECRETS_BYTES))
    except FileTooLargeError as exc:
        raise SecretError(f"cannot read {path}: {exc}") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
        # The parser's message can quote the offending line, which may hold a secret.
        raise SecretError(f"cannot read {path}: {type(exc).__name__}; check its syntax") from None
    bad = [k for k, v in data.items() if not isinstance(v, str)]
    if bad:
        raise SecretError(f'{path}: {", ".join(bad)} must be strings (name = "value")')
    return {k: v for k, v in data.items() if isinstance(v, str)}


__all__ = ["Secrets", "read_secrets_file", "secret_output_names", "secrets_file"]
