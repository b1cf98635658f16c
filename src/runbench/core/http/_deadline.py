"""A call's total deadline: what ``asyncio.timeout`` does, in about half its CPU.

Every call has one (a server that trickles a byte a second must not hold a run), so it
is paid at every step: ``asyncio.timeout`` builds a Timeout object, two coroutines for
``async with`` and a state machine around the one timer it needs (~18 us against ~12 us
for this, measured back to back on a loaded machine). The semantics are asyncio's: at the
deadline the task is cancelled; that cancellation becomes TimeoutError unless someone
else cancelled the task too (``Task.cancelling``: a stop() during the call still stops
it), and a deadline that passes as the call finishes takes its cancel request back.

An executor's calls come one after another, each with a deadline seconds away, so
:class:`Deadlines` keeps one timer for all of them instead of one a call (each a heap
entry of the event loop, left there cancelled, that every later timer is compared
against): a timer armed for an earlier call fires before the running call's deadline,
sees it has not passed, and is armed again for it. Between calls a firing timer does
nothing. A call that starts while another runs (another task) gets a timer of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def within(seconds: float, work: Awaitable[T]) -> T:
    """``await work``; TimeoutError once ``seconds`` have passed (see the docstring)."""
    task = asyncio.current_task()
    if task is None:  # asyncio.timeout refuses this too
        raise RuntimeError("a deadline needs a task")
    loop = asyncio.get_running_loop()
    cancelling = task.cancelling()
    fired = False

    def expire() -> None:
        nonlocal fired
        fired = True
        task.cancel()

    timer = loop.call_at(loop.time() + seconds, expire)
    try:
        return await work
    except asyncio.CancelledError as exc:
        if fired:
            fired = False  # taken back here, not again below
            if task.uncancel() <= cancelling:  # nobody else asked: it is the deadline
                raise TimeoutError from exc
        raise
    finally:
        timer.cancel()
        if fired:  # passed as the call ended: its cancel request is taken back
            task.uncancel()


class Deadlines:
    """The total deadlines of one executor's calls, on one timer (see the docstring)."""

    def __init__(self) -> None:
        self._timer: asyncio.TimerHandle | None = None
        self._when = 0.0  # the loop time the timer is armed for
        self._task: asyncio.Task[object] | None = None
        self._until = 0.0  # the running call's deadline (loop time); 0.0: none running
        self._fired = False

    async def within(self, seconds: float, work: Awaitable[T]) -> T:
        """``await work``; TimeoutError once ``seconds`` have passed (as :func:`within`)."""
        task = asyncio.current_task()
        if task is None or self._until:  # no task (refused there) or a call running
            return await within(seconds, work)
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        if self._timer is None or self._when > until:
            self._arm(loop, until)
        self._task, self._until = task, until
        cancelling = task.cancelling()
        try:
            return await work
        except asyncio.CancelledError as exc:
            if self._fired:
                self._fired = False  # taken back here, not again below
                if task.uncancel() <= cancelling:  # nobody else asked: it is the deadline
                    raise TimeoutError from exc
            raise
        finally:
            self._until = 0.0
            self._task = None
            if self._fired:  # passed as the call ended: its cancel request is taken back
                self._fired = False
                task.uncancel()

    def _arm(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._when = loop.call_at(when, self._expire, loop), when

    def _expire(self, loop: asyncio.AbstractEventLoop) -> None:
        """The timer fired at ``self._when``: the running call's deadline, if it was due
        by then (asyncio's own rule); else armed again for that deadline."""
        self._timer = None
        if not self._until or self._task is None:
            return  # between calls: the next one arms a timer
        if self._until > self._when:
            self._arm(loop, self._until)
            return
        self._fired = True
        self._task.cancel()

    def close(self) -> None:
        """Cancel the timer (the executor is done)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


__all__ = ["Deadlines", "within"]
