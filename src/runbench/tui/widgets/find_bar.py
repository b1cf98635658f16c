"""The one-line bar under the response for ``/`` (find) and ``f`` (filter).

It only collects text and shows how things stand ("3 of 41": made by
``state.body_search.count_status``, an error with a caret); the viewer decides what typing
means and posts the work. Messages up: ``Changed`` on every
key, ``Submitted`` on enter, ``Closed`` on escape.

Each of its lines may ask Textual to lay out the whole screen (the prompt and the status
are as wide as their text), so it changes only what differs: opening it again in the same
mode touches neither prompt, status nor error line, and a status as wide as the one
before ("3 of 41" after "2 of 41") is repainted without a layout.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Static

from runbench.tui.keymap import FIND_BAR_KEYS
from runbench.tui.widgets.field_input import FieldInput

PROMPTS = {"find": "/", "filter": "filter:"}


class FindBar(Vertical):
    """See the module docstring; ``mode`` is "find" or "filter"."""

    BINDINGS: ClassVar[list[BindingType]] = FIND_BAR_KEYS

    class Typed(Message):
        """What the bar holds: its ``mode`` and ``text`` (the base of the two below)."""

        def __init__(self, mode: str, text: str) -> None:
            super().__init__()
            self.mode = mode
            self.text = text

    class Changed(Typed):
        """The text changed (a key typed)."""

    class Submitted(Typed):
        """Enter. Not a ``Changed``: Textual calls a message's handlers for each class it
        derives from, so a ``Submitted`` that was a ``Changed`` also ran the viewer's
        ``Changed`` handler, and enter searched the whole body again (a new search child,
        the count from zero) just as it closed the bar."""

    class Closed(Message):
        def __init__(self, mode: str) -> None:
            super().__init__()
            self.mode = mode

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mode = "find"
        self._status = Text()  # as shown
        self._error: Text | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(classes="find-row"):
            yield Label(PROMPTS["find"], id="find-prompt")
            yield FieldInput(id="find-input", compact=True, select_on_focus=False)
            yield Static("", id="find-status")
        yield Static("", id="find-error")

    def open(self, mode: str, text: str = "") -> None:
        if mode != self.mode:
            self.query_one("#find-prompt", Label).update(PROMPTS[mode])
        self.mode = mode
        self.display = True
        field = self.query_one("#find-input", Input)
        field.value = text
        field.cursor_position = len(text)
        self.status("")
        self.error(None)
        field.focus()

    @property
    def text(self) -> str:
        return self.query_one("#find-input", Input).value

    def status(self, text: str | Text) -> None:
        shown = Text(text) if isinstance(text, str) else text
        if _same(shown, self._status):
            return
        same_width = shown.cell_len == self._status.cell_len
        self._status = shown
        self.query_one("#find-status", Static).update(shown, layout=not same_width)

    def error(self, text: Text | None) -> None:
        if text is None and self._error is None:
            return
        self._error = text
        shown = self.query_one("#find-error", Static)
        shown.display = text is not None
        shown.update(text or "")

    @on(Input.Changed, "#find-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self.mode, event.value))

    @on(Input.Submitted, "#find-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Submitted(self.mode, event.value))

    def action_close(self) -> None:
        self.display = False
        self.post_message(self.Closed(self.mode))


def _same(one: Text, other: Text) -> bool:
    """Same text and looks (``Text.__eq__`` ignores the style of the whole text)."""
    return (one.plain, one.style, one.spans) == (other.plain, other.style, other.spans)
