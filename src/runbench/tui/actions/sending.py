"""Testing a method from the workbench (ctrl+t) and checking paths against the answer
(ctrl+e): a mixin of the app.

The last ``Exchange`` of each method is kept for this session (never saved). The HTTP
stack is not imported at start: a thread warms it once the workbench is drawn and idle
(``actions.background``), else the first test imports it. A response's parsed scope for the
expression checker is a ``ResponseScope``: parsed on first use, in a child process when
the body is big (see ``state.response_scope``), and stopped as soon as a newer response or
the end of the app makes it useless, so a 50 MiB answer does not keep a child holding
it in memory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.widgets import Static

from runbench.core.workspace import Method
from runbench.tui.actions.base import WorkbenchBase
from runbench.tui.widgets.method_editor import MethodEditor
from runbench.tui.widgets.response_viewer import ResponseViewer

if TYPE_CHECKING:
    from runbench.core.http import Exchange
    from runbench.tui.state.response_scope import ResponseScope


class SendActions(WorkbenchBase):
    """ctrl+t and ctrl+e."""

    def action_test_method(self) -> None:
        method = self.selected_method()
        if method is None:
            self.notify("select a method in the tree to test it", severity="warning")
            return
        self.query_one("#response-status", Static).update(
            f"testing {method.ref}{self.symbols.ellipsis}"
        )
        self.send_test(method)

    @work(exclusive=True, group="test", description="test method")
    async def send_test(self, method: Method) -> Exchange:
        from runbench.core.history import MethodTestHistory  # warmed up by now, usually
        from runbench.core.http import TlsContexts, call_method

        if self.tls is None:
            self.tls = TlsContexts()
        called = await call_method(
            self.workspace,
            method,
            overrides=self.overrides,
            environ=self.environ,
            transport=self.transport,
            history=MethodTestHistory.for_workspace(self.workspace.path, self.state_dir),
            source="tui",
            tls=self.tls,
        )
        if not self.is_running:  # quit while it waited: its screen is going or gone
            return called.exchange
        if called.history_error:
            self.notify(called.history_error, title="Not kept in the history", severity="warning")
        exchange = called.exchange
        previous = self.exchanges.get(method.ref)
        self.exchanges[method.ref] = exchange
        if previous is not None and previous.response is not None:
            self.stop_scope(id(previous.response))  # its parsed body is no longer shown
        current = self.selected_method()
        if current is not None and current.ref == method.ref:
            self.query_one(ResponseViewer).show(exchange)
            self.query_one(MethodEditor).show_outputs(current, exchange)
        return exchange

    def last_exchange(self) -> Exchange | None:
        method = self.selected_method()
        if method is not None and method.ref in self.exchanges:
            return self.exchanges[method.ref]
        return self.query_one(ResponseViewer).exchange

    def scope_of(
        self, exchange: Exchange | None, *, threshold: int | None = None
    ) -> ResponseScope | None:
        """The output scope of ``exchange`` as a ``ResponseScope`` (None without a response).

        Does no parsing (call it on the event loop): the checker's worker thread does that
        on first use, in a child process for a body over ``threshold`` characters (default
        ``OFFLOAD_THRESHOLD``). Kept for the last response asked for; the one before is
        stopped (its child ended)."""
        from runbench.tui.state.response_scope import OFFLOAD_THRESHOLD, ResponseScope

        if exchange is None or exchange.response is None:
            return None
        key = id(exchange.response)
        if key not in self._scopes:
            self.stop_scope()
            limit = OFFLOAD_THRESHOLD if threshold is None else threshold
            self._scopes[key] = ResponseScope(exchange.response, threshold=limit)
        return self._scopes[key]

    def stop_scope(self, key: int | None = None) -> None:
        """Stop the scope of one response (by ``id``), or every scope."""
        for found in [k for k in self._scopes if key is None or k == key]:
            self._scopes.pop(found).stop()

    def action_check_expression(self) -> None:
        from runbench.tui.screens.checker import ExpressionChecker

        self.skip_under_a_dialog()

        exchange = self.last_exchange()
        method = self.selected_method()
        subject = method.ref if method else "no method selected"
        if exchange is not None and exchange.response is not None:
            subject += f" {self.symbols.dot} last response {exchange.response.status}"
        taken = tuple(o.name for o in method.outputs) if method else ()
        scope = self.scope_of(exchange)  # here, not in the worker thread: it may stop a child
        self.push_screen(ExpressionChecker(lambda: scope, subject, taken=taken))
