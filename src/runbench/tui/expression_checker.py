"""The expression checker (ctrl+e): type an output path, see what it finds as you type.

The path is compiled and evaluated against the last response of the selected method
(the same scope outputs see: ``response``, ``status``, ``headers``). A syntax error is
shown with a caret under the bad character; a miss says where the path stopped and what
was there. Evaluation runs in a thread worker (exclusive, so only the latest keystroke
counts): a path over a huge body, or the first JSON parse of it, never blocks typing.
``ctrl+o`` asks for a name and adds the path to the method's outputs (via a message).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from runbench.core.errors import ExpressionError, NoMatchError, PathSyntaxError
from runbench.core.paths import compile_path
from runbench.tui.dialogs import ask_text
from runbench.tui.edits import ID_PATTERN

RESULT_LIMIT = 20_000
"""Characters of a found value shown (the rest is cut, with a note)."""
ScopeProvider = Callable[[], dict[str, Any] | None]


def describe(text: str, scope: dict[str, Any] | None) -> tuple[Text, bool]:
    """What the checker shows for ``text``: (rendered result, path is usable)."""
    try:
        path = compile_path(text)
    except PathSyntaxError as exc:
        return caret_text(exc), False
    except ExpressionError as exc:
        return Text(str(exc), style="red"), False
    if scope is None:
        return Text("valid path; no response yet to check it against (ctrl+t tests the "
                    "method)", style="yellow"), True
    try:
        value = path.evaluate(scope)
    except NoMatchError as exc:
        result = Text("no match: ", style="bold yellow")
        result.append(str(exc), style="yellow")
        if exc.segment:
            result.append(f"\nstopped at: {exc.segment}", style="dim")
        return result, True
    except ExpressionError as exc:
        return Text(str(exc), style="red"), True
    return value_text(value, path.raw), True


def caret_text(exc: PathSyntaxError) -> Text:
    result = Text(f"syntax error at position {exc.position + 1}: {exc.reason}\n",
                  style="bold red")
    result.append(exc.expression + "\n")
    result.append(" " * exc.position + "^", style="bold red")
    return result


def value_text(value: Any, raw: bool) -> Text:
    kind = type(value).__name__ if value is not None else "null"
    if raw and isinstance(value, str):
        shown = value
    else:
        shown = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    cut = len(shown) > RESULT_LIMIT
    result = Text(f"= ({kind}{', raw' if raw else ''})\n", style="bold green")
    result.append(shown[:RESULT_LIMIT])
    if cut:
        result.append(f"\n… {len(shown) - RESULT_LIMIT} more characters", style="dim")
    return result


class ExpressionChecker(ModalScreen[None]):
    """See the module docstring. ``scope`` is called in a thread (it may parse JSON)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("ctrl+o", "add_output", "Add as output"),
    ]

    class AddOutput(Message):
        """Add ``path`` to the selected method's outputs as ``name``."""

        def __init__(self, name: str, path: str) -> None:
            self.name = name
            self.path = path
            super().__init__()

    def __init__(self, scope: ScopeProvider, subject: str, initial: str = "response^",
                 taken: tuple[str, ...] = ()) -> None:
        super().__init__(id="checker")
        self.scope = scope
        self.subject = subject
        self.initial = initial
        self.taken = taken
        self.usable = False

    def compose(self) -> ComposeResult:
        with Vertical(id="checker-box"):
            yield Label(f"Check a path · {self.subject}", classes="dialog-title")
            yield Input(self.initial, id="checker-input", compact=True, select_on_focus=False,
                        placeholder="response^choices[0]^text!")
            with VerticalScroll(id="checker-scroll"):
                yield Static("", id="checker-result")
            yield Static("enter/typing evaluates · ctrl+o add as output · escape close",
                         classes="dialog-hint")

    def on_mount(self) -> None:
        self.evaluate(self.initial)

    @property
    def text(self) -> str:
        return self.query_one("#checker-input", Input).value

    @on(Input.Changed, "#checker-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.evaluate(event.value)

    @on(Input.Submitted, "#checker-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.evaluate(event.value)

    @work(thread=True, exclusive=True, group="checker", description="evaluate path")
    def evaluate(self, text: str) -> None:
        result, usable = describe(text, self.scope())
        self.app.call_from_thread(self._show, text, result, usable)

    def _show(self, text: str, result: Text, usable: bool) -> None:
        if text != self.text:
            return  # a newer keystroke is on its way
        self.usable = usable
        self.query_one("#checker-result", Static).update(result)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_add_output(self) -> None:
        path = self.text.strip()

        def check(name: str) -> str | None:
            if not ID_PATTERN.match(name.strip()):
                return "use letters, digits, _ or -, starting with a letter or _"
            if name.strip() in self.taken:
                return f"output '{name.strip()}' already exists"
            return None

        def done(values: dict[str, str] | None) -> None:
            if values is not None:
                name = values["value"].strip()
                self.taken = self.taken + (name,)
                self.post_message(self.AddOutput(name, path))

        self.app.push_screen(ask_text("Add output", "Name", _suggest_name(path),
                                      validate=check, hint=f"path: {path}", id="output-name"),
                             done)


def _suggest_name(path: str) -> str:
    """A name from the path's last property: ``response^choices[0]^text!`` -> Text."""
    tail = path.rstrip("!").replace("[", "^").split("^")[-1].strip("]")
    name = "".join(part.capitalize() for part in tail.replace("-", "_").split("_") if part)
    return name if ID_PATTERN.match(name) and name.lower() != "response" else "Output"
