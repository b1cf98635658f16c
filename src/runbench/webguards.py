"""uvicorn's HTTP/1.1 protocol with the guards a server needs against slow clients.

Used by ``runbench serve`` and the sandbox alike (both through ``runbench.webserver``):
the sandbox ran plain uvicorn, so a connection that sent half its headers stayed open for
good (red-team finding).

uvicorn (h11) gives an idle keep-alive connection 5 s, but a client that opens a
connection and sends its headers slowly, or never, holds it forever, and enough of those
exhaust whatever a server has. So:

* headers deadline: a connection must complete a request's headers within
  ``header_timeout`` of opening (or of its previous response), else it is closed;
* connection limit: past ``max_connections``, the connection that has waited longest for
  its headers is closed to make room (a connection in the middle of a request is never
  evicted); with none idle, the new connection is closed instead.

The deadline is checked by one sweep of the server's connections every quarter of
the timeout (at most once a second), not by a timer per request: arming and cancelling a
timer for every request of every keep-alive connection was a measurable part of a
delivery's cost, and a deadline met a fraction later is still a deadline.

The body has its own deadline, kept by the app (``BODY_TIMEOUT``, ``Deadlines``: serve's
deliveries and the sandbox's bodies), and serve checks auth headers before the body is
read, so a caller without credentials cannot make it wait for a body at all.

``Deadlines`` keeps many tasks' deadlines with one ``Sweep``: ``asyncio.timeout`` around
every body read armed a timer and cancelled it again for each delivery (about 5 us, and a
heap of cancelled timers to sift), while nearly every body is in by the time its headers
are. A task that starts waiting is only noted with its deadline; the sweep cancels those
past it, as ``asyncio.timeout`` would, so a deadline is kept to within a quarter of itself,
which is all a slow-client guard needs.

A response's status line and headers are held until its body is written and go out with
it in one ``send()`` (``_OneWrite``): uvicorn writes them separately, so every small
answer (each 202) cost two system calls and two TCP segments where one does. Whatever
is held is written at the latest at the end of the event loop's turn (``_TurnEnd``: one
callback per turn for the whole server), so a response whose body comes later is not
delayed by more.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar, cast

from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 10.0
"""Seconds a client has to send the whole body once its headers are in."""
MAX_CONNECTIONS = 1000
SWEEP_KEY = "runbench_headers_sweep"
"""Where the server's one sweep lives: on uvicorn's state shared by its connections."""
TURN_END_KEY = "runbench_turn_end"
"""Where the server's held response heads wait for the end of the loop's turn (``_TurnEnd``)."""
T = TypeVar("T")

SWEEP_SHARE = 0.25
"""The sweep runs every this share of the timeout (at most every second): one periodic
check for many deadlines (headers, and bodies in ``Deadlines``), not a timer each."""


def sweep_period(timeout: float) -> float:
    return min(1.0, max(0.01, timeout * SWEEP_SHARE))


class Sweep:
    """Calls ``check(now)`` every ``period`` seconds for as long as it answers True (there
    is still something to watch); :meth:`start` arms it again once it has stopped, and on
    a new event loop (a loop that ended took its timer with it)."""

    def __init__(self, period: float, check: Callable[[float], bool]) -> None:
        self.period = period
        self._check = check
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is None or self._loop is not loop:
            self._loop = loop
            self._timer = loop.call_later(self.period, self._tick, loop)

    def _tick(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        if self._check(loop.time()):
            self._timer = loop.call_later(self.period, self._tick, loop)


class Deadlines:
    """Tasks waiting under one ``timeout``; :meth:`start` before the wait, :meth:`stop`
    after it (in a ``finally``), and :meth:`expired` on CancelledError: True when this
    sweep cancelled the task (the caller answers its timeout), False for any other
    cancellation (the caller re-raises)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._due: dict[asyncio.Task[object], float] = {}
        self._cancelled: set[asyncio.Task[object]] = set()
        self._sweep = Sweep(sweep_period(timeout), self._expire)

    def start(self, task: asyncio.Task[object], loop: asyncio.AbstractEventLoop) -> None:
        self._due[task] = loop.time() + self.timeout
        self._sweep.start(loop)

    def stop(self, task: asyncio.Task[object]) -> None:
        """The wait is over. (A task this sweep cancelled sees its CancelledError in that
        wait, where it was suspended when cancelled: :meth:`expired` took it already.)"""
        self._due.pop(task, None)
        self._cancelled.discard(task)

    def expired(self, task: asyncio.Task[object]) -> bool:
        if task not in self._cancelled:
            return False
        self._cancelled.discard(task)
        return task.uncancel() == 0  # nobody else asked it to stop

    @property
    def waiting(self) -> int:
        return len(self._due)

    def _expire(self, now: float) -> bool:
        late = [task for task, due in self._due.items() if due <= now]
        for task in late:
            del self._due[task]
            if not task.done():
                self._cancelled.add(task)
                task.cancel()
        return bool(self._due)


