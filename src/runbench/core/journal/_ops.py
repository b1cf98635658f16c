"""An operation for the journal's thread, how it runs in a batch, and how its caller
learns how it went.

Kept apart from ``_thread`` so that the thread's module is its loop and its rules.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from runbench.core.journal._backend import Backend

Settle = Callable[[Any, BaseException | None], None]
T = TypeVar("T")


class Box:
    """Settles an operation run on the caller's thread (JournalThread.acall(now=True))."""

    __slots__ = ("error", "result")

    def __init__(self) -> None:
        self.result: Any = None
        self.error: BaseException | None = None

    def __call__(self, result: Any, error: BaseException | None) -> None:
        self.result, self.error = result, error

    def value(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.result


@dataclass(slots=True)
class Op:
    """One operation for the journal's thread: the function it runs on the backend,
    whether it writes, whether a write gets a savepoint of its own in the batch
    (``atomic``), and how its caller learns the result (``settle``)."""

    fn: Callable[[Backend], Any]
    writes: bool
    atomic: bool
    settle: Settle | None
    run_id: str | None


Done = tuple[Op, Any, BaseException | None]


class LoopSettle:
    """Resolves an asyncio future from the journal thread (batched per loop)."""

    __slots__ = ("future", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any]) -> None:
        self.loop = loop
        self.future = future

    def __call__(self, _result: Any, _error: BaseException | None) -> None:  # pragma: no cover
        raise AssertionError("settled in batches by JournalThread")


def run_inline(backend: Backend, fn: Callable[[Backend], T], atomic: bool) -> T:
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


def run_one(backend: Backend, op: Op, writes: bool) -> Done:
    """``op`` within a batch's transaction: how it went. An atomic write goes in a
    savepoint; a storage failure is raised (the whole batch goes), others are returned."""
    guarded = op.atomic and writes
    if guarded:
        backend.savepoint()
    try:
        result = op.fn(backend)
    except BaseException as exc:
        if backend.storage_error(exc) is not None:
            raise
        if guarded:
            backend.rollback_to()
        return op, None, exc
    if guarded:
        backend.release()
    return op, result, None


def settle_done(done: list[Done], failed: Callable[[str, BaseException], None]) -> None:
    """Tell each op's caller how it went: futures of one event loop in one call into that
    loop; a fire-and-forget write's failure to ``failed`` (kept for its run's next wait)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[Any]] = {}
    for op, result, error in done:
        settle = op.settle
        if settle is None and error is None:  # a held write that went well
            continue
        if isinstance(settle, LoopSettle):
            by_loop.setdefault(settle.loop, []).append((settle.future, result, error))
        elif settle is not None:
            settle(result, error)
        elif error is not None and op.run_id is not None:
            failed(op.run_id, error)
    for loop, items in by_loop.items():
        try:
            loop.call_soon_threadsafe(settle_futures, items)
        except RuntimeError:  # that loop is closed: nobody waits any more
            continue


def settle_futures(items: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for future, result, error in items:
        if future.done():
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)


__all__ = [
    "Box",
    "Done",
    "LoopSettle",
    "Op",
    "Settle",
    "run_inline",
    "run_one",
    "settle_done",
    "settle_futures",
]
