"""The journal's one thread: every read and write, in order, with group commit.

Intake, workers and the event loop must never wait on SQLite (a busy lock can take
seconds, an fsync milliseconds). So the journal hands each operation to this thread and
goes on; the caller waits only where durability asks for it (a step is committed
before the next starts, a delivery before its 202), and then on an asyncio future, not
on the lock. Operations that queue up meanwhile are run as one batch in one
transaction: fifty deliveries arriving together cost one commit, not fifty.

`serve`'s deliveries come as one operation per turn of the event loop (``_admissions``),
written in one INSERT.

A write submitted ``later`` does not wake the thread: it waits in a list until the next
operation that does (or ``flush``, or ``close``) and goes before it. The engine submits a
step's exchange and end that way, because the next step's start waits for its commit
right after: one wake-up of this thread per step instead of three, and none while the
event loop is still busy with the step (a woken thread takes the GIL from it).

A wait that may go ``now`` (the engine's step barrier, when this journal writes one run
alone) does not go to the thread at all when that thread is idle with nothing queued and
SQLite's write lock is free this instant: the held writes and the waited-for one commit
on the caller's thread, in one transaction, as the thread would have. A lone run has
nobody to share a group commit with, and handing a ~30 us commit (WAL,
synchronous=NORMAL: no fsync) to another thread and back costs two wake-ups, each
worth more than the commit (on a loaded machine, a wait for a core apiece). When the
lock is taken or anything is queued, the wait goes to the thread as before: the caller
never blocks on another process's lock. WAL checkpoints (an fsync) are left to the thread.

A write submitted ``deferred`` (an HTTP exchange's record) waits apart, on SQLite, and
does not ride with the next step barrier: ``_deferred`` says when it goes and what a
kill -9 can lose. On PostgreSQL a deferred write is a ``later`` one.

The thread wakes only for work or a deadline: the heartbeat (``idle``, every
``idle_every``), the oldest deferred write's DEFERRED_AGE, and for DEFERRED_AGE after its
last batch (deferred writes come in runs: one wake then is cheaper than one for each
first write). Otherwise it sleeps until an operation comes; a deferred write that finds it
so asleep puts a wake-up in its queue, so that it sets the write's deadline.

Order is the queue's order, so a read sees every write submitted before it. A write
nobody waits for ("fire and forget", e.g. an exchange record) that fails leaves its
error for the next wait of the same run. A storage failure (locked, full, read-only)
fails the whole batch and marks the journal unhealthy until a commit succeeds again.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from runbench.core.errors import JournalError
from runbench.core.journal._backend import Backend, NoWaitBackend
from runbench.core.journal._deferred import DEFERRED_AGE, DeferredWrites
from runbench.core.journal._ops import (
    Box,
    Done,
    LoopSettle,
    Op,
    run_inline,
    run_one,
    settle_done,
)

T = TypeVar("T")
MAX_BATCH = 512


class JournalThread:
    """Runs ``fn(backend)`` operations on one thread (see the module docstring)."""

    def __init__(
        self,
        opener: Callable[[], Backend],
        *,
        name: str = "runbench-journal",
        idle: Callable[[Backend], None] | None = None,
        idle_every: float = 10.0,
    ) -> None:
        self._queue: queue.SimpleQueue[Op | None] = queue.SimpleQueue()
        self._idle = idle
        self._idle_every = idle_every
        self._failures: dict[str, BaseException] = {}
        self._lock = threading.Lock()
        self._held: list[Op] = []  # submitted ``later``: handed over before the next op
        self._deferred = DeferredWrites()  # submitted ``deferred`` (SQLite): see _deferred
        self._queued = 0  # handed over and not done yet (under _lock)
        self._no_wait: NoWaitBackend | None = None  # the backend, if it can (see ``now``)
        self._closing = False
        self._asleep = False  # waiting with no deadline: a deferred write must wake it
        self.wakeups = 0
        """How often the thread came out of its wait (a test counts them: idle, it sleeps)."""
        # held by whoever uses the backend: the thread for a batch, a caller going ``now``
        self._connection = threading.Lock()
        self.problem: JournalError | None = None
        self._backend: Backend | None = None
        opened: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=self._main, args=(opener, opened), name=name, daemon=True
        )
        self._thread.start()
        opened.result()  # raises what opening raised (a JournalError)

    # -- submitting ------------------------------------------------------------------------
    def submit(
        self,
        fn: Callable[[Backend], Any],
        *,
        writes: bool = True,
        atomic: bool = False,
        run_id: str | None = None,
        later: bool = False,
        deferred: bool = False,
        size: int = 0,
    ) -> None:
        """Run ``fn`` later, in order; its failure is kept for :meth:`failure` of run_id.
        ``later``: without waking the thread; ``deferred``: nor with the next step
        barrier (see the module docstring); ``size``: the bytes it holds in memory."""
        op = Op(fn, writes, atomic, None, run_id)
        if deferred and self._no_wait is not None:
            with self._lock:
                wake = False
                if self._deferred.add(op, size, time.monotonic()):  # the first one waiting
                    wake, self._asleep = self._asleep, False
            if wake:  # it sleeps with no deadline: it must set this write's
                self._queue.put(_WAKE)
            return
        if later or deferred:
            with self._lock:
                self._held.append(op)
            return
        self._hand_over(op)

    @property
    def held(self) -> int:
        """How many writes submitted ``later`` or ``deferred`` wait to be handed over."""
        return len(self._held) + len(self._deferred)

    def flush(self) -> None:
        """Hand over what was submitted ``later`` (it then commits like any write)."""
        self._put([])

    def _hand_over(self, op: Op) -> None:
        self._put([op])

    def _put(self, ops: list[Op]) -> None:
        """The deferred and held writes, then ``ops``, to the thread (counted before they
        go, so a caller going ``now`` sees them until they are done)."""
        with self._lock:
            held, self._held = self._deferred.take() + self._held, []
            self._queued += len(held) + len(ops)
        for op in held:
            self._queue.put(op)
        for op in ops:
            self._queue.put(op)

    def call(self, fn: Callable[[Backend], T], *, writes: bool = False, atomic: bool = False) -> T:
        """Run ``fn`` and wait for it (committed, if it writes). Inline on this thread."""
        if threading.current_thread() is self._thread and self._backend is not None:
            return run_inline(self._backend, fn, atomic)
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def settle(result: Any, error: BaseException | None) -> None:
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)

        self._hand_over(Op(fn, writes, atomic, settle, None))
        return future.result()

    async def acall(
        self,
        fn: Callable[[Backend], T],
        *,
        writes: bool = False,
        atomic: bool = False,
        now: bool = False,
        deferred: bool = True,
    ) -> T:
        """:meth:`call` for a coroutine: the event loop goes on while the thread works.
        ``now``: on this thread instead, if that needs no wait (see the module docstring);
        ``deferred=False``: a wait that goes ``now`` leaves the deferred writes waiting
        (the engine's step barrier)."""
        if now:
            box = Box()
            if self._now(Op(fn, writes, atomic, box, None), deferred):
                result: T = box.value()
                return result
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._hand_over(Op(fn, writes, atomic, LoopSettle(loop, future), None))
        return await future

    def _now(self, op: Op, deferred: bool) -> bool:
        """Run the held writes (and the deferred ones, if ``deferred``) and ``op`` here, in
        one transaction, if the thread is idle with nothing queued and the write lock is
        free; False (nothing done) otherwise. Deferred writes left waiting go to the
        thread once there are DEFERRED_MAX of them."""
        backend, no_wait = self._backend, self._no_wait
        if no_wait is None or backend is None or self._closing:
            return False
        if not self._connection.acquire(blocking=False):
            return False  # the thread is at work
        try:
            with self._lock:  # held while beginning (never waits): nothing is handed over
                if self._queued:  # between taking the held writes and running them
                    return False  # what went before must be done first
                held = self._deferred.ops + self._held if deferred else self._held
                writes = op.writes or any(one.writes for one in held)
                if writes and not no_wait.begin_now():
                    return False  # another process writes: the thread waits for it
                self._held = []
                if deferred:
                    self._deferred.take()
            held.append(op)
            self._settle(self._run(backend, held, begun=True, writes=writes))
            if no_wait.checkpoint_due():  # the thread checkpoints (an fsync) after a batch
                self._put([Op(_no_op, False, False, None, None)])
            elif self._deferred.full():  # written while the next call runs
                self._put([])
            return True
        finally:
            self._connection.release()

    def failure(self, run_id: str) -> BaseException | None:
        """The first failure of a fire-and-forget write of ``run_id`` (and forget it)."""
        if not self._failures:  # the usual case, asked at every step: no lock taken
            return None
        with self._lock:
            return self._failures.pop(run_id, None)

    def close(self, timeout: float = 30.0) -> None:
        self._closing = True
        if self._thread.is_alive():
            self.flush()
            self._queue.put(None)
            self._thread.join(timeout)

    # -- the thread ------------------------------------------------------------------------
    def _main(self, opener: Callable[[], Backend], opened: concurrent.futures.Future[None]) -> None:
        try:
            backend = opener()
        except BaseException as exc:  # reported to the constructor's caller
            opened.set_exception(exc)
            return
        self._backend = backend
        self._no_wait = backend if isinstance(backend, NoWaitBackend) else None
        opened.set_result(None)
        last_idle, last_work = time.monotonic(), -DEFERRED_AGE  # no batch yet: no linger
        try:
            while True:
                try:
                    first = self._queue.get(timeout=self._sleep(last_idle, last_work))
                except queue.Empty:
                    first = _IDLE
                self._asleep = False
                self.wakeups += 1
                if first is _IDLE or first is _WAKE:
                    first = _IDLE
                    self._hand_over_old_deferred()
                if first is None:
                    break
                stop = False
                if first is not _IDLE:
                    batch = [first]
                    while len(batch) < MAX_BATCH:
                        try:
                            more = self._queue.get_nowait()
                        except queue.Empty:
                            break
                        if more is None:
                            stop = True
                            break
                        if more is not _WAKE:
                            batch.append(more)
                    with self._connection:
                        done = self._run(backend, batch)
                        with self._lock:  # before its waiters wake: they may go ``now``
                            self._queued -= len(batch)
                        self._settle(done)
                    self._checkpoint_if_due()  # not holding the connection: see checkpoint
                    last_work = time.monotonic()
                if time.monotonic() - last_idle >= self._idle_every:
                    last_idle = time.monotonic()
                    self._run_idle(backend)
                if stop:
                    break
        finally:
            with self._connection:
                self._drain_closed()
                backend.close()

    def _sleep(self, last_idle: float, last_work: float) -> float | None:
        """Seconds the thread may wait for an operation before a deadline of its own (see
        the module docstring); None: none, until an operation or a wake-up comes."""
        now = time.monotonic()
        due: list[float] = []
        if self._idle is not None:
            due.append(last_idle + self._idle_every)
        with self._lock:
            deferred_due = self._deferred.due()
            if deferred_due is not None:
                due.append(deferred_due)
            elif self._no_wait is not None and last_work + DEFERRED_AGE > now:  # SQLite only
                due.append(last_work + DEFERRED_AGE)
            else:  # a deferred write's deadline is not among them: it must wake the thread
                self._asleep = True
        return max(0.0, min(due) - now) if due else None

    def _hand_over_old_deferred(self) -> None:
        """Deferred writes that waited DEFERRED_AGE seconds, to this thread's queue (it
        has nothing else to do: they go in the next turn)."""
        if self._deferred.old(time.monotonic()):
            self._put([])

    def _checkpoint_if_due(self) -> None:
        """The WAL checkpoint that commits made ``now`` leave to this thread (outside a
        transaction, on a connection of its own: a caller may go ``now`` meanwhile). One
        that fails is tried again after the next batch."""
        no_wait = self._no_wait
        if no_wait is None or not no_wait.checkpoint_due():
            return
        try:
            no_wait.checkpoint()
        except Exception as exc:  # reported as the journal's problem, tried again later
            failed = self._backend.storage_error(exc) if self._backend else None
            self.problem = failed or self.problem

    def _run_idle(self, backend: Backend) -> None:
        if self._idle is None:
            return
        with self._connection:
            self._settle(self._run(backend, [Op(self._idle, True, False, None, None)]))

    def _run(
        self, backend: Backend, batch: list[Op], *, begun: bool = False, writes: bool | None = None
    ) -> list[Done]:
        """``batch`` in one transaction (``begun``: already begun; ``writes``: whether any op
        writes, if the caller knows): how each op went."""
        if writes is None:
            writes = any(op.writes for op in batch)
        done: list[Done] = []
        try:
            if not begun and self._no_wait is not None:
                self._no_wait.waits()
            if writes and not begun:
                backend.begin(alone=len(batch) == 1)
            for op in batch:
                done.append(run_one(backend, op, writes))
            if writes:
                backend.commit()
        except BaseException as exc:
            failed = backend.storage_error(exc) or exc
            try:
                backend.rollback()
            except BaseException:  # the connection may be gone; the error says why
                pass
            self.problem = failed if isinstance(failed, JournalError) else self.problem
            done = [(op, None, failed) for op in batch]
        else:
            if writes:
                self.problem = None
        return done

    def _settle(self, done: list[Done]) -> None:
        settle_done(done, self._keep_failure)

    def _keep_failure(self, run_id: str, error: BaseException) -> None:
        with self._lock:
            self._failures.setdefault(run_id, error)

    def _drain_closed(self) -> None:
        """Fail what was submitted after close, so no caller waits forever."""
        closed = JournalError("journal closed")
        while True:
            try:
                op = self._queue.get_nowait()
            except queue.Empty:
                return
            if op is not None:
                self._settle([(op, None, closed)])


def _no_op(_backend: Backend) -> None:
    return None


_IDLE = Op(_no_op, False, False, None, None)
_WAKE = Op(_no_op, False, False, None, None)
"""Put in the queue to wake a thread asleep with no deadline (never run, never counted)."""


__all__ = ["JournalThread"]
