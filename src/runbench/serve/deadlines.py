"""Deadlines for many requests at once, kept by one sweep instead of a timer each.

``Sweep`` (``runbench.webguards``) is the one periodic check,
used here for bodies and by the guarded HTTP protocol for the headers of every connection;
``Deadlines`` keeps tasks' deadlines with it.

``asyncio.timeout`` around every body read armed a timer and cancelled it again for each
delivery (about 5 us, and a heap of cancelled timers to sift), while nearly every body is
in by the time its headers are. Here a task that starts waiting is only noted with its
deadline; one sweep, every ``SWEEP_SHARE`` of the timeout (at most once a second, and
only while some task waits), cancels those past it, as ``asyncio.timeout`` would. So a
deadline is kept to within a quarter of itself, which is all a slow-client guard needs.
"""

from __future__ import annotations

import asyncio

from runbench.webguards import Sweep, sweep_period


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


__all__ = ["Deadlines"]
