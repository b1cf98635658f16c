"""Run the sandbox in-process on a background thread.

``runbench demo`` and the e2e tests need a real socket (the workbench talks HTTP) but
not a second process to manage. The socket is bound here, in the caller's thread, so a
busy port is a clear ``UsageError`` rather than a ``SystemExit`` inside uvicorn's thread;
port 0 lets the OS pick a free port, read back from uvicorn's listening socket.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette

from runbench.core.errors import UsageError
from runbench.sandbox.app import create_app

START_TIMEOUT = 10.0


@dataclass
class RunningSandbox:
    """A sandbox serving on ``url`` until :meth:`stop` (also a context manager)."""

    url: str
    app: Starlette
    server: uvicorn.Server = field(repr=False)
    thread: threading.Thread = field(repr=False)
    sockets: list[socket.socket] = field(default_factory=list, repr=False)

    @property
    def openai_url(self) -> str:
        return f"{self.url}/openai/v1"

    def stop(self, timeout: float = 5.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)
        for sock in self.sockets:
            sock.close()

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def bind_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (0 = any free port), ready to hand to uvicorn.

    TCP_NODELAY is set here and inherited by accepted connections: without it a small
    response waits for the client's delayed ACK (about 40 ms on Linux) whenever the
    request came in two writes (headers, then body), which is what httpx does."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; "
            "choose another --port (0 picks a free one)"
        ) from None
    return sock


def url_of(sock: socket.socket) -> str:
    """``http://host:port`` of a bound socket (IPv6 hosts in brackets)."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in str(host) else host
    return f"http://{shown}:{port}"


def start_in_thread(host: str = "127.0.0.1", port: int = 0, **app_kwargs: Any) -> RunningSandbox:
    """Start a sandbox (``create_app(**app_kwargs)``) and return once it accepts requests."""
    app = create_app(**app_kwargs)
    sock = bind_socket(host, port)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                              name="runbench-sandbox", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise UsageError(f"the sandbox did not start on {url_of(sock)} "
                             f"within {START_TIMEOUT:.0f} s")
        time.sleep(0.01)
    listening = server.servers[0].sockets[0]
    return RunningSandbox(url_of(listening), app, server, thread, [sock])
