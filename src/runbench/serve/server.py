"""Run the endpoint app on uvicorn: in the foreground (CLI) or on a thread (tests, bench).

The socket is bound before uvicorn starts (``bind_socket``), so a busy port is a clear
usage error and port 0 works. The lifespan is on: the worker pool starts
with the server (recovering the journal's leftovers) and stops with it.
"""

from __future__ import annotations

from starlette.types import ASGIApp

from runbench.webserver import ThreadedServer, bind_socket, make_server, serve_in_thread

RunningServer = ThreadedServer
__all__ = ["RunningServer", "bind_socket", "make_server", "start_in_thread"]


def start_in_thread(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Serve ``app`` on a background thread; returns once it accepts requests."""
    return serve_in_thread(app, host, port, lifespan="on", name="the endpoint server")
