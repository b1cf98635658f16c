"""Modal dialogs: choose one of a few buttons, or fill in a small form.

Every dialog dismisses with a value (the chosen id, the form's values, or None when
cancelled with escape), so callers use ``push_screen(dialog, callback)`` and keep the
decision logic in one place. Keyboard first: the first field or button has focus, enter
submits, escape cancels, left/right move between buttons.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from runbench.tui.screens.dialog_screen import DialogScreen
from runbench.tui.widgets.field_input import FieldInput


class ChoiceDialog(DialogScreen[str | None]):
    """A message and a row of buttons; dismisses with the chosen id (None on escape)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("left", "app.focus_previous", "Previous", show=False),
        Binding("right", "app.focus_next", "Next", show=False),
    ]

    def __init__(
        self,
        title: str,
        message: str,
        choices: Sequence[tuple[str, str]],
        *,
        default: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="dialog")
        self.title_text = title
        self.message = message
        self.choices = list(choices)
        self.default = default or (self.choices[0][0] if self.choices else None)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.message, classes="dialog-message", markup=False)
            with Horizontal(classes="dialog-buttons"):
                for choice, label in self.choices:
                    primary = choice == self.default
                    yield Button(
                        label,
                        id=f"choice-{choice}",
                        compact=True,
                        variant="primary" if primary else "default",
                    )

    def on_mount(self) -> None:
        if self.default is not None:
            self.query_one(f"#choice-{self.default}", Button).focus()

    @on(Button.Pressed)
    def _chosen(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss((event.button.id or "").removeprefix("choice-"))

    def action_cancel(self) -> None:
        self.dismiss(None)


def confirm(title: str, message: str, yes: str = "Yes", no: str = "No") -> ChoiceDialog:
    """A yes/no dialog: dismisses with "yes", "no" or None."""
    return ChoiceDialog(title, message, [("yes", yes), ("no", no)], default="no", id="confirm")


@dataclass(frozen=True)
class Field:
    """One row of a form: an Input, or a Select when ``options`` is given."""

    name: str
    label: str
    value: str = ""
    placeholder: str = ""
    options: tuple[str, ...] = ()
    password: bool = False  # typed text is not shown (a secret's value)


class FormDialog(DialogScreen[dict[str, str] | None]):
    """A few labelled fields; enter submits (after ``validate`` passes), escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        fields: Sequence[Field],
        *,
        validate: Callable[[dict[str, str]], str | None] | None = None,
        hint: str = "",
        id: str | None = None,
        focus: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="dialog")
        self.title_text = title
        self.fields = list(fields)
        self.validate = validate
        self.hint = hint
        self.focus_field = focus  # a field to start in other than the first

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title")
            for field in self.fields:
                with Horizontal(classes="form-row"):
                    yield Label(field.label, classes="form-label")
                    if field.options:
                        options = [(option, option) for option in field.options]
                        yield Select(
                            options,
                            value=field.value or field.options[0],
                            allow_blank=False,
                            compact=True,
                            id=f"field-{field.name}",
                        )
                    else:
                        yield FieldInput(
                            field.value,
                            placeholder=field.placeholder,
                            compact=True,
                            id=f"field-{field.name}",
                            select_on_focus=True,
                            password=field.password,
                        )
            yield Static(self.hint, classes="dialog-hint", markup=False)
            yield Static("", classes="dialog-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", id="form-ok", variant="primary", compact=True)
                yield Button("Cancel", id="form-cancel", compact=True)

    def on_mount(self) -> None:
        if self.focus_field:
            self.query_one(f"#field-{self.focus_field}").focus()

    def values(self) -> dict[str, str]:
        result: dict[str, str] = {}
        for field in self.fields:
            widget: Any = self.query_one(f"#field-{field.name}")
            value: Any = widget.value
            result[field.name] = "" if value is Select.NULL else str(value)
        return result

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()

    @on(Button.Pressed, "#form-ok")
    def _ok(self, event: Button.Pressed) -> None:
        event.stop()
        self.submit()

    @on(Button.Pressed, "#form-cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def submit(self) -> None:
        values = self.values()
        problem = self.validate(values) if self.validate else None
        if problem:
            self.query_one(".dialog-error", Static).update(problem)
            return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)


def ask_text(
    title: str,
    label: str,
    value: str = "",
    *,
    validate: Callable[[str], str | None] | None = None,
    hint: str = "",
    id: str = "ask",
) -> FormDialog:
    """A one-field form; the callback gets ``{"value": ...}`` or None."""
    check = (lambda values: validate(values["value"])) if validate else None
    return FormDialog(title, [Field("value", label, value)], validate=check, hint=hint, id=id)
