"""A Static's content set only when it changes.

``Static.update`` asks for a layout of the whole screen every time, even with the text
the widget already shows (its size may change). The workbench redraws its derived panes
after every edit and every run event (the run status, the variables hint, the step line
under the flowchart, the rules table's hint, the step's problems), and most of those
updates set the text already shown: adding a step's edges in the build-from-nothing story
set 190 of its 290 Static contents to what they were, each one a layout request.

A new text asks for a layout only where it can change a size: a widget whose height is a
number of cells and whose width does not follow its content (nor its parent's: ``auto``)
stays the size it is whatever it shows (``Static.update(layout=False)``, as
Textual's docs put it, "if you are certain the size won't change"). The method's body
status line (``height: 1``) changes with the variables typed: each key typed in the body
laid the whole screen out for it.
"""

from __future__ import annotations

from rich.text import Text
from textual.css.scalar import Unit
from textual.widget import Widget
from textual.widgets import Static


def show_text(widget: Static, content: str | Text) -> None:
    """``widget.update(content)`` unless it already shows exactly that."""
    if not _same(widget.content, content):
        widget.update(content, layout=may_resize(widget))


def may_resize(widget: Widget) -> bool:
    """Whether new content can change ``widget``'s size (see the module docstring): not
    with a height in cells and a width in cells, or one taken from a parent whose own width
    does not follow its content (a parent's ``auto`` height follows its children's heights,
    which a height in cells keeps)."""
    styles = widget.styles
    height, width = styles.height, styles.width
    if height is None or height.unit != Unit.CELLS:
        return True
    if width is not None and width.is_auto:
        return True
    if width is not None and width.unit == Unit.CELLS:
        return False
    parent = widget.parent  # unset, fr or %: the width comes from the parent's
    if not isinstance(parent, Widget):
        return True
    return parent.styles.width is not None and parent.styles.width.is_auto


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
