"""Classes that style one widget alone, set without restyling everything inside it.

Textual restyles a widget's whole subtree when one of its classes changes, and restyles
everything under the outermost container whose CSS uses ``:focus-within`` on *every*
focus move inside it. The response viewer holds 30-60 widgets: ``ctrl+r`` (``-zoomed``),
showing a runbook or the overview (``-runbook``, ``-overview``) and each ``/``, enter,
escape or Tab inside it (``:focus-within``) restyled them all, about half of such a
key's CPU, though only the viewer's own size, display or border looks different.

``set_own_classes`` changes classes and restyles the widget alone; ``FocusWithinClass``
keeps ``-focus-within`` on a container as the focus enters or leaves it (not on moves
inside it). The rule that makes this right: app.tcss uses these classes to style the
widget that carries them, never what is inside it (``tests/tui/test_key_layouts.py``
checks app.tcss for it).
"""

from __future__ import annotations

from collections.abc import Mapping

from textual import events
from textual.widget import Widget

FOCUS_WITHIN = "-focus-within"
OWN_CLASSES = ("-zoomed", "-runbook", "-overview", FOCUS_WITHIN)
"""The classes set with ``set_own_classes``: app.tcss styles their widget alone."""


def set_own_classes(widget: Widget, classes: Mapping[str, bool]) -> None:
    """Add (True) or remove (False) each of ``classes`` on ``widget``, restyling it alone."""
    changed = False
    for name, add in classes.items():
        if widget.has_class(name) != add:
            widget.set_class(add, name, update=False)
            changed = True
    if changed and widget.is_mounted:
        widget.app.stylesheet.update_nodes([widget], animate=True)


class FocusWithinClass(Widget):
    """A container that keeps ``-focus-within`` on itself; see the module docstring."""

    def _on_descendant_focus(self, _event: events.DescendantFocus) -> None:
        set_own_classes(self, {FOCUS_WITHIN: self.has_focus_within})

    def _on_descendant_blur(self, _event: events.DescendantBlur) -> None:
        set_own_classes(self, {FOCUS_WITHIN: self.has_focus_within})
