"""Screens styled once as they open, not twice, and not repainted whole per focus move.

Textual sends a screen a ``ScreenResume`` when it is pushed (and the app's first screen
one when the app starts), and that resume restyles every widget of the screen, each of
which was styled as it mounted a moment before. So every dialog styled its whole subtree
twice each time it opened (the add-step dialog: 19 widgets, twice), and the workbench
styled its ~70 widgets twice before the first frame. Every class or CSS change since the
mount restyles what it touches anyway, so the first resume's pass is skipped; later
resumes (the screen shown again when a dialog above it closes) are Textual's.

``Screen.focused`` is a reactive that repaints the whole screen when it changes. Nothing is
drawn from it: the widget that gains focus and the one that loses it restyle themselves
(``:focus``) and repaint their own regions. On the workbench each Tab composited every
widget again; on a dialog it drew the dimmed workbench behind it again (a modal's
translucent background is the screen below, rendered whole and tinted), once per Tab and
once per focus set as it opened: the form dialogs (add-step, add-runbook, row) of the
build-from-nothing story drew their backdrop 34 times, 18 without this (every dialog and
the palette: 36, 20). The attribute is
the same reactive otherwise (watchers, ``validate``), only without ``repaint``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events
from textual.reactive import Reactive

from runbench.tui.screens.mixin_base import ScreenMixinBase

if TYPE_CHECKING:
    from textual.widget import Widget


class StyledOnce(ScreenMixinBase):
    """Mixed in before the Screen class, as ``WorkbenchScreen`` and ``DialogScreen`` (the
    base of every dialog) do."""

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
    _resumed = False

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False  # just styled, widget by widget, as they mounted
        super()._on_screen_resume(event)
