"""The workbench's main screen: Textual's ``Screen`` without a full repaint per focus move.

``Screen.focused`` is a reactive that repaints the whole screen when it changes, so each
Tab press composited every widget of the 80x24 screen again (a third of the drawing CPU of
a typical key mix). Nothing is drawn from the screen's own ``focused``: the widget that
gains focus and the one that loses it restyle themselves (``:focus``) and so repaint their
own regions, and the footer follows the bindings. The attribute is the same reactive
otherwise (watchers, ``validate``), only without ``repaint``.
"""

from __future__ import annotations

from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget


class WorkbenchScreen(Screen[None]):
    """The default screen of ``RunbenchApp``; see the module docstring."""

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
