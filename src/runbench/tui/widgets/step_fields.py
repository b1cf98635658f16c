"""What the step editor shows for each kind of step, and how its typed fields read.

Plain data and small helpers, kept apart from the widget so ``step_editor`` stays one
screenful per concern: which rows a kind uses, which inputs are numbers, what the shared
text area edits for each kind (a Halo action's body, a SQL query, an AI prompt).
"""

from __future__ import annotations

from typing import Any

from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Label

from runbench.core.workspace import SecretRef, Step, parse_secret_text, toml_item

KIND_ROWS = {
    "method": ("method", "args", "outputs", "timeout", "retry"),
    "halo": ("action", "body", "args", "outputs", "timeout", "retry"),
    "sql": ("database", "max_rows", "body", "outputs", "timeout", "retry"),
    "ai": ("integration", "model", "ai_type", "body", "args", "outputs", "timeout", "retry"),
    "condition": ("match", "rules"),
    "sleep": ("seconds",),
    "foreach": ("items", "outputs"),
    "next": (),
    "runbook": ("runbook", "args"),
    "end": ("result", "message"),
}
OPTIONAL_ROWS = tuple(dict.fromkeys(row for rows in KIND_ROWS.values() for row in rows))
NUMBERS = {
    "s-seconds": ("seconds", float),
    "s-timeout": ("timeout", float),
    "s-max_rows": ("max_rows", int),
    "s-retry-attempts": ("attempts", int),
    "s-retry-delay": ("delay", float),
}
TEXT_AREA = {
    "halo": ("body", "Body (sent to the Halo action's endpoint)"),
    "sql": ("query", "Query (<<variables>> are bound as parameters; no database: Halo's)"),
    "ai": ("prompt", "Prompt (the args are variables here; empty: the args are sent)"),
}
"""What the shared text area edits, per kind: (key, label)."""


def row(label: str, *widgets: Widget, name: str) -> Horizontal:
    return Horizontal(
        Label(label, classes="field-label"), *widgets, classes="field-row", id=f"row-s-{name}"
    )


def number(text: str, kind: type) -> tuple[Any, str | None]:
    """(value, error): "" is None; otherwise the number, or why it is not one."""
    text = text.strip()
    if not text:
        return None, None
    try:
        value = kind(text)
    except ValueError:
        return None, f"'{text}' is not a {'whole ' if kind is int else ''}number"
    if value < 0:
        return None, "must not be negative"
    return value, None


def fmt(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def area_text(step: Step) -> str:
    """The text the shared area shows for ``step`` (the body of a halo step is filled by
    the caller from the action's template when the step has none)."""
    return {"sql": step.query, "ai": step.prompt}.get(step.kind, step.body or "")


def database_text(step: Step) -> str:
    value = step.database
    return f"{value.source}:{value.name}" if isinstance(value, SecretRef) else value


def database_value(text: str) -> Any:
    """What was typed into the database field, as the workspace stores it."""
    value, _ = parse_secret_text(text)
    if isinstance(value, SecretRef):
        return toml_item({value.source: value.name})
    return value or None


__all__ = [
    "KIND_ROWS",
    "NUMBERS",
    "OPTIONAL_ROWS",
    "TEXT_AREA",
    "area_text",
    "database_text",
    "database_value",
    "fmt",
    "number",
    "row",
]
