"""What a run tells the world: immutable events on one async stream per engine.

The CLI's progress lines, the TUI's live flowchart and the tests all read the same
stream, so what they show cannot drift from what the engine did. Every event carries the
run it belongs to and ``at`` (the engine's injected wall clock), so many runs can share
one stream and a test can pin time.

Delivery: each subscriber owns an *unbounded* queue. Nothing is ever dropped; the price
is that a subscriber which stops reading keeps events in memory until it closes its
stream (``async with engine.subscribe() as stream`` or ``stream.close()``). Publishing
never blocks a run, so a slow TUI cannot slow a runbook down.

Events compare by identity (``eq=False``): nothing compares two events by value (those
holding a dict could not be hashed by value anyway), and dataclass's generated ``__eq__`` and
``__hash__`` were a fifth of this module's import, which every `runbench run` pays. Each
has a docstring for the same reason: without one, dataclass computes one from the class's
signature.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any


@dataclass(frozen=True, eq=False)
class RunQueued:
    """A run waits for a place: its runbook's ``max_concurrent`` runs are going."""

    run_id: str
    at: float
    runbook: str = ""
    reason: str = ""


@dataclass(frozen=True, eq=False)
class RunStarted:
    """A run began (``from_step``: started part-way; ``parent_id``: started by another run)."""

    run_id: str
    at: float
    runbook: str = ""
    parent_id: str | None = None
    from_step: str | None = None


@dataclass(frozen=True, eq=False)
class RunPaused:
    """The debugger stopped a run before ``step`` (at a breakpoint, or stepping)."""

    run_id: str
    at: float
    step: str = ""
    reason: str = ""  # "breakpoint" | "step"


@dataclass(frozen=True, eq=False)
class RunResumed:
    """A paused run goes on from ``step``."""

    run_id: str
    at: float
    step: str = ""


@dataclass(frozen=True, eq=False)
class RunFinished:
    """A run ended: ``status`` success or failure, with the end step's message."""

    run_id: str
    at: float
    status: str = ""  # "success" | "failure"
    error: str | None = None
    message: str = ""


@dataclass(frozen=True, eq=False)
class StepStarted:
    """A step began."""

    run_id: str
    at: float
    step: str = ""
    kind: str = ""


@dataclass(frozen=True, eq=False)
class StepFinished:
    """A step ended: the edge it took to ``target``, its outputs or its error."""

    run_id: str
    at: float
    step: str = ""
    kind: str = ""
    edge: str | None = None
    target: str | None = None
    duration_ms: float = 0.0
    outputs: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True, eq=False)
class RequestSent:
    """An HTTP request went out for ``step`` (redacted)."""

    run_id: str
    at: float
    step: str = ""
    request: Any = None  # runbench.core.http.RequestRecord (redacted)


@dataclass(frozen=True, eq=False)
class ResponseReceived:
    """The exchange of ``step``'s request: its response, or why none came."""

    run_id: str
    at: float
    step: str = ""
    exchange: Any = None  # runbench.core.http.Exchange


@dataclass(frozen=True, eq=False)
class OutputsSet:
    """A step's outputs were set as variables."""

    run_id: str
    at: float
    step: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class VariableChanged:
    """A variable took a value (``source``: the step, the user, an input, the context)."""

    run_id: str
    at: float
    name: str = ""
    value: Any = None
    source: str = ""  # a step name, "user", "input", "context"


@dataclass(frozen=True, eq=False)
class RetryScheduled:
    """A step's attempt failed and is tried again after ``delay`` seconds."""

    run_id: str
    at: float
    step: str = ""
    attempt: int = 1  # the attempt that just failed
    delay: float = 0.0
    reason: str = ""


Event = (
    RunQueued
    | RunStarted
    | RunPaused
    | RunResumed
    | RunFinished
    | StepStarted
    | StepFinished
    | RequestSent
    | ResponseReceived
    | OutputsSet
    | VariableChanged
    | RetryScheduled
)
_CLOSED = object()


class EventStream:
    """An async iterator over every event published after it subscribed."""

    def __init__(self, detach: Callable[[EventStream], None]) -> None:
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._detach = detach
        self._closed = False

    def put(self, event: Event) -> None:
        if not self._closed:
            self._queue.put_nowait(event)

    @property
    def pending(self) -> int:
        """Events delivered but not read yet."""
        return self._queue.qsize()

    def close(self) -> None:
        """Stop receiving; iteration ends after the events already queued."""
        if not self._closed:
            self._closed = True
            self._detach(self)
            self._queue.put_nowait(_CLOSED)

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while True:
            item = await self._queue.get()
            if item is _CLOSED:
                return
            yield item  # type: ignore[misc]

    async def next(self, timeout: float | None = None) -> Event:
        """The next event (raises TimeoutError after ``timeout`` seconds, EOFError if closed)."""
        async with asyncio.timeout(timeout):
            item = await self._queue.get()
        if item is _CLOSED:
            raise EOFError("event stream closed")
        return item  # type: ignore[return-value]

    def drain(self) -> list[Event]:
        """Every event queued right now, without waiting."""
        found: list[Event] = []
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is not _CLOSED:
                found.append(item)  # type: ignore[arg-type]
        return found

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class EventBus:
    """Fan-out of events to every open stream (one bus per engine)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._streams: list[EventStream] = []

    def subscribe(self) -> EventStream:
        stream = EventStream(self._streams.remove)
        self._streams.append(stream)
        return stream

    def publish(self, event: Event) -> None:
        for stream in tuple(self._streams):
            stream.put(event)

    @property
    def subscribers(self) -> int:
        return len(self._streams)


__all__ = [
    "Event",
    "EventBus",
    "EventStream",
    "OutputsSet",
    "RequestSent",
    "ResponseReceived",
    "RetryScheduled",
    "RunFinished",
    "RunPaused",
    "RunQueued",
    "RunResumed",
    "RunStarted",
    "StepFinished",
    "StepStarted",
    "VariableChanged",
]
