"""Problems found in a workspace: one line each, ``FILE:LINE: error|warning: message``.

Schema reading and validation both produce these instead of stopping at the first one,
so `runbench check` and the TUI can show everything wrong at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from runbench.core.workspace._model import KeyPath


@dataclass(frozen=True)
class Problem:
    """One finding of the checker: where (file, line, keys), how bad, and what."""

    file: str
    line: int | None
    severity: str  # "error" | "warning"
    message: str
    keys: KeyPath = ()

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.severity}: {self.message}"


def dotted(keys: KeyPath) -> str:
    """``('runbooks', 'ask', 'steps')`` -> ``runbooks.ask.steps`` (quoting odd keys)."""
    return ".".join(k if k.replace("_", "").replace("-", "").isalnum() else f'"{k}"' for k in keys)


def counted(count: int, word: str) -> str:
    """``1 error``, ``2 errors``, ``0 warnings``."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(problems: list[Problem]) -> str:
    """``1 error, 2 warnings``: what a list of problems holds, in words."""
    errors = sum(1 for p in problems if p.is_error)
    return f"{counted(errors, 'error')}, {counted(len(problems) - errors, 'warning')}"
