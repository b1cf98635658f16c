"""A Static's content set only when it changes.

``Static.update`` asks for a layout of the whole screen every time, even with the text
the widget already shows (its size may change). The workbench redraws its derived panes
after every edit and every run event (the run status, the variables hint, the step line
under the flowchart, the rules table's hint, the step's problems), and most of those
updates set the text already shown: adding a step's edges in the build-from-nothing story
set 190 of its 290 Static contents to what they were, each one a layout request.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


def show_text(widget: Static, content: str | Text) -> None:
    """``widget.update(content)`` unless it already shows exactly that."""
    if not _same(widget.content, content):
        widget.update(content)


def _same(shown: object, content: str | Text) -> bool:
    """Equal as drawn: Rich's ``Text ==`` compares the characters and spans but not the
    base style (dim or not), so a Text is compared by everything that draws it."""
    if type(shown) is not type(content):
        return False
    if isinstance(content, Text):
        assert isinstance(shown, Text)
        return _drawn(shown) == _drawn(content)
    return shown == content


def _drawn(text: Text) -> tuple[object, ...]:
    return (
        text.plain,
        text.spans,
        text.style,
        text.justify,
        text.overflow,
        text.no_wrap,
        text.end,
        text.tab_size,
    )
