"""Run the sandbox in-process on a background thread.

``runbench demo`` and the e2e tests need a real socket (the workbench talks HTTP) but
not a second process to manage. The socket is bound here, in the caller's thread, so a
busy port is a clear ``UsageError`` rather than a ``SystemExit`` inside uvicorn's thread;
port 0 lets the OS pick a free port, read back from uvicorn's listening socket. Like
``runbench serve``, it speaks HTTP through the guarded protocol (``webserver.guarded``):
a connection must send its headers within ``header_timeout``, else it is closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette

from runbench.sandbox.app import create_app
from runbench.webserver import (
    HEADER_TIMEOUT,
    ThreadedServer,
    bind_socket,
    guarded,
    serve_in_thread,
    url_of,
)

__all__ = ["RunningSandbox", "bind_socket", "start_in_thread", "url_of"]


@dataclass
class RunningSandbox:
    """A sandbox serving on ``url`` until :meth:`stop` (also a context manager)."""

    url: str
    app: Starlette
    running: ThreadedServer = field(repr=False)

    @property
    def openai_url(self) -> str:
        return f"{self.url}/openai/v1"

    def stop(self, timeout: float = 5.0) -> None:
        self.running.stop(timeout)

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_in_thread(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    header_timeout: float = HEADER_TIMEOUT,
    **app_kwargs: Any,
) -> RunningSandbox:
    """Start a sandbox (``create_app(**app_kwargs)``) and return once it accepts requests;
    a connection that has not sent a request's headers within ``header_timeout`` seconds
    (of opening, or of its previous response) is closed."""
    app = create_app(**app_kwargs)
    running = serve_in_thread(
        app, host, port, lifespan="off", name="the sandbox", http=guarded(header_timeout)
    )
    return RunningSandbox(running.url, app, running)
