"""What an import produces before anything is written: tables, and notes on approximations.

The importers fill an ``ImportPlan`` with plain data (the TOML tables of the workspace to
write) and a ``Note`` for every place where runbench could only approximate Halo. The
writer turns the plan into a workspace file through the workspace room's edits, then
gives every note the line it landed on.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from runbench.core.workspace import KeyPath, to_id, unique_name

Table = dict[str, Any]
DOLLAR_PLACEHOLDER = re.compile(r"\$[A-Z][A-Z0-9_]{2,}")
"""Halo's ``$ALLNONSYSACTIONS``-style placeholders, which Halo fills in when it runs a step."""
_JOINERS = re.compile(r"[_-]*-[_-]*(?=[A-Za-z0-9])|_{2,}")


@dataclass(frozen=True)
class Note:
    """One approximation: where (key path in the workspace) and what."""

    keys: KeyPath
    message: str


@dataclass
class ImportPlan:
    """The workspace to write: top-level keys, integrations, runbooks, and the notes."""

    halo: str = ""
    reserved: dict[str, set[str]] = field(
        default_factory=lambda: {"integrations": set(), "runbooks": set()}
    )
    """Ids the workspace already has (a pull into it): new objects must avoid them."""
    integration_ids: dict[int, str] = field(default_factory=dict)
    method_keys: dict[int, tuple[str, str]] = field(default_factory=dict)
    """Halo ids of the workspace's integrations and methods -> their ids (kept on pull)."""
    variables: Table = field(default_factory=dict)
    integrations: dict[str, Table] = field(default_factory=dict)
    runbooks: dict[str, Table] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    env: list[tuple[str, str]] = field(default_factory=list)

    def note(self, keys: KeyPath, message: str) -> None:
        self.notes.append(Note(keys, message))

    def need_env(self, name: str, holds: str) -> dict[str, str]:
        """``{ env = NAME }`` for a secret Halo does not hand out; remembered for the user."""
        if all(existing != name for existing, _ in self.env):
            self.env.append((name, holds))
        return {"env": name}

    def new_id(self, text: str, taken: Collection[str], fallback: str) -> str:
        """An id from Halo's name ("Failed - agent" -> failed_agent), unique in ``taken``."""
        return unique_name(_JOINERS.sub("_", to_id(text, fallback)), taken)

    def fresh_id(self, section: str, text: str, fallback: str) -> str:
        """A new id for an integration or runbook, free in the plan and the workspace."""
        tables: dict[str, Table] = getattr(self, section)
        return self.new_id(text, set(tables) | self.reserved[section], fallback)

    def check_placeholders(self, keys: KeyPath, text: str) -> None:
        """Note every ``$PLACEHOLDER`` in ``text`` (kept as written)."""
        for name in sorted(set(DOLLAR_PLACEHOLDER.findall(text))):
            self.note(
                keys,
                f"{name} is a placeholder Halo fills in when it runs the step; runbench keeps "
                "it as written and sends it unchanged (set a variable and use <<...>> to "
                "give it a value here)",
            )


def halo_int(value: Any) -> int | None:
    """An integer Halo sent (ints, or digits in a string), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        try:
            return int(value.strip())
        except ValueError:  # digits int() does not read: "²", "--5"
            return None
    return None


def text_of(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


__all__ = [
    "DOLLAR_PLACEHOLDER",
    "ImportPlan",
    "Note",
    "Table",
    "halo_int",
    "text_of",
]
