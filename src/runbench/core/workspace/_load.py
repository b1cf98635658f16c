"""Read a workspace file into the frozen model, refusing what no reader should walk.

Split from ``_store`` (which keeps the editable document and the atomic save): reading
needs only ``tomllib`` and the line map, and everything that opens a workspace to check or
run it comes here without the editing machinery. Every problem names a line; a TOML
syntax error keeps tomllib's line and column; documents nested deeper than
``MAX_NESTING`` are refused before anything walks them; the read is size-capped.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from runbench.core.errors import SchemaError, TomlSyntaxError, WorkspaceReadError
from runbench.core.files import MAX_WORKSPACE_BYTES, not_text, read_capped_text, unreadable
from runbench.core.workspace._model import Workspace
from runbench.core.workspace._problems import Problem
from runbench.core.workspace._reader import parse_workspace
from runbench.core.workspace._tomllines import LazyKeyLines

_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def read_text(path: str | Path) -> str:
    """The file's text, or a WorkspaceReadError saying why not."""
    try:
        return read_capped_text(path, MAX_WORKSPACE_BYTES)
    except FileNotFoundError:
        raise WorkspaceReadError("no such file (check the path)", file=str(path)) from None
    except IsADirectoryError:
        raise WorkspaceReadError("is a folder, not a workspace file", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise WorkspaceReadError(not_text(exc), file=str(path)) from None
    except OSError as exc:
        raise WorkspaceReadError(f"cannot read: {unreadable(exc)}", file=str(path)) from None


MAX_NESTING = 64
"""Arrays and tables nested deeper than this are refused: no workspace needs it, and every
reader after the parser (line map, schema, edits) may then rely on a shallow document."""


def parse_text(text: str, file: str) -> tuple[Workspace, list[Problem]]:
    """Parse TOML text into a workspace and its shape problems."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _POSITION.search(message)
        line, column = (int(found.group(1)), int(found.group(2))) if found else (1, 1)
        raise TomlSyntaxError(
            _POSITION.sub("", message).strip(), file=file, line=line, column=column
        ) from None
    except RecursionError:
        raise _too_deep(file, "") from None
    deepest = too_deep_at(data, MAX_NESTING)
    if deepest is not None:
        raise _too_deep(file, deepest)
    return parse_workspace(data, file=file, lines=LazyKeyLines(text))


def too_deep_at(data: Any, limit: int) -> str | None:
    """The dotted key path where ``data`` nests deeper than ``limit``, or None (iterative:
    the check itself must not run out of stack)."""
    stack: list[tuple[Any, int, tuple[str, ...]]] = [(data, 0, ())]
    while stack:
        node, depth, keys = stack.pop()
        if depth > limit:
            return ".".join(keys[:6]) + (" ..." if len(keys) > 6 else "")
        if isinstance(node, dict):
            stack.extend((value, depth + 1, (*keys, str(key))) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((value, depth + 1, (*keys, f"[{i}]")) for i, value in enumerate(node))
    return None


def _too_deep(file: str, where: str) -> WorkspaceReadError:
    at = f" (under {where})" if where else ""
    return WorkspaceReadError(
        f"arrays/tables are nested more than {MAX_NESTING} levels deep{at}; "
        "runbench refuses such files: flatten the data",
        file=file,
    )


def read_workspace(path: str | Path) -> tuple[Workspace, list[Problem]]:
    """Read a workspace file and report its shape problems (no cross-checks)."""
    return parse_text(read_text(path), str(path))


def load_workspace(path: str | Path) -> Workspace:
    """Read a workspace that must be free of shape errors (the first one is raised)."""
    workspace, problems = read_workspace(path)
    for problem in problems:
        if problem.is_error:
            raise SchemaError(problem.message, file=problem.file, line=problem.line)
    return workspace


__all__ = [
    "MAX_NESTING",
    "load_workspace",
    "parse_text",
    "read_text",
    "read_workspace",
    "too_deep_at",
]
