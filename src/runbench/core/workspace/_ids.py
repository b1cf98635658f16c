"""The id rule: what an integration, method, runbook or step may be called.

Ids appear in references (``method = "halo.get_ticket"``, edges, ``runbook = "..."``), in
TOML keys and on the command line, so they are kept to letters, digits, ``_`` and ``-``,
starting with a letter or ``_``. The rule lives here, once: ``runbench check`` reports a
bad id, and every writer (the TUI, ``import-curl``, the Halo importer) goes through
``check_id`` in the workspace edits, so no writer can create an id ``check`` refuses.
"""

from __future__ import annotations

import re
from collections.abc import Collection

ID_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
ID_HINT = "letters, digits, _ or -; starts with a letter or _"


def id_problem(name: str) -> str | None:
    """Why ``name`` cannot be an id, or None when it can."""
    return None if ID_PATTERN.match(name.strip()) else f"not a valid id ({ID_HINT})"


def check_id(name: str, taken: Collection[str], what: str) -> str:
    """``name`` stripped, or SchemaError saying why it cannot be used as a ``what`` id."""
    from runbench.core.errors import SchemaError

    name = name.strip()
    if not ID_PATTERN.match(name):
        raise SchemaError(
            f"'{name}' is not a valid {what} id: use letters, digits, _ or -, "
            "starting with a letter or _"
        )
    if name in taken:
        raise SchemaError(f"a {what} called '{name}' already exists: choose another name")
    return name


def unique_name(base: str, taken: Collection[str]) -> str:
    """``base``, or ``base_2``, ``base_3``... whichever is free."""
    if base not in taken:
        return base
    n = 2
    while f"{base}_{n}" in taken:
        n += 1
    return f"{base}_{n}"


def to_id(text: str, fallback: str = "item") -> str:
    """A valid id made from free text ("Get ticket #4" -> "get_ticket_4")."""
    word = re.sub(r"[^A-Za-z0-9_-]+", "_", text.strip()).strip("_-").lower()
    if not word:
        return fallback
    return word if ID_PATTERN.match(word) else f"_{word}"
