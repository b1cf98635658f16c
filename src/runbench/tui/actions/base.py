"""The workbench's shared state, declared once for every action mixin.

``RunbenchApp`` is assembled from mixins (sending, files, runs, structure, steps, edits,
lazy panes), each in its own module so each stays readable. They all read and write the
same state; declaring it here, once, means a mixin cannot drift from what the app really
holds, and mypy checks every use. ``RunbenchApp.__init__`` sets these attributes; the
methods listed as callables are implemented by the app or by another mixin.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.actions import SkipAction
from textual.app import App
from textual.screen import ModalScreen

from runbench.core.workspace import Method, Problem, RunbookEdits, Workspace, WorkspaceDocument
from runbench.tui.idle_gc import IdleCollector
from runbench.tui.widgets.symbols import Symbols
from runbench.tui.widgets.tree import Selection, WorkspaceTree

if TYPE_CHECKING:  # loaded on first use (start-up time)
    import httpx

    from runbench.core.engine import RunRow
    from runbench.core.http import Exchange, TlsContexts
    from runbench.tui.state.response_scope import ResponseScope
    from runbench.tui.state.run_controller import RunController
    from runbench.tui.state.run_view import RunView


class WorkbenchBase(App[int]):
    """What every mixin of ``RunbenchApp`` may use (see the module docstring)."""

    # the file, its model and what is selected
    document: WorkspaceDocument
    edits: RunbookEdits
    workspace: Workspace
    problems: list[Problem]
    selection: Selection | None
    # the session: never written to the file
    overrides: dict[str, Any]
    environ: Mapping[str, str]
    transport: httpx.AsyncBaseTransport | None
    state_dir: str | Path | None
    exchanges: dict[str, Exchange]
    tls: TlsContexts | None  # kept between tests; built by the warm-up or the first test
    collector: IdleCollector | None
    _scopes: dict[int, ResponseScope]
    history_runs: dict[str, RunView]
    latest_rows: dict[str, RunRow]  # runbook -> newest run in the journal
    _runs: RunController | None
    _runs_dirty: bool
    # looks
    ascii_only: bool
    symbols: Symbols
    cursor_blink: bool
    # implemented by the app or another mixin
    reread: Callable[..., None]
    selected_method: Callable[[], Method | None]
    scope_of: Callable[..., ResponseScope | None]
    _update_title: Callable[[], None]
    _structural: Callable[..., Any]
    action_reload: Callable[[], None]
    on_step_renamed: Callable[[str, str, str], None]
    show_selection: Callable[[Selection], None]
    structure_commands: Callable[[], list[tuple[str, str, Any]]]
    run_commands: Callable[[], list[tuple[str, str, Any]]]
    secret_commands: Callable[[], list[tuple[str, str, Any]]]
    reference_problems: Callable[[Workspace], list[Problem]]
    missing_secrets: Callable[[], list[str]]
    offer_new_file: Callable[[], None]

    def skip_under_a_dialog(self) -> None:
        """For the keys that work in any field (ctrl+e, ctrl+z, ctrl+y): not while a dialog
        is open (a second checker over the first, an undo under a pending form); the key
        then goes to the dialog's field (an Input's own end-of-line, undo)."""
        if isinstance(self.screen, ModalScreen):
            raise SkipAction()

    def follow_the_tree_cursor(self) -> None:
        """Before a tree key acts (a, r, c, delete): the node under the tree's cursor is
        what it acts on. The cursor moves with the key before it, but the selection
        follows by message; a key typed right after (or on a loaded machine) acted on
        the node before."""
        tree = self.focused
        if isinstance(tree, WorkspaceTree) and tree.selection not in (None, self.selection):
            self.show_selection(tree.selection)
