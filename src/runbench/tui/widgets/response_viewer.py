"""The response viewer: status line, then Body / Headers / Request / Outputs tabs.

Everything shown comes from an ``Exchange`` (already redacted by the executor). The
body is pretty-printed in a thread worker (``state.body_lines``), a preview first when it is
large, and drawn by ``LineView``, which highlights only visible lines, so a 50 MiB
response never blocks the keyboard. The parsed JSON the expression checker needs is
also made in a thread, once per response, on first request.

``/`` searches the shown tab where its text already is (``body_search``, in a thread
worker, slice by slice, so keys keep answering on a 50 MiB body), jumping to the first
match as soon as it is found; ``n``/``N`` walk the matches. ``f`` filters the body with an
output path (or a ``.jq.like`` path): the viewer asks the app (``FilterAsked``: the app
holds the parsed scope) and shows what comes back (:meth:`show_filtered`); escape
restores the body. Saving, copying, the pager and history are the app's
(``ResponseActions``); this widget says what is selected (:meth:`selected_text`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static, TabbedContent, TabPane
from textual.widgets._toast import Toast
from textual.worker import get_current_worker

from runbench.tui.keymap import RESPONSE_KEYS
from runbench.tui.state.body_lines import FormatCancelled, Lines, format_body, index_lines
from runbench.tui.state.body_search import (
    Matches,
    as_wide_as_a_count,
    count_status,
    line_pattern,
    search,
)
from runbench.tui.state.exchange_text import headers_text, request_text, status_text
from runbench.tui.widgets.find_bar import FindBar
from runbench.tui.widgets.highlight import lexer_for
from runbench.tui.widgets.line_view import LineView
from runbench.tui.widgets.method_editor import shown_value
from runbench.tui.widgets.own_classes import FocusWithinClass
from runbench.tui.widgets.static_text import show_text
from runbench.tui.widgets.symbols import symbols_of

if TYPE_CHECKING:  # the HTTP stack loads on the first test, not at start
    from runbench.core.http import Exchange
    from runbench.tui.state.response_scope import Checked

NO_RESPONSE = "No response yet: ctrl+t tests the selected method"


SEARCHED = ("response-body", "response-headers", "response-request")


class ResponseViewer(FocusWithinClass, Vertical):
    """Shows one Exchange; call :meth:`show` (the app decides which exchange)."""

    BINDINGS: ClassVar[list[BindingType]] = RESPONSE_KEYS

    class FilterAsked(Message):
        """Evaluate ``text`` (an output path) over the shown exchange; answer with
        :meth:`ResponseViewer.show_filtered`."""

        def __init__(self, exchange: Exchange, text: str) -> None:
            super().__init__()
            self.exchange = exchange
            self.text = text

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.exchange: Exchange | None = None
        self.formatting = False
        self.query_text = ""
        self.matches: Matches | None = None
        self.match_index = -1
        self.filtered: str | None = None  # the filter shown in the body, if any
        self._count_toasts: set[str] = set()  # the texts of the n/N toasts since the bar
        self._body: tuple[Lines, object] | None = None  # the full body while filtered
        self._bar: FindBar | None = None

    def compose(self) -> ComposeResult:
        yield Static(NO_RESPONSE, id="response-status")
        with TabbedContent(id="response-tabs"):
            with TabPane("Body", id="tab-response-body"):
                yield LineView(id="response-body")
            with TabPane("Headers", id="tab-response-headers"):
                yield LineView(id="response-headers")
            with TabPane("Request", id="tab-response-request"):
                yield LineView(id="response-request")
            with TabPane("Outputs", id="tab-response-outputs"):
                table: DataTable[str | Text] = DataTable(id="response-outputs", cursor_type="row")
                table.add_columns("Output", "Value")
                yield table

    def show(self, exchange: Exchange | None) -> None:
        self.exchange = exchange
        self._drop_filter()
        body = self.query_one("#response-body", LineView)
        if exchange is None:
            self._show_status(NO_RESPONSE)
            for view in self.query(LineView):
                view.show(index_lines(""))
            self.query_one("#response-outputs", DataTable).clear()
            return
        marks = symbols_of(self)
        self._show_status(status_text(exchange, marks.dot))
        self.query_one("#response-headers", LineView).show(index_lines(headers_text(exchange)))
        self.query_one("#response-request", LineView).show(index_lines(request_text(exchange)))
        self._outputs(exchange)
        if exchange.response is None:
            body.show(index_lines(exchange.error or ""))
            return
        self.find_bar()  # now, hidden, so that / only shows it
        content_type = exchange.response.header("content-type") or ""
        body.show(index_lines(f"formatting{marks.ellipsis}"))
        self.formatting = True
        self._format(exchange, exchange.response.body, content_type)

    def _show_status(self, content: str | Text) -> None:
        """The one-row status line over the tabs (set only when it changes: ``show_text``)."""
        show_text(self.query_one("#response-status", Static), content)

    def _outputs(self, exchange: Exchange) -> None:
        table = self.query_one("#response-outputs", DataTable)
        table.clear()
        shown = exchange.shown_outputs if exchange.shown_outputs is not None else exchange.outputs
        for name, value in shown.items():
            table.add_row(name, Text(shown_value(value), style="green"))
        for name, error in exchange.output_errors.items():
            table.add_row(name, Text(error, style="red"))

    @work(thread=True, exclusive=True, group="format", description="format response body")
    def _format(self, exchange: Exchange, body: str, content_type: str) -> None:
        def deliver(lines: Lines, final: bool) -> None:
            if self.exchange is not exchange:
                return
            lexer = lexer_for(content_type, lines.head(64)) if not lines.json else None
            if self.filtered is not None:
                self._body = (lines, lexer)  # shown again when the filter is cleared
            else:
                self.query_one("#response-body", LineView).show(lines, lexer, keep_scroll=True)
                self._search_again()
            self.formatting = not final
            marks = symbols_of(self)
            status = status_text(exchange, marks.dot)
            if not final:
                status.append(f"  {marks.dot} formatting the rest{marks.ellipsis}", style="italic")
            self._show_status(status)

        def preview(lines: Lines) -> None:
            self.app.call_from_thread(deliver, lines, False)

        worker = get_current_worker()
        try:
            lines = format_body(
                body, content_type, preview, in_process=True, cancelled=lambda: worker.is_cancelled
            )
        except FormatCancelled:
            return  # a newer response, or the viewer is gone: its child is ended
        self.app.call_from_thread(deliver, lines, True)

    # -- find (/, n, N) ------------------------------------------------------------------
    def find_bar(self) -> FindBar:
        """The find/filter bar: mounted (hidden) with the first response or on first use,
        not at start."""
        if self._bar is None:
            self._bar = FindBar(id="find-bar")
            self._bar.display = False
            self.mount(self._bar)
        return self._bar

    def _open_bar(self, mode: str, text: str) -> None:
        self._dismiss_count_toast()
        bar = self.find_bar()
        if bar.is_mounted:
            bar.open(mode, text)
        else:
            self.call_after_refresh(bar.open, mode, text)

    def searched_view(self) -> LineView | None:
        """The LineView of the shown tab (None on Outputs)."""
        active = self.query_one("#response-tabs", TabbedContent).active
        name = active.removeprefix("tab-")
        return self.query_one(f"#{name}", LineView) if name in SEARCHED else None

    def action_find(self) -> None:
        if self.searched_view() is None:
            self.app.bell()
            return
        self._open_bar("find", self.query_text)

    def action_filter(self) -> None:
        if self.exchange is None or self.exchange.response is None:
            self.notify("no response to filter: ctrl+t tests the method", severity="warning")
            return
        self.query_one("#response-tabs", TabbedContent).active = "tab-response-body"
        self._open_bar("filter", self.filtered or "")

    def action_find_next(self) -> None:
        self._step(1)

    def action_find_previous(self) -> None:
        self._step(-1)

    def action_clear(self) -> None:
        self.find_bar().display = False
        if self.filtered is not None:
            self._drop_filter()
        else:
            self.find("")
        view = self.searched_view()
        if view is not None:
            view.focus()

    def action_wrap(self) -> None:
        view = self.searched_view()
        if view is not None and not view.set_wrap(not view.wrap):
            self.notify("too many lines to wrap; p opens the body in the pager", severity="warning")

    def check_action(self, action: str, _parameters: tuple[object, ...]) -> bool | None:
        if action == "clear":  # escape: only when there is something to clear
            return bool(self.query_text or self.filtered is not None)
        if action in ("find_next", "find_previous"):
            return self.matches is not None
        return True

    def find(self, text: str) -> None:
        """Search the shown tab for ``text`` (empty: clear the marks)."""
        self.query_text = text
        self.matches, self.match_index = None, -1
        for each in self.query(LineView):
            each.mark(None)
        view = self.searched_view()
        if view is None or not text:
            self.find_bar().status("")
            self.workers.cancel_group(self, "search")
            return
        view.mark(line_pattern(text))
        searching = Text("searching…", style="italic")
        self.find_bar().status(as_wide_as_a_count(searching, view.lines, text))
        self._search(view, view.lines, text)

    def _search_again(self) -> None:
        if self.query_text:
            self.find(self.query_text)

    @work(thread=True, exclusive=True, group="search", description="search the response")
    def _search(self, view: LineView, lines: Lines, text: str) -> None:
        worker = get_current_worker()

        def progress(matches: Matches) -> None:
            # A copy as of this report: the search goes on changing its own Matches in this
            # thread, and the viewer's count and done must be those it has shown. (The kept
            # offsets are shared: they only grow, and what was reported stays as it was.)
            if not worker.is_cancelled:
                self.app.call_from_thread(self._found, view, replace(matches))

        found = search(lines, text, cancelled=lambda: worker.is_cancelled, progress=progress)
        if (found.done or found.stopped) and not worker.is_cancelled:
            self.app.call_from_thread(self._found, view, found)

    def _found(self, view: LineView, matches: Matches) -> None:
        if matches.query != self.query_text or view.lines is not matches.lines:
            return  # a newer query, or the text changed under it
        self.matches = matches
        if self.match_index < 0 and matches.offsets:
            self.match_index = 0
            self._go(view)
        self._show_count(announce=False)  # a closed bar's count: no toast per report

    def _step(self, delta: int) -> None:
        view = self.searched_view()
        matches = self.matches
        if view is not None and matches is not None and view.lines is not matches.lines:
            self.find(self.query_text)  # another tab (or a new body): search it instead
            return
        if view is None or matches is None or not matches.offsets:
            self.app.bell()
            return
        self.match_index = (self.match_index + delta) % len(matches.offsets)
        self._go(view)
        self._show_count(announce=True)

    def _go(self, view: LineView) -> None:
        assert self.matches is not None
        line, column = self.matches.position(self.match_index)
        view.go_to(line, column, len(self.query_text))

    def _show_count(self, *, announce: bool) -> None:
        """The count in the bar; with the bar closed, a toast when ``announce`` (n/N)."""
        matches = self.matches
        if matches is None:
            return
        text = count_status(matches, self.match_index)
        if self.find_bar().display:  # open() clears the status: a hidden bar's would not show
            self.find_bar().status(text)
        elif matches.count and announce:
            toast = text.plain.strip()
            self._count_toasts.add(toast)
            self.notify(toast, timeout=1.5)

    def _dismiss_count_toast(self) -> None:
        """The n/N toasts go as the bar opens: they lay over the bar's own count (bottom
        right) for the rest of their 1.5 s, and a first search seemed to take that long."""
        texts, self._count_toasts = self._count_toasts, set()
        if not texts:
            return
        for toast in self.screen.query(Toast):  # shown: goes as its timer would take it
            if toast._notification.message in texts:
                toast._expire()
        notifications = self.app._notifications  # not shown yet: forgotten
        for notification in [n for n in notifications if n.message in texts]:
            self.app._unnotify(notification)

    @on(FindBar.Changed)
    def _typed(self, event: FindBar.Changed) -> None:
        if event.mode == "find":
            self.find(event.text)
        else:
            self._check_syntax(event.text)

    @on(FindBar.Submitted)
    def _entered(self, event: FindBar.Submitted) -> None:
        bar = self.find_bar()
        if event.mode == "find":
            bar.display = False
            view = self.searched_view()
            if view is not None:
                view.focus()
        elif event.text.strip() and self.exchange is not None:
            bar.status(Text("evaluating…", style="italic"))
            self.post_message(self.FilterAsked(self.exchange, event.text.strip()))

    @on(FindBar.Closed)
    def _bar_closed(self, _event: FindBar.Closed) -> None:
        view = self.searched_view()
        if view is not None:
            view.focus()

    # -- filter (f) ----------------------------------------------------------------------
    def _check_syntax(self, text: str) -> None:
        from runbench.tui.state.body_filter import syntax_error

        self.find_bar().error(syntax_error(text) if text.strip() else None)

    def show_filtered(self, exchange: Exchange, text: str, checked: Checked) -> None:
        """Show what the filter ``text`` found (or why it found nothing) over the body."""
        from runbench.tui.state.body_filter import outcome

        if exchange is not self.exchange:
            return
        bar = self.find_bar()
        result, error = outcome(checked)
        bar.error(error)
        if result is None:
            bar.status(Text("no result", style="yellow"))
            return
        body = self.query_one("#response-body", LineView)
        if self._body is None:
            self._body = (body.lines, body.lexer)
        self.filtered = text
        self.find("")
        body.show(index_lines(result, is_json=not checked.raw))
        bar.status(Text(f"{checked.type_name} · escape restores the body", style="green"))
        status = status_text(exchange, symbols_of(self).dot)
        status.append(f"  filtered: {text} (escape)", style="bold cyan")
        self._show_status(status)
        bar.display = False
        body.focus()

    def _drop_filter(self) -> None:
        if self._body is not None:
            lines, lexer = self._body
            self.query_one("#response-body", LineView).show(lines, lexer)  # type: ignore[arg-type]
        if self.filtered is not None and self.exchange is not None:
            status = status_text(self.exchange, symbols_of(self).dot)
            self._show_status(status)
        self._body = None
        self.filtered = None

    # -- what the app copies and saves ---------------------------------------------------
    def selected_text(self) -> str:
        """The selected line of the shown tab ('' when there is none)."""
        view = self.searched_view()
        if view is None or not view.lines.count:
            return ""
        return view.lines.line(view.selected_line)

    def shown_text(self) -> str:
        """The whole body as shown: formatted, or the filter's result."""
        return self.query_one("#response-body", LineView).lines.text
