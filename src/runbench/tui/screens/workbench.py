"""The workbench's main screen: Textual's ``Screen`` without a full repaint per focus move
and without styling every widget twice at start-up.

``Screen.focused`` is a reactive that repaints the whole screen when it changes, so each
Tab press composited every widget of the 80x24 screen again (a third of the drawing CPU of
a typical key mix). Nothing is drawn from the screen's own ``focused``: the widget that
gains focus and the one that loses it restyle themselves (``:focus``) and so repaint their
own regions, and the footer follows the bindings. The attribute is the same reactive
otherwise (watchers, ``validate``), only without ``repaint``.

The first ``ScreenResume`` (the app starting) asks the screen to restyle all of its
widgets, each of which was styled as it mounted a moment before: a second pass over ~70
widgets before the first frame. Every class or CSS change since restyles what it touches
anyway, so that first pass is skipped; later resumes (a dialog closing) are Textual's.
"""

from __future__ import annotations

from textual import events
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget


class WorkbenchScreen(Screen[None]):
    """The default screen of ``RunbenchApp``; see the module docstring."""

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
    _resumed = False

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False  # just styled, widget by widget, as they mounted
        super()._on_screen_resume(event)
