"""Undo and redo for a workspace document, as whole texts.

Every edit the workbench makes (a field typed, a step added, a runbook renamed with its
references) goes through ``WorkspaceDocument``; remembering the text before each one
makes undo exact for all of them, structural or not, with no inverse to get wrong. A
workspace is a few kilobytes, so a hundred texts cost little. Typing into one field is
one step: consecutive edits with the same group coalesce.
"""

from __future__ import annotations

from dataclasses import dataclass

LIMIT = 200
"""How many steps are kept; the oldest go first."""


@dataclass(frozen=True)
class Step:
    """The text before (undo) or after (redo) an edit, and what the edit was."""

    text: str
    label: str
    group: object = None


class EditHistory:
    """Two stacks of ``Step``; see the module docstring."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self._undo: list[Step] = []
        self._redo: list[Step] = []

    def clear(self) -> None:
        self._undo.clear()
        self._redo.clear()

    def record(self, text: str, label: str, group: object = None) -> None:
        """``text`` is the document before an edit called ``label``."""
        last = self._undo[-1] if self._undo else None
        if group is not None and last is not None and last.group == group and not self._redo:
            return  # still typing in the same field: one step
        self._redo.clear()
        if last is not None and last.text == text and last.group is None and group is None:
            return  # nothing changed since the last step (a refused edit, say)
        self._undo.append(Step(text, label, group))
        del self._undo[: -self.limit]

    def undo(self, current: str) -> Step | None:
        """The step to go back to, given the ``current`` text; None when there is none."""
        while self._undo:
            step = self._undo.pop()
            if step.text != current:
                self._redo.append(Step(current, step.label))
                return step
        return None

    def redo(self, current: str) -> Step | None:
        while self._redo:
            step = self._redo.pop()
            if step.text != current:
                self._undo.append(Step(current, step.label))
                return step
        return None


__all__ = ["EditHistory", "Step"]
