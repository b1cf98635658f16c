"""The runbook pane and the integration editor, mounted the first time they are used.

Both are hidden at start-up and together are most of the widgets of the screen (about
260 of 370); Textual applies CSS to every mounted widget before the first frame, so
composing them eagerly made start-up visibly slower. The app composes only their places
(``Container#runbook-pane``; the ``#editor`` switcher for the integration editor) and
goes through :meth:`LazyPanes.with_runbook_pane` / :meth:`LazyPanes.with_integration_editor`
to use them: the action runs at once when the pane is mounted, else the pane is mounted
(once) and the actions queued meanwhile run, in order, as soon as its children exist.
:meth:`LazyPanes.runbook_pane` is for callers that may skip when the pane is not there
(run state lives in ``RunController`` and is drawn from it when the pane shows).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from textual.widget import Widget
from textual.widgets import ContentSwitcher

from runbench.tui.actions.base import WorkbenchBase

if TYPE_CHECKING:  # imported on first mount: they pull in the engine and flowchart code
    from runbench.tui.widgets.integration_editor import IntegrationEditor
    from runbench.tui.widgets.runbook_pane import RunbookPane

W = TypeVar("W", bound=Widget)


class _Slot:
    """One lazily mounted pane: the widget once registered, and what waits for it."""

    def __init__(self) -> None:
        self.widget: Widget | None = None
        self.ready = False
        self.pending: list[Callable[[Any], None]] = []


class LazyPanes(WorkbenchBase):
    """Mount-on-first-use for the big hidden panes."""

    def _slot(self, name: str) -> _Slot:
        slots: dict[str, _Slot] = self.__dict__.setdefault("_lazy_slots", {})
        return slots.setdefault(name, _Slot())

    # -- ready-or-None -----------------------------------------------------------------
    def runbook_pane(self) -> RunbookPane | None:
        """The runbook pane if it is mounted with its children, else None."""
        slot = self._slot("runbook")
        return slot.widget if slot.ready else None  # type: ignore[return-value]

    def integration_editor(self) -> IntegrationEditor | None:
        """The integration editor if it is mounted with its children, else None."""
        slot = self._slot("integration")
        return slot.widget if slot.ready else None  # type: ignore[return-value]

    # -- use, mounting first if needed -------------------------------------------------
    def ensure_integration_editor(self) -> None:
        """Register the editor in the switcher now (so it can be made current) and start
        mounting it, unless that has been done."""
        self._ensure("integration", self._mount_integration_editor)

    def with_runbook_pane(self, action: Callable[[RunbookPane], None]) -> None:
        """Run ``action`` on the runbook pane now, or once it has been mounted."""
        self._with("runbook", self._mount_runbook_pane, action)

    def with_integration_editor(self, action: Callable[[IntegrationEditor], None]) -> None:
        """Run ``action`` on the integration editor now, or once it has been mounted."""
        self._with("integration", self._mount_integration_editor, action)

    def _with(
        self, name: str, mount: Callable[[], tuple[Widget, Any]], action: Callable[[W], None]
    ) -> None:
        slot = self._slot(name)
        if slot.ready and slot.widget is not None:
            action(slot.widget)  # type: ignore[arg-type]
            return
        slot.pending.append(action)
        self._ensure(name, mount)

    def _ensure(self, name: str, mount: Callable[[], tuple[Widget, Any]]) -> None:
        slot = self._slot(name)
        if slot.widget is None:
            self._begin_batch()  # one layout for the whole pane, not one per stage of it
            try:
                slot.widget, waiter = mount()
            except BaseException:
                self._end_batch()
                raise
            # the work, not a coroutine made now: a worker that never starts (the app
            # quitting) left that coroutine never awaited (a RuntimeWarning on the way out)
            # (mypy solves Textual's WorkType union for a callable to Never: hence the ignore)
            self.run_worker(
                partial(self._settle, slot, waiter),  # type: ignore[arg-type]
                group=f"mount-{name}",
                description=f"mount the {name} pane",
            )

    def _mount_runbook_pane(self) -> tuple[Widget, Any]:
        from runbench.tui.widgets.runbook_pane import RunbookPane

        pane = RunbookPane(ascii_only=self.ascii_only, id="runbook-view")
        return pane, self.query_one("#runbook-pane").mount(pane)

    def _mount_integration_editor(self) -> tuple[Widget, Any]:
        """Into the switcher, hidden until it is made current (as composed children are)."""
        from runbench.tui.widgets.integration_editor import IntegrationEditor

        editor = IntegrationEditor(mask=self.symbols.mask, id="integration-editor")
        editor.display = False
        switcher = self.query_one("#editor", ContentSwitcher)
        return editor, switcher.mount(editor, after="#overview")

    async def _settle(self, slot: _Slot, waiter: Any) -> None:
        """Once mounted, the queued actions; the screen lays out and draws nothing until
        then (``_ensure``): the pane mounts in stages, and each laid out the whole screen
        (8-15 layouts of ~300 widgets on the runbook pane's first opening)."""
        try:
            await waiter
            if slot.widget is None or not slot.widget.is_attached:
                return  # the workbench quit while the pane mounted: nothing to act on
            if not self.cursor_blink:
                for widget in slot.widget.query("Input, TextArea"):
                    widget.cursor_blink = False  # type: ignore[attr-defined]
            slot.ready = True
            pending, slot.pending = slot.pending, []
            for action in pending:
                action(slot.widget)
        finally:
            self._end_batch()
            if self.screen_stack:  # the app quitting cancels workers after its screens go
                self.screen.check_idle()  # what was asked of it meanwhile


__all__ = ["LazyPanes"]
