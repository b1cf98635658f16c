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
"""

from __future__ import annotations

from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Input


class FieldInput(Input):
    """See the module docstring."""

    def _watch_value(self, value: str) -> None:
        if not self.styles.auto_dimensions:  # Input sets the same size next: no change then
            self.set_reactive(Widget.virtual_size, Size(self.content_width, 1))
        super()._watch_value(value)
