"""Keep a tab strip's underline under its active tab.

Textual places the underline once, after the refresh that follows a tab change or a resize
of the strip. A strip mounted while the process is busy (the runbook pane is mounted on first
use) can be placed before its tabs have their width, and nothing places it again: the active
tab then shows no underline until the terminal is resized (seen under load, and in a
snapshot test). ``place_underlines`` looks again after each refresh until the tabs have
their width, and moves an underline that is not under its active tab.
"""

from __future__ import annotations

from typing import Any

from textual.widget import Widget
from textual.widgets import Tabs

MAX_LOOKS = 50
"""Refreshes to wait for the tabs to be laid out; a strip that stays hidden is left alone."""


def place_underlines(widget: Widget, looks: int = MAX_LOOKS) -> None:
    """Move each underline in ``widget`` under its active tab, now or once laid out."""
    for tabs in widget.query(Tabs):
        active = tabs.active_tab
        if active is None:
            continue
        region = active.virtual_region.shrink(active.styles.gutter)
        if not region.width:
            if looks:
                widget.call_after_refresh(place_underlines, widget, looks - 1)
            return
        underline: Any = tabs.query_one("Underline")  # Textual's own widget, not exported
        start, end = region.column_span
        if (underline.highlight_start, underline.highlight_end) != (start, end):
            underline.highlight_start, underline.highlight_end = start, end


__all__ = ["place_underlines"]