class _TurnEnd:
    """Writes out, when the event loop's turn ends, every response head still held: one
    callback per turn for all connections, not one per response (a handle made and run
    for each 202, whose body nearly always follows in the same turn)."""

    __slots__ = ("_held", "_loop")

    def __init__(self) -> None:
        self._held: list[_OneWrite] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def add(self, writer: _OneWrite, loop: asyncio.AbstractEventLoop) -> None:
        if not self._held or self._loop is not loop:  # a new loop: the old one took its call
            self._held, self._loop = [], loop
            loop.call_soon(self._flush)
        self._held.append(writer)

    def _flush(self) -> None:
        held, self._held = self._held, []
        for writer in held:
            writer.flush()


class _OneWrite:
    """The connection's transport, as uvicorn sees it: the first write of a response (its
    status line and headers) waits for the next (its body), and both go in one send().
    Everything else passes straight through: a ``100 Continue``, a 400 before any cycle,
    closing (what is held goes first)."""

    __slots__ = ("_held", "_held_for", "_protocol", "_transport", "_turn_end")

    def __init__(
        self,
        transport: asyncio.Transport,
        protocol: GuardedH11Protocol,
        turn_end: _TurnEnd | None = None,
    ) -> None:
        """``turn_end``: the server's, shared by its connections (default: one of its own)."""
        self._transport = transport
        self._protocol = protocol
        self._turn_end = turn_end or _TurnEnd()
        self._held = b""
        self._held_for: object = None  # the cycle whose headers were held (once per cycle)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        cycle = self._protocol.cycle
        if self._held:
            data = self._held + bytes(data)
            self._held = b""
        elif (
            cycle is not None
            and cycle is not self._held_for
            and cycle.response_started
            and not cycle.response_complete
        ):
            self._held, self._held_for = bytes(data), cycle
            self._turn_end.add(self, self._protocol.loop)  # out when this turn ends, at the latest
            return
        self._transport.write(data)

    def flush(self) -> None:
        if self._held:
            held, self._held = self._held, b""
            self._transport.write(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def __getattr__(self, name: str) -> Any:  # pause_reading, set_protocol, abort, ...
        return getattr(self._transport, name)


class GuardedH11Protocol(H11Protocol):
    """H11Protocol with a headers deadline and idle-first eviction (see the module)."""

    header_timeout = HEADER_TIMEOUT
    max_connections = MAX_CONNECTIONS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waiting_since: float | None = None  # loop time its headers are awaited from

    @property
    def waiting_for_headers(self) -> bool:
        return self._waiting_since is not None

    def overdue(self, now: float) -> bool:
        since = self._waiting_since
        return since is not None and now - since >= self.header_timeout

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        writer = _OneWrite(transport, self, self._shared(TURN_END_KEY, _TurnEnd))
        super().connection_made(cast(asyncio.Transport, writer))
        self._waiting_since = self.loop.time()
        self._sweep().start(self.loop)
        if len(self.connections) > self.max_connections:
            self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self._waiting_since = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not None and not self.cycle.response_complete:
            self._waiting_since = None  # a request's headers are in: the app takes it from here

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._waiting_since = self.loop.time()  # the next request's headers: same deadline

    def _sweep(self) -> Sweep:
        """The server's one sweep (made by its first connection)."""
        return self._shared(
            SWEEP_KEY,
            lambda: Sweep(sweep_period(self.header_timeout), _closing_overdue(self.connections)),
        )

    def _shared(self, key: str, make: Callable[[], T]) -> T:
        """The server's one ``key`` object, shared by its connections (made by the first)."""
        state = self.server_state
        found: T | None = getattr(state, key, None)
        if found is None:
            found = make()
            setattr(state, key, found)
        return found

    def _too_slow(self) -> None:
        self._waiting_since = None
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
            self._waiting_since = None
            self.transport.close()
            return
        oldest = min(idle, key=lambda conn: conn._waiting_since or 0.0)
        oldest._too_slow()


def _closing_overdue(connections: set[Any]) -> Callable[[float], bool]:
    """The headers sweep's check: close the connections past their deadline; True while
    the server has any (the sweep stops when it has none, until the next connection)."""

    def check(now: float) -> bool:
        for conn in list(connections):
            if isinstance(conn, GuardedH11Protocol) and conn.overdue(now):
                conn._too_slow()
        return bool(connections)

    return check


def guarded(
    header_timeout: float = HEADER_TIMEOUT, max_connections: int = MAX_CONNECTIONS
) -> type[GuardedH11Protocol]:
    """The protocol class with these limits (uvicorn takes a class, not an instance)."""
    return type(
        "GuardedH11Protocol",
        (GuardedH11Protocol,),
        {"header_timeout": header_timeout, "max_connections": max_connections},
    )


__all__ = [
    "BODY_TIMEOUT",
    "HEADER_TIMEOUT",
    "MAX_CONNECTIONS",
    "SWEEP_SHARE",
    "Deadlines",
    "GuardedH11Protocol",
    "Sweep",
    "guarded",
    "sweep_period",
]
