"""uvicorn's HTTP/1.1 protocol with the guards a public endpoint needs against slow clients.

uvicorn (h11) gives an idle keep-alive connection 5 s, but a client that opens a
connection and sends its headers slowly, or never, holds it forever, and enough of those
exhaust whatever a server has. So:

* headers deadline: a connection must complete a request's headers within
  ``header_timeout`` of opening (or of its previous response), else it is closed;
* connection limit: past ``max_connections``, the connection that has waited longest for
  its headers is closed to make room (a connection in the middle of a request is never
  evicted); with none idle, the new connection is closed instead.

The body has its own deadline, in the app (``app.BODY_TIMEOUT``), and auth headers are
checked before the body is read, so a caller without credentials cannot make the server
wait for a body at all.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT = 10.0
MAX_CONNECTIONS = 1000


class GuardedH11Protocol(H11Protocol):
    """H11Protocol with a headers deadline and idle-first eviction (see the module)."""

    header_timeout = HEADER_TIMEOUT
    max_connections = MAX_CONNECTIONS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._headers_timer: asyncio.TimerHandle | None = None
        self._waiting_since = 0.0

    @property
    def waiting_for_headers(self) -> bool:
        return self._headers_timer is not None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()
        if len(self.connections) > self.max_connections:
            self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not None and not self.cycle.response_complete:
            self._disarm()  # a request's headers are in: the app takes it from here

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()  # the next request's headers get the same deadline

    def _arm(self) -> None:
        self._disarm()
        self._waiting_since = self.loop.time()
        self._headers_timer = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._headers_timer is not None:
            self._headers_timer.cancel()
            self._headers_timer = None

    def _too_slow(self) -> None:
        self._headers_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def _make_room(self) -> None:
        idle = [
            conn
            for conn in self.connections
            if isinstance(conn, GuardedH11Protocol)
            and conn.waiting_for_headers
            and conn is not self
        ]
        if not idle:
            self._disarm()
            self.transport.close()
            return
        oldest = min(idle, key=lambda conn: conn._waiting_since)
        oldest._too_slow()


def guarded(
    header_timeout: float = HEADER_TIMEOUT, max_connections: int = MAX_CONNECTIONS
) -> type[GuardedH11Protocol]:
    """The protocol class with these limits (uvicorn takes a class, not an instance)."""
    return type(
        "GuardedH11Protocol",
        (GuardedH11Protocol,),
        {"header_timeout": header_timeout, "max_connections": max_connections},
    )


__all__ = ["HEADER_TIMEOUT", "MAX_CONNECTIONS", "GuardedH11Protocol", "guarded"]
