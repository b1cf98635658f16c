"""Run the endpoint app on uvicorn: in the foreground (CLI) or on a thread (tests, bench).

The socket is bound before uvicorn starts (``bind_socket``), so a busy port is a clear
usage error and port 0 works. The lifespan is on: the worker pool starts
with the server (recovering the journal's leftovers) and stops with it.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field

import uvicorn
from starlette.types import ASGIApp

from runbench.core.errors import UsageError
from runbench.sandbox.server import bind_socket, url_of

START_TIMEOUT = 10.0




def make_server(app: ASGIApp) -> uvicorn.Server:
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    return uvicorn.Server(config)


@dataclass
class RunningServer:
    """A server on ``url`` until :meth:`stop` (also a context manager)."""

    url: str
    server: uvicorn.Server = field(repr=False)
    thread: threading.Thread = field(repr=False)
    sock: socket.socket = field(repr=False)

    def stop(self, timeout: float = 15.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)
        self.sock.close()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_in_thread(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Serve ``app`` on a background thread; returns once it accepts requests."""
    sock = bind_socket(host, port)
    server = make_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                              name="runbench-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise UsageError(f"the endpoint server did not start on {url_of(sock)} "
                             f"within {START_TIMEOUT:.0f} s")
        time.sleep(0.01)
    return RunningServer(url_of(server.servers[0].sockets[0]), server, thread, sock)
