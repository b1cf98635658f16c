"""Deadlines for many requests at once, kept by one sweep instead of a timer each.

``Sweep`` is the one periodic check (used here for bodies and by ``protocol`` for the
headers of every connection); ``Deadlines`` keeps tasks' deadlines with it.

``asyncio.timeout`` around every body read armed a timer and cancelled it again for each
delivery (about 5 us, and a heap of cancelled timers to sift), while nearly every body is
in by the time its headers are. Here a task that starts waiting is only noted with its
deadline; one sweep, every ``SWEEP_SHARE`` of the timeout (at most once a second, and
only while some task waits), cancels those past it, as ``asyncio.timeout`` would. So a
deadline is kept to within a quarter of itself, which is all a slow-client guard needs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

SWEEP_SHARE = 0.25
"""The sweep runs every this share of the timeout (at most every second)."""


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


__all__ = ["SWEEP_SHARE", "Deadlines", "Sweep", "sweep_period"]
