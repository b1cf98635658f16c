"""A ``-focus-within`` class that a container keeps on itself, instead of ``:focus-within``.

Textual restyles every widget under the outermost container whose CSS uses
``:focus-within`` on *every* focus move inside it: ``/``, enter, escape and Tab inside the
response viewer each restyled its 30-60 widgets (about half of such a key's CPU), though
only the viewer's border looks different. Here the class changes only when the focus
enters or leaves the container, and only the container itself is restyled: app.tcss may
use ``-focus-within`` to style that container, never what is inside it.
"""

from __future__ import annotations

from textual import events
from textual.widget import Widget

FOCUS_WITHIN = "-focus-within"


def show_focus_within(widget: Widget) -> None:
    """Set or clear ``-focus-within`` on ``widget`` as its focus stands, restyling it alone."""
    within = widget.has_focus_within
    if within == widget.has_class(FOCUS_WITHIN):
        return
    widget.set_class(within, FOCUS_WITHIN, update=False)
    widget.app.stylesheet.update_nodes([widget], animate=True)


class FocusWithinClass(Widget):
    """A widget (container) that keeps ``-focus-within`` on itself; see the module docstring."""

    def _on_descendant_focus(self, _event: events.DescendantFocus) -> None:
        show_focus_within(self)

    def _on_descendant_blur(self, _event: events.DescendantBlur) -> None:
        show_focus_within(self)
