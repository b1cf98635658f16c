"""Screens laid out once per change, not twice, and not once more per resize that
changes no size: the workbench and every dialog above it.

Each layout sets every placed widget's ``virtual_size``, a reactive that asks for another
layout: ctrl+b (the tree shown or hidden) reflowed and redrew the whole screen twice, the
second time to the same places, and then drew every moved widget a third time, as each had
asked to be when its size was set (``_refresh_layout``); a request a widget posted before the
last layout began is met by it (``_on_layout``), and a resize that keeps the size moves
nothing (``_screen_resized``).

A dialog paid the same when it opened: its first layout (as it was shown), then one more for
the resize Textual sends a screen it pushes (the same size), then one more for the requests
its ~15 widgets posted as they mounted, before that first layout. Each layout of a dialog
draws it whole with its backdrop, the workbench below rendered again and tinted: opening the
add-method form cost three of them, one now.
"""

from __future__ import annotations

from textual import messages
from textual._time import get_time
from textual.geometry import Size
from textual.widget import Widget

from runbench.tui.screens.mixin_base import ScreenMixinBase


class LaidOutOnce(ScreenMixinBase):
    """Mixed in before the Screen class, as ``WorkbenchScreen`` and ``DialogScreen`` (the
    base of every dialog) do."""

    _laid_out_at = 0.0
    """When the last full layout began (Textual's message clock)."""

    def _screen_resized(self, size: Size) -> None:
        """A resize to the size the screen was last laid out at changes no place: start-up
        brings three of them (the driver's first size, the app's, the screen's own), each
        a full layout and redraw of the same frame before the first keys were drawn. A
        layout asked for meanwhile still comes from the update timer, as it would anyway."""
        if size == self._compositor.size:
            return
        super()._screen_resized(size)

    def _refresh_layout(self, size: Size | None = None, scroll: bool = False) -> None:
        """Textual's layout, without the second one it asks for at once: placing each
        widget sets its ``virtual_size``, a reactive that requests a layout, so every
        relayout (ctrl+b showing or hiding the tree) reflowed and redrew the whole screen
        twice. Those sizes come from the layout just done; laying out again from the same
        tree gives the same places. Kept: the request of a widget placed for the first
        time, of one whose scroll bars came or went (the layout just done did not leave
        room for them), and any made before or after this one. A scroll lays nothing out.

        The same sizes ask for each widget to be drawn again, after the layout's own drawing
        (ctrl+b sent the panes to the terminal twice: 24 KB for two presses, 15.5 KB now).
        The layout drew every widget it moved, whole, with its new size; one it left in
        place (a scroll bar whose thumb changed), one placed for the first time and one
        that asked before still draw."""
        if scroll:
            super()._refresh_layout(size, scroll)
            return
        self._laid_out_at = get_time()
        before = {widget: _bars(widget) for widget in self._placed()}
        regions = {widget: geometry.region for widget, geometry in self._compositor.layers}
        waiting = {widget for widget in before if widget._layout_required}
        painting = {widget for widget in before if widget._repaint_required}
        super()._refresh_layout(size, scroll)
        for widget, geometry in self._compositor.layers:
            if widget in waiting or before.get(widget, NO_BARS) != _bars(widget):
                continue
            widget._layout_required = False
            if widget not in painting and regions.get(widget, geometry.region) != geometry.region:
                widget._repaint_required = False

    async def _on_layout(self, message: messages.Layout) -> None:
        """A widget's request for a layout that was posted before the last full layout
        began is already met: that layout placed the whole tree as it was then, and the
        widget cleared its ancestors' arrangements before posting. Textual's timer lays
        out while such requests can still wait in the screen's queue (a footer whose keys
        changed posts one per removal, mount and move), and each then cost one more
        layout of the whole screen (``/``: two). Any later request is Textual's."""
        if message.time < self._laid_out_at:
            message.stop()
            message.prevent_default()  # Screen._on_layout is not called

    def _placed(self) -> list[Widget]:
        """The widgets of the last layout, scroll bars included."""
        return [widget for widget, _geometry in self._compositor.layers]


NO_BARS = (0, 0)
"""A widget placed for the first time was placed without scroll bars."""


def _bars(widget: Widget) -> tuple[int, int]:
    """The room its scroll bars take (columns, rows): a bar of size 0 (the footer's, which
    scrolls sideways when its keys overflow) takes none, so it coming or going moves
    nothing (each ``/`` laid the screen out again for it)."""
    return widget.scrollbar_size_vertical, widget.scrollbar_size_horizontal
