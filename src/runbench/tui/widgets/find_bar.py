"""The one-line bar under the response for ``/`` (find) and ``f`` (filter).

It only collects text and says how things stand ("3 of 41", an error with a caret); the
viewer decides what typing means and posts the work. Messages up: ``Changed`` on every
key, ``Submitted`` on enter, ``Closed`` on escape.
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

PROMPTS = {"find": "/", "filter": "filter:"}


class FindBar(Vertical):
    """See the module docstring; ``mode`` is "find" or "filter"."""

    BINDINGS: ClassVar[list[BindingType]] = FIND_BAR_KEYS

    class Changed(Message):
        def __init__(self, mode: str, text: str) -> None:
            super().__init__()
            self.mode = mode
            self.text = text

    class Submitted(Changed):
        pass

    class Closed(Message):
        def __init__(self, mode: str) -> None:
            super().__init__()
            self.mode = mode

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mode = "find"

    def compose(self) -> ComposeResult:
        with Horizontal(classes="find-row"):
            yield Label(PROMPTS["find"], id="find-prompt")
            yield Input(id="find-input", compact=True, select_on_focus=False)
            yield Static("", id="find-status")
        yield Static("", id="find-error")

    def open(self, mode: str, text: str = "") -> None:
        self.mode = mode
        self.display = True
        self.query_one("#find-prompt", Label).update(PROMPTS[mode])
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
        self.query_one("#find-status", Static).update(text)

    def error(self, text: Text | None) -> None:
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
