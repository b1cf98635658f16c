"""One tree of errors for everything runbench can refuse or fail at.

Every message says what went wrong, where (file:line, step, variable) and, where
possible, what to do. Callers catch ``RunbenchError`` to handle them all; the CLI
maps ``UsageError``/``WorkspaceError`` to exit 2.

    RunbenchError
    ├── UsageError                 bad command-line input
    ├── WorkspaceError             a workspace file cannot be used
    │   ├── WorkspaceReadError     missing/unreadable file
    │   ├── TomlSyntaxError        TOML syntax, with line and column
    │   ├── SchemaError            wrong shape of a key, with key path and line
    │   └── ConcurrentEditError    file changed on disk since it was loaded
    ├── ExpressionError            output paths and <<templates>>
    │   ├── PathSyntaxError        with position and a caret line
    │   ├── NoMatchError           a path found nothing, says where it stopped
    │   ├── UnknownVariableError   a <<name>> nobody set, with suggestions
    │   └── RenderError            a value cannot go where the template puts it
    ├── SecretError                an {env=..}/{secret=..} reference cannot be resolved
    ├── HttpError                  a request could not complete (kind says which)
    │   └── AuthError              the token endpoint refused or answered badly
    ├── RunError                   a run cannot start or continue (guards, journal)
    └── JournalError               the run journal cannot be opened, read or written
        └── DamagedRowError        one stored row does not decode (its run cannot go on)
"""

from __future__ import annotations

from collections.abc import Iterable


class RunbenchError(Exception):
    """Base of every error runbench raises on purpose."""


class UsageError(RunbenchError):
    """The command line asked for something that cannot be done."""


class WorkspaceError(RunbenchError):
    """A workspace file cannot be read, parsed or used."""

    def __init__(self, message: str, *, file: str = "", line: int | None = None) -> None:
        self.file = file
        self.line = line
        self.bare = message
        where = file if line is None else f"{file}:{line}"
        super().__init__(f"{where}: {message}" if where else message)


class WorkspaceReadError(WorkspaceError):
    """The file is missing or unreadable."""


class TomlSyntaxError(WorkspaceError):
    """The file is not valid TOML."""

    def __init__(self, message: str, *, file: str, line: int, column: int) -> None:
        self.column = column
        super().__init__(f"TOML syntax error at column {column}: {message}", file=file, line=line)


class SchemaError(WorkspaceError):
    """A key has the wrong type or value; ``key`` is its dotted path."""

    def __init__(
        self, message: str, *, file: str = "", line: int | None = None, key: str = ""
    ) -> None:
        self.key = key
        super().__init__(f"{key}: {message}" if key else message, file=file, line=line)


class ConcurrentEditError(WorkspaceError):
    """Saving would overwrite changes someone else made on disk."""


class ExpressionError(RunbenchError):
    """A path or a template is wrong or cannot be evaluated."""


class PathSyntaxError(ExpressionError):
    """A path does not follow the grammar. ``position`` is 0-based."""

    def __init__(self, message: str, *, expression: str, position: int) -> None:
        self.expression = expression
        self.position = position
        self.reason = message
        shown, caret = _around(expression, position)
        super().__init__(f"{message} at position {position + 1}\n  {shown}\n  {' ' * caret}^")


_EXCERPT_WIDTH = 72
"""Characters of an expression a syntax error shows around its caret: a hostile or
generated path can be kilobytes long, and the message is printed and drawn whole."""


def _around(text: str, position: int) -> tuple[str, int]:
    """``text`` cut to about ``_EXCERPT_WIDTH`` characters around ``position`` (``...``
    marks what was cut) and the caret's column in it."""
    if len(text) <= _EXCERPT_WIDTH:
        return text, position
    half = _EXCERPT_WIDTH // 2
    start = max(0, min(position - half, len(text) - _EXCERPT_WIDTH))
    end = start + _EXCERPT_WIDTH
    head = "..." if start else ""
    tail = "..." if end < len(text) else ""
    return f"{head}{text[start:end]}{tail}", position - start + len(head)


class NoMatchError(ExpressionError):
    """A path was valid but found nothing; ``segment`` is where it stopped."""

    def __init__(self, message: str, *, expression: str = "", segment: str = "") -> None:
        self.expression = expression
        self.segment = segment
        super().__init__(message)


class UnknownVariableError(ExpressionError):
    """A template names a variable that has no value."""

    def __init__(
        self, name: str, *, template: str = "", position: int = 0, known: Iterable[str] = ()
    ) -> None:
        self.name = name
        self.template = template
        self.position = position
        self.suggestions = suggest(name, known)
        hint = (
            f" (did you mean {', '.join(repr(s) for s in self.suggestions)}?)"
            if self.suggestions
            else ""
        )
        where = f" in {template!r} at position {position + 1}" if template else ""
        super().__init__(f"unknown variable '{name}'{where}{hint}")


class RenderError(ExpressionError):
    """A value cannot be placed where the template puts it (e.g. CR/LF in a header)."""


class SecretError(RunbenchError):
    """A secret reference cannot be resolved."""


class HttpError(RunbenchError):
    """A request could not complete. ``kind`` is one of: timeout, connect, dns, tls,
    too_large, invalid_json, redirects, protocol, render."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(message)


class AuthError(HttpError):
    """Getting credentials failed (e.g. the OAuth2 token endpoint said no)."""

    def __init__(self, message: str) -> None:
        super().__init__("auth", message)


class RunError(RunbenchError):
    """A run cannot start or go on."""


class JournalError(RunbenchError):
    """The run journal cannot be used: corrupt, locked by another process for too long,
    read-only, or on a full disk. The message names the file and what to do; the CLI
    exits 2, `serve` answers 503 and retries."""


class DamagedRowError(JournalError):
    """A row of the journal does not decode (changed outside runbench, or a damaged disk):
    its run cannot go on, but the journal and every other run can. The message names the
    run, the step if any, the column, the journal, and what to do."""


class HistoryError(RunbenchError):
    """The request history (``.runbench/history.db``) cannot be read or written."""


def suggest(name: str, known: Iterable[str], limit: int = 3) -> list[str]:
    """The known names closest to ``name`` (for 'did you mean' hints)."""
    import difflib  # only when a hint is wanted: a clean run never needs it

    pool = list(dict.fromkeys(known))
    close = difflib.get_close_matches(name, pool, n=limit, cutoff=0.6)
    if not close:
        lowered = {k.lower(): k for k in pool}
        close = [
            lowered[m]
            for m in difflib.get_close_matches(name.lower(), list(lowered), n=limit, cutoff=0.6)
        ]
    return close
