"""The workbench's one-line text field: Textual's ``Input`` without a screen layout per key.

Each change of an ``Input``'s text sets its ``virtual_size`` (the text's width, which its
horizontal scrolling needs), a reactive that asks Textual to lay out the whole screen. For
a field whose size does not follow its text (every field here: ``width: 1fr``, one line)
that layout changes nothing: a scroll view keeps its own virtual size, and the only thing
placed from it is a horizontal scroll bar Input draws zero rows high. So typing laid out
the workbench's ~300 widgets once per key (twice with the find bar's count). Here the
size is set without that request; a field sized by its text (``width: auto``) is left to
Textual, which lays it out itself. ``tests/tui/test_key_layouts.py`` types the same keys
into both and compares what they draw.

A field without validators is always valid, and Input says so with a ``-valid`` class set
on the first change of its text, once mounted: a restyle of the field and its component
classes. Set before it mounts, that change restyles nothing.
"""

from __future__ import annotations

from typing import Any

from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Input


class FieldInput(Input):
    """See the module docstring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.validators:
            self.set_class(True, "-valid", update=False)

    def _watch_value(self, value: str) -> None:
        if not self.styles.auto_dimensions:  # Input sets the same size next: no change then
            self.set_reactive(Widget.virtual_size, Size(self.content_width, 1))
        super()._watch_value(value)
