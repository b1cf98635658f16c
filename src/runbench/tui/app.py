"""The runbench workbench: a Textual app over one workspace file.

The app is the only place that holds state: the ``WorkspaceDocument`` (tomlkit, what
gets saved), the model re-read from it after every edit, session-only variable
overrides (``--var``, never written to the file), the last ``Exchange`` per method and
the runs of this session (``RunController``). Widgets get data pushed down
(``show(...)``) and send messages up (``FieldEdited``, ``WorkspaceTree.Selected``,
``FlowchartView.StepSelected``, ...); mixins apply edits (``EditHandlers``), structure
changes (``StructureActions``/``StepActions``) and run keys (``RunActions``). Tests of a
method run through the same Executor `runbench test` uses and runbooks through the
engine, in async workers, so the message pump never waits on the network.

Layout (ids are stable): ``#tree`` on the left, the ``#editor`` ContentSwitcher
(``#overview``, ``#integration-editor``, ``#method-editor``, ``#runbook-pane`` holding
the ``RunbookPane``; those two are mounted on first use, see ``actions.lazy_panes``) and
the ``#response`` viewer beside it (wide) or below it (narrow;
hidden while a runbook is shown, the runbook pane has its own tabs).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Container, Horizontal
from textual.dom import DOMNode
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Header

from runbench.core.errors import WorkspaceError
from runbench.core.workspace import (
    Method,
    Problem,
    RunbookEdits,
    Workspace,
    WorkspaceDocument,
    check_workspace,
    starter_text,
    starter_title,
    summary,
)
from runbench.tui.actions.background import BackgroundWork
from runbench.tui.actions.edits import EditHandlers
from runbench.tui.actions.files import FileActions
from runbench.tui.actions.responses import ResponseActions
from runbench.tui.actions.runs import RunActions
from runbench.tui.actions.secrets import SecretActions
from runbench.tui.actions.sending import SendActions
from runbench.tui.actions.structure import StructureActions
from runbench.tui.actions.view import ViewActions
from runbench.tui.ascii_filter import AsciiFilter
from runbench.tui.commands import WorkbenchCommands
from runbench.tui.control_filter import ControlFilter
from runbench.tui.hangup import HUNG_UP_REASON, hangup_driver
from runbench.tui.idle_gc import IdleCollector
from runbench.tui.keymap import WORKBENCH_KEYS
from runbench.tui.restyle import restyled_nodes
from runbench.tui.screens.workbench import WorkbenchScreen
from runbench.tui.widgets.footer import KeyFooter
from runbench.tui.widgets.method_editor import MethodEditor
from runbench.tui.widgets.overview import Shown, WorkspaceOverview
from runbench.tui.widgets.own_classes import set_own_classes
from runbench.tui.widgets.response_viewer import ResponseViewer
from runbench.tui.widgets.symbols import ASCII, UNICODE
from runbench.tui.widgets.tree import Selection, WorkspaceTree

if TYPE_CHECKING:  # imported on first use (start-up time): panes, the engine, httpx
    import httpx

    from runbench.core.engine import RunRow
    from runbench.core.http import Exchange, TlsContexts
    from runbench.tui.state.response_scope import ResponseScope
    from runbench.tui.state.run_controller import RunController
    from runbench.tui.state.run_view import RunView
    from runbench.tui.widgets.integration_editor import IntegrationEditor
    from runbench.tui.widgets.runbook_pane import RunbookPane


class RunbenchApp(
    ViewActions,
    SendActions,
    ResponseActions,
    FileActions,
    SecretActions,
    RunActions,
    StructureActions,
    EditHandlers,
    BackgroundWork,
):
    """The workbench; see the module docstring."""

    CSS_PATH = str(Path(__file__).with_name("app.tcss"))
    TITLE = "runbench"
    COMMANDS = App.COMMANDS | {WorkbenchCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = WORKBENCH_KEYS

    def __init__(
        self,
        path: str | Path,
        *,
        overrides: Mapping[str, Any] | None = None,
        ascii_only: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
        environ: Mapping[str, str] | None = None,
        state_dir: str | Path | None = None,
        cursor_blink: bool = True,
        background: bool | None = None,
        new_file: bool = False,
    ) -> None:
        """``background``: warm up and collect garbage when idle (default: unless
        headless, as a test's app comes and goes). ``new_file``: ``path`` does not exist
        yet; the workbench offers to start it (from the starter or empty) and the first
        save creates it."""
        super().__init__(driver_class=hangup_driver())  # leaves when the terminal hangs up
        # No animations unless TEXTUAL_ANIMATIONS asks: a scroll to the end animated at 60
        # frames a second (each repainting the body: 3x the key's CPU), a tab's underline
        # for 0.3 s; CPU the next key waits for on two cores, and bytes over SSH.
        if "TEXTUAL_ANIMATIONS" not in os.environ:
            self.animation_level = "none"
        if new_file and not Path(path).exists():
            title = starter_title(Path(path).stem)
            self.document = WorkspaceDocument(path, new_text=starter_text(title))
        else:
            self.document = WorkspaceDocument(path)
        self.edits = RunbookEdits(self.document)
        self.overrides: dict[str, Any] = dict(overrides or {})
        self.ascii_only = ascii_only
        self.cursor_blink = cursor_blink
        self.symbols = ASCII if ascii_only else UNICODE
        # every line without control characters (a response's escape sequences never reach
        # the terminal); --ascii: through the AsciiFilter too. Added to Textual's own list
        # once, not copied into a new one at every render (get_line_filters)
        self._filters.append(ControlFilter())
        if ascii_only:
            self._filters.append(AsciiFilter())
        self.transport = transport
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self.workspace, self.problems = self._read()
        self.selection: Selection | None = None
        self.exchanges: dict[str, Exchange] = {}
        self._scopes: dict[int, ResponseScope] = {}  # id(response) -> scope: see scope_of
        self._tree_shape: tuple[Any, ...] = ()
        self.state_dir = state_dir
        self._runs: RunController | None = None  # made on first use: see RunActions.runs
        self.history_runs: dict[str, RunView] = {}
        self.latest_rows: dict[str, RunRow] = {}
        self._runs_dirty = False
        self._before_zoom: tuple[bool, Widget | None] = (True, None)
        self.collector: IdleCollector | None = None
        self.tls: TlsContexts | None = None
        self.background = background

    # -- layout --------------------------------------------------------------------
    def get_default_screen(self) -> WorkbenchScreen:
        return WorkbenchScreen(id="_default")

    def update_styles(self, node: DOMNode, animate: bool = True) -> None:
        """A node not mounted yet is styled as it mounts, with the classes it has then;
        Textual styled it at once too for each class set before (``compact`` given to a
        Select or an Input, and the Select's overlay): a wasted pass over it and its
        component classes, a third of the runbook pane's ~630 on its first opening. A
        closed dropdown's hidden list is left until it opens (``restyle``)."""
        if node is self:
            super().update_styles(node, animate)
        elif node._parent is not None:
            self.stylesheet.update_nodes(restyled_nodes(node), animate=animate)

    def compose(self) -> ComposeResult:
        self._preset_breakpoint()
        yield Header(show_clock=False, icon="rb")
        with Horizontal(id="main"):
            yield WorkspaceTree(ascii_only=self.ascii_only, id="tree")
            with Container(id="work"):
                with ContentSwitcher(id="editor", initial="overview"):
                    yield WorkspaceOverview(id="overview")
                    yield MethodEditor(id="method-editor", cursor_blink=self.cursor_blink)
                    yield Container(id="runbook-pane")  # the RunbookPane: on first use
                yield ResponseViewer(id="response")
        yield KeyFooter()

    def _preset_breakpoint(self) -> None:
        """The screen's width class (-narrow, -wide) before any widget is styled: Textual
        sets it on the first resize, and styling every widget a second time then was a
        fifth of the start-up."""
        width = self.size.width
        edges = sorted(self.HORIZONTAL_BREAKPOINTS, reverse=True)
        chosen = next((name for edge, name in edges if width >= edge), None)
        self.screen.update_classes({name: name == chosen for _, name in edges})

    def on_mount(self) -> None:
        if self.ascii_only:
            self.screen.add_class("-ascii")
        self._update_title()
        tree = self.query_one(WorkspaceTree)
        first = self._first_method()
        tree.show(self.workspace, first)
        self._tree_shape = self._shape()
        self.show_selection(first or Selection("workspace"))
        tree.focus()
        if not self.cursor_blink:
            for widget in self.query("Input, TextArea"):
                widget.cursor_blink = False  # type: ignore[attr-defined]
        if self.background if self.background is not None else not self.is_headless:
            self.start_background()
        self.call_after_refresh(self.first_frame)
        if self.document.new_file:
            self.offer_new_file()
        self.announce_kept_edits()  # a hangup's unsaved edits, if any: not forgotten

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent) and self.collector is not None:
            self.collector.touched()
        await super().on_event(event)

    async def on_unmount(self) -> None:
        """Stop runs still going (they end as failed, "stopped by user", or after a hangup
        HUNG_UP_REASON); close the journal; end the expression checker's child, if any."""
        self.stop_scope()
        if self.collector is not None:
            self.collector.stop()
        runs = self._runs  # None when nothing was run or shown from the journal
        if runs is not None:
            handles = runs.stop_all(HUNG_UP_REASON if self._hung_up else None)
            if handles:
                await asyncio.wait([h.task for h in handles], timeout=5)
            runs.close()

    def _first_method(self) -> Selection | None:
        for integration in self.workspace.integrations.values():
            for method in integration.methods.values():
                return Selection("method", integration.id, method.id)
        return None

    # -- model ---------------------------------------------------------------------
    def _read(self) -> tuple[Workspace, list[Problem]]:
        workspace, problems = self.document.model()
        checked = check_workspace(workspace) + self.reference_problems(workspace)
        return workspace, problems + checked

    def _shape(self) -> tuple[Any, ...]:
        """What the tree shows; it is rebuilt only when this changes."""
        ws = self.workspace
        return (
            tuple(
                (i.id, tuple((m.id, m.verb) for m in i.methods.values()))
                for i in ws.integrations.values()
            ),
            tuple(
                (r.id, tuple((s.id, s.kind) for s in r.steps.values()))
                for r in ws.runbooks.values()
            ),
        )

    def reread(self, select: Selection | None = None, full: bool = False) -> None:
        """Re-read the model after an edit and update every pane that depends on it.

        ``full`` reloads the editor's fields too (after structural edits or a reload);
        otherwise only derived parts update, never what the user is typing in."""
        try:
            self.workspace, self.problems = self._read()
        except WorkspaceError as exc:
            self.notify(str(exc), title="Edit not applied", severity="error")
            return
        self._update_title()
        shape = self._shape()
        if shape != self._tree_shape or select is not None:
            self._tree_shape = shape
            self.query_one(WorkspaceTree).show(self.workspace, select or self.selection)
        if select is not None or full:
            self.show_selection(select or self._current_or_parent())
        else:
            self._refresh_derived()

    def _current_or_parent(self) -> Selection:
        """The current selection if it still exists, else its nearest existing parent
        (after a delete, an undo or a reload)."""
        sel = self.selection or Selection("workspace")
        ws = self.workspace
        if sel.kind == "method" and ws.method(f"{sel.integration}.{sel.method}"):
            return sel
        if sel.kind in ("method", "integration"):
            if sel.integration in ws.integrations:
                return Selection("integration", sel.integration)
            return Selection("integrations")
        if sel.kind in ("step", "runbook"):
            if sel.runbook not in ws.runbooks:
                return Selection("runbooks")
            if sel.kind == "runbook" or sel.step in ws.runbooks[sel.runbook].steps:
                return sel
            return Selection("runbook", runbook=sel.runbook)
        return sel if sel.kind in ("integrations", "runbooks") else Selection("workspace")

    def _update_title(self) -> None:
        star = " *" if self.document.dirty else ""
        self.title = f"runbench: {self.document.path.name}{star}"
        self.sub_title = summary(self.problems)

    @property
    def known_variables(self) -> set[str]:
        return set(self.workspace.variables) | set(self.overrides)

    def selected_method(self) -> Method | None:
        sel = self.selection
        if sel is None or sel.kind != "method":
            return None
        return self.workspace.method(f"{sel.integration}.{sel.method}")

    # -- selection -----------------------------------------------------------------
    @on(WorkspaceTree.Selected)
    def _selected(self, event: WorkspaceTree.Selected) -> None:
        if event.selection != self.selection:
            self.show_selection(event.selection)

    def show_selection(self, selection: Selection) -> None:
        """Show the editor for ``selection`` with its fields loaded."""
        self.selection = selection
        switcher = self.query_one("#editor", ContentSwitcher)
        is_runbook = (
            selection.kind in ("runbook", "step") and selection.runbook in self.workspace.runbooks
        )
        # the classes hide the response viewer beside a runbook or the overview; on the
        # viewer, not on #work: a class on #work restyled its ~300 widgets (200 ms a change)
        overview = selection.kind in ("workspace", "integrations", "runbooks")
        set_own_classes(  # restyles the viewer alone, not its 30-60 widgets
            self.query_one(ResponseViewer), {"-runbook": is_runbook, "-overview": overview}
        )
        ws = self.workspace
        method = self.selected_method()
        if method is not None:
            switcher.current = "method-editor"
            exchange = self.exchanges.get(method.ref)
            self.query_one(MethodEditor).show(method, self.known_variables, exchange)
            self.query_one(ResponseViewer).show(exchange)
        elif selection.kind == "integration" and selection.integration in ws.integrations:
            self.ensure_integration_editor()
            switcher.current = "integration-editor"
            self.with_integration_editor(partial(self._show_integration, selection))
        elif selection.kind in ("runbook", "step") and selection.runbook in ws.runbooks:
            switcher.current = "runbook-pane"
            self.with_runbook_pane(partial(self._show_runbook, selection))
        else:
            switcher.current = "overview"
            shown = Shown(ws, self.problems, self.overrides, self.missing_secrets())
            self.query_one(WorkspaceOverview).show(shown)

    def _show_integration(self, selection: Selection, editor: IntegrationEditor) -> None:
        if selection == self.selection and selection.integration in self.workspace.integrations:
            editor.show(self.workspace.integrations[selection.integration])
            editor.show_problems(self._problems_under(("integrations", selection.integration)))

    def _problems_under(self, keys: tuple[str, ...]) -> list[Problem]:
        return [p for p in self.problems if p.keys[: len(keys)] == keys]

    def _show_runbook(self, selection: Selection, pane: RunbookPane) -> None:
        ws = self.workspace
        if selection == self.selection and selection.runbook in ws.runbooks:
            pane.show_runbook(
                ws, ws.runbooks[selection.runbook], selection.step or None, self.problems, load=True
            )
            self.refresh_run_panes()
            if self.runs.current(selection.runbook) is None:
                self.load_latest(selection.runbook)

    def _refresh_derived(self) -> None:
        sel = self.selection
        method = self.selected_method()
        if method is not None:
            self.query_one(MethodEditor).refresh_derived(
                method, self.known_variables, self.exchanges.get(method.ref)
            )
        elif (
            sel is not None
            and sel.kind == "integration"
            and sel.integration in self.workspace.integrations
        ):
            editor = self.integration_editor()  # not mounted yet: it loads the model when it is
            if editor is not None:
                editor.refresh_summary(self.workspace.integrations[sel.integration])
                editor.show_problems(self._problems_under(("integrations", sel.integration)))
        elif (
            sel is not None and sel.kind in ("runbook", "step") and sel == self._current_or_parent()
        ):
            pane = self.runbook_pane()
            if pane is not None:
                pane.show_runbook(
                    self.workspace,
                    self.workspace.runbooks[sel.runbook],
                    sel.step or None,
                    self.problems,
                    load=False,
                )
                self.refresh_run_panes()
        elif sel is not None:
            self.show_selection(self._current_or_parent())
