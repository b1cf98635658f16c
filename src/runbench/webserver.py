"""Serve a Starlette app on uvicorn from a socket we bind ourselves.

The sandbox, `runbench serve`, the demo, tests and benchmarks all need the same three
things: a socket bound in the caller's thread (so a busy port is a clear ``UsageError``
and port 0 picks a free one), TCP_NODELAY, and a way to run uvicorn on a background
thread that returns only once it accepts requests. Servers facing clients they do not
control (serve, the sandbox) pass ``http=guarded(...)``: uvicorn's protocol with a headers
deadline and a connection limit (``runbench.webguards``, re-exported here).

A stop from another thread takes effect at once (``PromptServer``): uvicorn notices
``should_exit`` on its next 0.1 s tick and then sleeps 0.1 s more for open connections even
when there are none; a test suite that starts and stops servers by the dozen spent seconds
of each worker's time in those waits.

A Ctrl+C always ends ``run`` in KeyboardInterrupt (the CLI's exit 130): uvicorn stops
gracefully and then re-raises the captured SIGINT under the handler it found, which in a
process started with SIGINT ignored (a command backgrounded with ``&`` by a script, a test
runner launched that way) is SIG_IGN, so ``run`` used to return normally and the command
exited 0, as if it had succeeded.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from types import FrameType
from typing import Literal

import uvicorn
from starlette.types import ASGIApp

from runbench.core.errors import UsageError
from runbench.webguards import (
    HEADER_TIMEOUT,
    MAX_CONNECTIONS,
    SWEEP_SHARE,
    GuardedH11Protocol,
    Sweep,
    guarded,
    sweep_period,
)

START_TIMEOUT = 10.0


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
    except OverflowError:
        sock.close()
        raise UsageError(
            f"cannot listen on {host}:{port}: a port is 0-65535; choose another --port "
            "(0 picks a free one)"
        ) from None
    except (TypeError, ValueError) as exc:  # a host with NUL, or one IDNA cannot encode
        sock.close()
        raise UsageError(f"cannot listen on {host!r}: {exc}; check --host") from None
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


Lifespan = Literal["auto", "on", "off"]
"""uvicorn's lifespan modes: the endpoint server runs startup/shutdown, the sandbox has none."""


class PromptServer(uvicorn.Server):
    """uvicorn that stops as soon as :meth:`request_exit` is called from any thread."""

    _loop: asyncio.AbstractEventLoop | None = None
    _tick: asyncio.Future[None] | None = None  # the wait between two ticks
    interrupted = False
    """A SIGINT stopped it (uvicorn listens for signals only on the main thread)."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig == signal.SIGINT:
            self.interrupted = True
        super().handle_exit(sig, frame)

    def run(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's run; one a SIGINT stopped raises KeyboardInterrupt even where uvicorn's
        re-raise of the signal was ignored (the process started with SIGINT ignored)."""
        super().run(sockets)
        if self.interrupted:
            raise KeyboardInterrupt

    def request_exit(self) -> None:
        """Ask the server to stop and wake its main loop (thread-safe)."""
        self.should_exit = True
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                loop.call_soon_threadsafe(self._end_tick)

    def _end_tick(self) -> None:
        if self._tick is not None and not self._tick.done():
            self._tick.set_result(None)

    async def main_loop(self) -> None:
        """uvicorn's loop of ticks (0.1 s apart: signals and the date header still use
        them), which also ends the moment :meth:`request_exit` wakes it. A tick costs what
        uvicorn's ``asyncio.sleep(0.1)`` does (a future and a timer), for the server's life."""
        loop = self._loop = asyncio.get_running_loop()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            self._tick = loop.create_future()
            timer = loop.call_later(0.1, self._end_tick)
            await self._tick
            timer.cancel()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's shutdown; with no connection and no task open, without its fixed 0.1 s
        sleep (the time it gives connections it told to close: there are none).

        uvicorn offers no public way to skip that sleep, so the idle path repeats the steps
        uvicorn's shutdown takes when nothing is open, and relies on what ``UVICORN_SURFACE``
        names; ``tests/test_webserver.py`` pins both (the steps of uvicorn's own
        ``shutdown``, and those names on a started server), so an upgrade of uvicorn that
        changes either fails a test instead of skipping a new step here."""
        state = self.server_state
        if state.connections or state.tasks:
            await super().shutdown(sockets)
            return
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for server in self.servers:
            await server.wait_closed()
        if not self.force_exit:
            await self.lifespan.shutdown()


UVICORN_SURFACE = (
    "server_state.connections",
    "server_state.tasks",
    "servers",
    "force_exit",
    "lifespan.shutdown",
)
"""The attributes of a started ``uvicorn.Server`` that ``PromptServer.shutdown`` relies on
beyond uvicorn's documented ones (``should_exit``, ``started``, ``serve``, ``run``)."""


def make_server(
    app: ASGIApp, *, lifespan: Lifespan = "on", http: type[asyncio.Protocol] | None = None
) -> PromptServer:
    """uvicorn for ``app``; ``http`` replaces its HTTP/1.1 protocol class (serve's guards)."""
    no_color = bool(os.environ.get("NO_COLOR"))  # uvicorn colours its log lines on a tty
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan=lifespan,
        use_colors=False if no_color else None,
        http=http or "auto",
    )
    return PromptServer(config)


@dataclass
class ThreadedServer:
    """uvicorn serving on ``url`` from a background thread until :meth:`stop`."""

    url: str
    server: PromptServer = field(repr=False)
    thread: threading.Thread = field(repr=False)
    sock: socket.socket = field(repr=False)

    def stop(self, timeout: float = 15.0) -> None:
        self.server.request_exit()
        self.thread.join(timeout)
        self.sock.close()

    def __enter__(self) -> ThreadedServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_in_thread(
    app: ASGIApp,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    lifespan: Lifespan = "on",
    name: str = "runbench-server",
    http: type[asyncio.Protocol] | None = None,
) -> ThreadedServer:
    """Start uvicorn for ``app`` on a thread; return once it accepts requests."""
    sock = bind_socket(host, port)
    server = make_server(app, lifespan=lifespan, http=http)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise UsageError(f"{name} did not start on {url_of(sock)} within {START_TIMEOUT:.0f} s")
        time.sleep(0.01)
    return ThreadedServer(url_of(server.servers[0].sockets[0]), server, thread, sock)


__all__ = [
    "HEADER_TIMEOUT",
    "MAX_CONNECTIONS",
    "START_TIMEOUT",
    "SWEEP_SHARE",
    "UVICORN_SURFACE",
    "GuardedH11Protocol",
    "Lifespan",
    "PromptServer",
    "Sweep",
    "ThreadedServer",
    "bind_socket",
    "guarded",
    "make_server",
    "serve_in_thread",
    "sweep_period",
    "url_of",
]
