"""The expression checker (ctrl+e): type an output path, see what it finds as you type.

The path is compiled and evaluated against the last response of the selected method
(the same scope outputs see: ``response``, ``status``, ``headers``). A syntax error is
shown with a caret under the bad character; a miss says where the path stopped and what
was there. Evaluation runs in a thread worker (exclusive, so only the latest keystroke
counts). The scope provider gives a ``ResponseScope``: a small body is parsed once in
the worker's thread, a big one in a child process (parsing 50 MiB in a thread would
still hold the GIL and freeze typing for a second); both answer with the same plain
``Checked`` data, rendered here by :func:`render`, so they look alike. While the child
still parses, the result says so. (A provider may also give the scope dict itself.)
``ctrl+o`` asks for a name and adds the path to the method's outputs (via a message).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Static

from runbench.core.workspace import ID_PATTERN, unique_name
from runbench.tui.keymap import CHECKER_KEYS
from runbench.tui.screens.dialog_screen import DialogScreen
from runbench.tui.screens.dialogs import ask_text
from runbench.tui.state.response_scope import Checked, ResponseScope, check_path
from runbench.tui.widgets.field_input import FieldInput

ScopeProvider = Callable[[], ResponseScope | dict[str, Any] | None]
PARSING = "parsing the response…"
"""Shown while a big response is still being parsed in its child process."""


def describe(text: str, scope: dict[str, Any] | None) -> tuple[Text, bool]:
    """What the checker shows for ``text``: (rendered result, path is usable)."""
    return render(check_path(text, scope))


def render(checked: Checked) -> tuple[Text, bool]:
    """A check's outcome as the checker shows it: (rendered result, path is usable)."""
    if checked.kind == "syntax":
        return _caret(checked.position, checked.reason, checked.expression), False
    if checked.kind == "no_scope":
        return Text(
            "valid path; no response yet to check it against (ctrl+t tests the method)",
            style="yellow",
        ), True
    if checked.kind == "no_match":
        result = Text("no match: ", style="bold yellow")
        result.append(checked.message, style="yellow")
        if checked.segment:
            result.append(f"\nstopped at: {checked.segment}", style="dim")
        return result, True
    if checked.kind == "value":
        return _value(checked), True
    return Text(checked.message, style="red"), checked.usable


def _caret(position: int, reason: str, expression: str) -> Text:
    result = Text(f"syntax error at position {position + 1}: {reason}\n", style="bold red")
    result.append(expression + "\n")
    result.append(" " * position + "^", style="bold red")
    return result


def _value(checked: Checked) -> Text:
    result = Text(f"= ({checked.type_name}{', raw' if checked.raw else ''})\n", style="bold green")
    result.append(checked.shown)
    if checked.more:
        result.append(f"\n… {checked.more} more characters", style="dim")
    return result


class ExpressionChecker(DialogScreen[None]):
    """See the module docstring. ``scope`` is called in a thread (it may parse JSON)."""

    BINDINGS: ClassVar[list[BindingType]] = CHECKER_KEYS

    class AddOutput(Message):
        """Add ``path`` to the selected method's outputs as ``name``."""

        def __init__(self, name: str, path: str) -> None:
            self.name = name
            self.path = path
            super().__init__()

    def __init__(
        self,
        scope: ScopeProvider,
        subject: str,
        initial: str = "response^",
        taken: tuple[str, ...] = (),
    ) -> None:
        super().__init__(id="checker")
        self.scope = scope
        self.subject = subject
        self.initial = initial
        self.taken = taken
        self.usable = False
        self._latest = initial
        self._prefill_live = True  # until the user has typed past or over it

    def compose(self) -> ComposeResult:
        with Vertical(id="checker-box"):
            yield Label(f"Check a path · {self.subject}", classes="dialog-title")
            yield FieldInput(
                self.initial,
                id="checker-input",
                compact=True,
                select_on_focus=False,
                placeholder="response^choices[0]^text!",
            )
            with VerticalScroll(id="checker-scroll"):
                yield Static("", id="checker-result")
            yield Static(
                "enter/typing evaluates · ctrl+o add as output · escape close",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self.evaluate(self.initial)

    @property
    def text(self) -> str:
        return self.query_one("#checker-input", Input).value

    @on(Input.Changed, "#checker-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        # the field as it is now: keys typed fast (or over SSH) are in the field before
        # their Changed events arrive, and an old event's value would drop them
        field = self.query_one("#checker-input", Input)
        if self._prefill_live:
            fixed = without_prefill(field.value, self.initial)
            if fixed is not None:  # a whole path typed over the prefill: keep one root
                self._prefill_live = False
                field.value = fixed
                field.action_end()
                return
            if not field.value.startswith(self.initial):
                self._prefill_live = False  # the user edited the prefill itself
        self.evaluate(field.value)

    @on(Input.Submitted, "#checker-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.evaluate(event.value)

    def evaluate(self, text: str) -> None:
        """Check ``text`` (in a thread worker); only the latest text's result is shown."""
        self._latest = text
        self._evaluate(text)

    @work(thread=True, exclusive=True, group="checker", description="evaluate path")
    def _evaluate(self, text: str) -> None:
        source = self.scope()
        if isinstance(source, ResponseScope):
            checked = source.check(
                text, waiting=self._show_parsing, wanted=lambda: text == self._latest
            )
            if checked is None:
                return  # moot: a newer keystroke, or the response went away
            result, usable = render(checked)
        else:
            result, usable = describe(text, source)
        self.app.call_from_thread(self._show, text, result, usable)

    def _show_parsing(self) -> None:
        self.app.call_from_thread(self._update_result, Text(PARSING, style="dim italic"))

    def _show(self, text: str, result: Text, usable: bool) -> None:
        if text != self.text:
            return  # a newer keystroke is on its way
        self.usable = usable
        self._update_result(result)

    def _update_result(self, result: Text) -> None:
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

        self.app.push_screen(
            ask_text(
                "Add output",
                "Name",
                _suggest_name(path, self.taken),
                validate=check,
                hint=f"path: {path}",
                id="output-name",
            ),
            done,
        )


def _suggest_name(path: str, taken: Collection[str] = ()) -> str:
    """A free name from the path's last property: ``response^choices[0]^text!`` -> Text
    (``Text_2`` when the method already has an output called Text)."""
    tail = path.rstrip("!").replace("[", "^").split("^")[-1].strip("]")
    name = "".join(part.capitalize() for part in tail.replace("-", "_").split("_") if part)
    name = name if ID_PATTERN.match(name) and name.lower() != "response" else "Output"
    return unique_name(name, taken)


def without_prefill(text: str, prefill: str) -> str | None:
    """``text`` minus the prefill when the same root was typed (or pasted) after it, as
    in ``response^response^id``; None when the text is fine as it is. (Only while the
    prefill is untouched: a response with a key "response" can still be checked.)"""
    if not prefill or not text.startswith(prefill):
        return None
    rest = text[len(prefill) :]
    return rest if rest.startswith(prefill) else None
