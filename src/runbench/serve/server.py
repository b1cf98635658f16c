"""Run the endpoint app on uvicorn: in the foreground (CLI) or on a thread (tests, bench).

The socket is bound before uvicorn starts (``bind_socket``), so a busy port is a clear
usage error and port 0 works. The lifespan is on: the worker pool starts with the
server (recovering the journal's leftovers) and stops with it. The HTTP protocol is
uvicorn's with the slow-client guards of ``runbench.webguards`` (headers deadline, connection
limit that evicts idle connections first).
"""

from __future__ import annotations

import socket

from starlette.types import ASGIApp

from runbench.webserver import (
    HEADER_TIMEOUT,
    MAX_CONNECTIONS,
    ThreadedServer,
    bind_socket,
    guarded,
    make_server,
    serve_in_thread,
)

RunningServer = ThreadedServer
__all__ = ["RunningServer", "bind_socket", "make_server", "serve_forever", "start_in_thread"]


def start_in_thread(
    app: ASGIApp,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    header_timeout: float = HEADER_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
) -> RunningServer:
    """Serve ``app`` on a background thread; returns once it accepts requests."""
    return serve_in_thread(
        app,
        host,
        port,
        lifespan="on",
        name="the endpoint server",
        http=guarded(header_timeout, max_connections),
    )


def serve_forever(
    app: ASGIApp,
    sock: socket.socket,
    *,
    header_timeout: float = HEADER_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
) -> None:
    """Serve ``app`` on ``sock`` in this thread until interrupted (the CLI)."""
    make_server(app, http=guarded(header_timeout, max_connections)).run(sockets=[sock])
