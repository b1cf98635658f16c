"""The response viewer: status line, then Body / Headers / Request / Outputs tabs.

Everything shown comes from an ``Exchange`` (already redacted by the executor). The
body is pretty-printed in a thread worker (``state.body_lines``), a preview first when it is
large, and drawn by ``LineView``, which highlights only visible lines, so a 50 MiB
response never blocks the keyboard. The parsed JSON the expression checker needs is
also made in a thread, once per response, on first request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from runbench.tui.state.body_lines import Lines, format_body, human_size, index_lines
from runbench.tui.widgets.highlight import lexer_for
from runbench.tui.widgets.line_view import LineView
from runbench.tui.widgets.method_editor import shown_value
from runbench.tui.widgets.symbols import symbols_of

if TYPE_CHECKING:  # the HTTP stack loads on the first test, not at start
    from runbench.core.http import Exchange

NO_RESPONSE = "No response yet: ctrl+t tests the selected method"


def status_text(exchange: Exchange, dot: str = "·") -> Text:
    """``200 OK · 123 ms · 1.2 KB`` coloured by outcome, or the error."""
    response = exchange.response
    text = Text()
    if response is not None:
        style = (
            "bold green"
            if 200 <= response.status < 300
            else ("bold yellow" if response.status < 500 else "bold red")
        )
        text.append(f" {response.status} {response.reason} ", style=f"{style} reverse")
        text.append(f"  {exchange.elapsed_ms:.0f} ms {dot} {human_size(response.size)}")
        if exchange.attempts > 1:
            text.append(f" {dot} {exchange.attempts} attempts")
    if exchange.error:
        text.append(f" {exchange.error_kind or 'error'} ", style="bold red reverse")
        text.append(f" {exchange.error}", style="red")
    return text


def request_text(exchange: Exchange) -> str:
    request = exchange.request
    if request is None:
        return "(no request was sent)"
    lines = [f"{request.method} {request.url}"]
    lines += [f"{name}: {value}" for name, value in request.headers]
    if request.body:
        lines += ["", request.body]
    return "\n".join(lines)


def headers_text(exchange: Exchange) -> str:
    if exchange.response is None:
        return "(no response)"
    return "\n".join(f"{name}: {value}" for name, value in exchange.response.headers)


class ResponseViewer(Vertical):
    """Shows one Exchange; call :meth:`show` (the app decides which exchange)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.exchange: Exchange | None = None

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
        body = self.query_one("#response-body", LineView)
        if exchange is None:
            self.query_one("#response-status", Static).update(NO_RESPONSE)
            for view in self.query(LineView):
                view.show(index_lines(""))
            self.query_one("#response-outputs", DataTable).clear()
            return
        marks = symbols_of(self)
        self.query_one("#response-status", Static).update(status_text(exchange, marks.dot))
        self.query_one("#response-headers", LineView).show(index_lines(headers_text(exchange)))
        self.query_one("#response-request", LineView).show(index_lines(request_text(exchange)))
        self._outputs(exchange)
        if exchange.response is None:
            body.show(index_lines(exchange.error or ""))
            return
        content_type = exchange.response.header("content-type") or ""
        body.show(index_lines(f"formatting{marks.ellipsis}"))
        self._format(exchange, exchange.response.body, content_type)

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
            self.query_one("#response-body", LineView).show(lines, lexer, keep_scroll=True)
            marks = symbols_of(self)
            status = status_text(exchange, marks.dot)
            if not final:
                status.append(f"  {marks.dot} formatting the rest{marks.ellipsis}", style="italic")
            self.query_one("#response-status", Static).update(status)

        def preview(lines: Lines) -> None:
            self.app.call_from_thread(deliver, lines, False)

        lines = format_body(body, content_type, preview, in_process=True)
        self.app.call_from_thread(deliver, lines, True)
