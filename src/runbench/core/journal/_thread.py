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
from dataclasses import dataclass
from typing import Any, TypeVar

from runbench.core.errors import JournalError
from runbench.core.journal._backend import Backend

T = TypeVar("T")
MAX_BATCH = 512
Settle = Callable[[Any, BaseException | None], None]


@dataclass(slots=True)
class _Op:
    fn: Callable[[Backend], Any]
    writes: bool
    atomic: bool
    settle: Settle | None
    run_id: str | None


class _LoopSettle:
    """Resolves an asyncio future from the journal thread (batched per loop)."""

    __slots__ = ("future", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any]) -> None:
        self.loop = loop
        self.future = future

    def __call__(self, _result: Any, _error: BaseException | None) -> None:  # pragma: no cover
        raise AssertionError("settled in batches by JournalThread")


def _settle_futures(items: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for future, result, error in items:
        if future.done():
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)


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
        self._queue: queue.SimpleQueue[_Op | None] = queue.SimpleQueue()
        self._idle = idle
        self._idle_every = idle_every
        self._failures: dict[str, BaseException] = {}
        self._lock = threading.Lock()
        self._held: list[_Op] = []  # submitted ``later``: handed over before the next op
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
    ) -> None:
        """Run ``fn`` later, in order; its failure is kept for :meth:`failure` of run_id.
        ``later``: without waking the thread (see the module docstring)."""
        op = _Op(fn, writes, atomic, None, run_id)
        if later:
            with self._lock:
                self._held.append(op)
            return
        self._hand_over(op)

    @property
    def held(self) -> int:
        """How many writes submitted ``later`` wait to be handed over."""
        return len(self._held)

    def flush(self) -> None:
        """Hand over what was submitted ``later`` (it then commits like any write)."""
        with self._lock:
            held, self._held = self._held, []
        for op in held:
            self._queue.put(op)

    def _hand_over(self, op: _Op) -> None:
        if self._held:
            self.flush()
        self._queue.put(op)

    def call(self, fn: Callable[[Backend], T], *, writes: bool = False, atomic: bool = False) -> T:
        """Run ``fn`` and wait for it (committed, if it writes). Inline on this thread."""
        if threading.current_thread() is self._thread and self._backend is not None:
            return self._inline(self._backend, fn, atomic)
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def settle(result: Any, error: BaseException | None) -> None:
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)

        self._hand_over(_Op(fn, writes, atomic, settle, None))
        return future.result()

    @staticmethod
    def _inline(backend: Backend, fn: Callable[[Backend], T], atomic: bool) -> T:
        """``fn`` from inside another operation (a savepoint keeps it all-or-nothing)."""
        if not atomic:
            return fn(backend)
        backend.savepoint()
        try:
            result = fn(backend)
        except BaseException:
            backend.rollback_to()
            raise
        backend.release()
        return result

    async def acall(
        self, fn: Callable[[Backend], T], *, writes: bool = False, atomic: bool = False
    ) -> T:
        """:meth:`call` for a coroutine: the event loop goes on while the thread works."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._hand_over(_Op(fn, writes, atomic, _LoopSettle(loop, future), None))
        return await future

    def failure(self, run_id: str) -> BaseException | None:
        """The first failure of a fire-and-forget write of ``run_id`` (and forget it)."""
        with self._lock:
            return self._failures.pop(run_id, None)

    def close(self, timeout: float = 30.0) -> None:
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
        opened.set_result(None)
        last_idle = time.monotonic()
        try:
            while True:
                try:
                    first = self._queue.get(timeout=self._idle_every)
                except queue.Empty:
                    first = _IDLE
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
                        batch.append(more)
                    self._run(backend, batch)
                if time.monotonic() - last_idle >= self._idle_every:
                    last_idle = time.monotonic()
                    self._run_idle(backend)
                if stop:
                    break
        finally:
            self._drain_closed()
            backend.close()

    def _run_idle(self, backend: Backend) -> None:
        if self._idle is None:
            return
        self._run(backend, [_Op(self._idle, True, False, None, None)])

    def _run(self, backend: Backend, batch: list[_Op]) -> None:
        writes = any(op.writes for op in batch)
        done: list[tuple[_Op, Any, BaseException | None]] = []
        try:
            if writes:
                backend.begin(alone=len(batch) == 1)
            for op in batch:
                done.append(self._one(backend, op, writes))
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
        self._settle(done)

    def _one(
        self, backend: Backend, op: _Op, writes: bool
    ) -> tuple[_Op, Any, BaseException | None]:
        guarded = op.atomic and writes
        if guarded:
            backend.savepoint()
        try:
            result = op.fn(backend)
        except BaseException as exc:
            if backend.storage_error(exc) is not None:
                raise  # the storage failed: the whole batch goes
            if guarded:
                backend.rollback_to()
            return op, None, exc
        if guarded:
            backend.release()
        return op, result, None

    def _settle(self, done: list[tuple[_Op, Any, BaseException | None]]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[Any]] = {}
        for op, result, error in done:
            settle = op.settle
            if isinstance(settle, _LoopSettle):
                by_loop.setdefault(settle.loop, []).append((settle.future, result, error))
            elif settle is not None:
                settle(result, error)
            elif error is not None and op.run_id is not None:
                with self._lock:
                    self._failures.setdefault(op.run_id, error)
        for loop, items in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle_futures, items)
            except RuntimeError:  # that loop is closed: nobody waits any more
                continue

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


_IDLE = _Op(lambda _backend: None, False, False, None, None)


__all__ = ["JournalThread"]
