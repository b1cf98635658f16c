"""An exchange as the response viewer's text: its status line, request and headers.

Pure functions of an ``Exchange`` (already redacted by the executor), kept out of
``widgets/response_viewer`` so the widget holds only what needs a widget, and so they can
be tested without an app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from runbench.tui.state.body_lines import human_size

if TYPE_CHECKING:  # the HTTP stack loads on the first test, not at start
    from runbench.core.http import Exchange


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


__all__ = ["headers_text", "request_text", "status_text"]
