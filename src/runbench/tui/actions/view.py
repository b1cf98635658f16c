"""Panes, help, the palette and a step chosen on the flowchart (a mixin of the app):
what the workbench shows, not what it edits.

``ctrl+b`` hides the tree, ``ctrl+r`` zooms the response (escape restores), ``f1`` lists
every key (read from ``keymap``, so help imports no lazy widget) and ``ctrl+p`` offers
every action plus "go to" entries for each integration, method and runbook.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.widget import Widget

from runbench.tui.actions.lazy_panes import LazyPanes
from runbench.tui.commands import Command, go_to_commands
from runbench.tui.keymap import (
    CHECKER_KEYS,
    FLOWCHART_KEYS,
    HISTORY_KEYS,
    RESPONSE_KEYS,
    RULES_KEYS,
    TEST_HISTORY_KEYS,
)
from runbench.tui.screens.help import HelpScreen
from runbench.tui.widgets.kv_table import KeyValueTable
from runbench.tui.widgets.own_classes import set_own_classes
from runbench.tui.widgets.response_viewer import ResponseViewer
from runbench.tui.widgets.tree import Selection, WorkspaceTree

if TYPE_CHECKING:  # loaded on first use (start-up time)
    from runbench.tui.widgets.flowchart import FlowchartView
    from runbench.tui.widgets.runbook_pane import RunbookPane


class ViewActions(LazyPanes):
    """See the module docstring."""

    _before_zoom: tuple[bool, Widget | None]

    # -- panes -----------------------------------------------------------------------
    def action_toggle_tree(self) -> None:
        tree = self.query_one(WorkspaceTree)
        tree.display = not tree.display
        if not tree.display and tree.has_focus:
            self.screen.focus_next()

    def action_toggle_response(self) -> None:
        """ctrl+r: the response viewer alone on screen, or back (also escape). Only display
        flags and one class on the viewer change: ``Screen.maximize`` restyled every
        widget, 80+ ms per press (and a class set the usual way, the viewer's 30-60)."""
        response = self.query_one(ResponseViewer)
        zoom = not response.has_class("-zoomed")
        if zoom and response.has_class("-runbook"):
            self.notify("ctrl+r zooms a method's response: select a method", severity="warning")
            return
        set_own_classes(response, {"-zoomed": zoom})  # the viewer alone is restyled
        self.query_one("#editor").display = not zoom
        tree = self.query_one(WorkspaceTree)
        if zoom:
            self._before_zoom = (tree.display, self.focused)
            tree.display = False
            if not response.has_focus_within:
                response.query_one("#response-body").focus()
        else:
            tree.display, focused = self._before_zoom
            if focused is not None and focused.is_attached and focused.display:
                focused.focus()  # back where the user was before ctrl+r

    def action_unzoom(self) -> None:
        self.action_toggle_response()

    def check_action(self, action: str, _parameters: tuple[object, ...]) -> bool | None:
        if action == "unzoom":  # escape leaves the zoom; otherwise it is not bound here
            return self.query_one(ResponseViewer).has_class("-zoomed")
        return True

    def action_help(self) -> None:
        sections = [
            ("Workbench", self.BINDINGS),
            ("Tree", WorkspaceTree.BINDINGS),
            ("Flowchart (Flow tab)", FLOWCHART_KEYS),
            ("Tables (query, headers, outputs, arguments)", KeyValueTable.BINDINGS),
            ("Condition rules", RULES_KEYS),
            ("Response viewer", RESPONSE_KEYS),
            ("Past responses (h)", TEST_HISTORY_KEYS),
            ("History tab", HISTORY_KEYS),
            ("Expression checker", CHECKER_KEYS),
        ]
        self.push_screen(HelpScreen(sections))

    def palette_commands(self) -> list[Command]:
        """Every action for the command palette, then "go to" entries."""
        commands: list[Command] = [
            (b.tooltip or b.description, b.key, partial(self.run_action, b.action))
            for b in self.BINDINGS
            if isinstance(b, Binding)
        ]
        return (
            commands
            + self.structure_commands()
            + self.secret_commands()
            + self.run_commands()
            + go_to_commands(self.workspace, self.go_to)
        )

    def go_to(self, selection: Selection) -> None:
        tree = self.query_one(WorkspaceTree)
        tree.display = True
        tree.select_data(selection, announce=False)
        self.show_selection(selection)

    # -- the flowchart ---------------------------------------------------------------
    def on_flowchart_view_step_selected(self, event: FlowchartView.StepSelected) -> None:
        """A box of the flowchart was chosen (by name: FlowchartView is imported lazily)."""
        sel = self.selection
        if sel is None or sel.runbook not in self.workspace.runbooks:
            return
        selection = Selection("step", runbook=sel.runbook, step=event.step)
        if selection != self.selection:
            self.selection = selection
            self.query_one(WorkspaceTree).select_data(selection, announce=False)
            self.with_runbook_pane(lambda pane: pane.select_step(self.workspace, event.step))
        if event.open:
            self.with_runbook_pane(self._open_step_tab)

    def _open_step_tab(self, pane: RunbookPane) -> None:
        from runbench.tui.widgets.step_editor import StepEditor

        pane.open_tab("tab-step")
        self.call_after_refresh(pane.query_one(StepEditor).focus_first)


__all__ = ["ViewActions"]
