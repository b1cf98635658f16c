"""An operation for the journal's thread, and how its caller learns how it went.

Kept apart from ``_thread`` so that the thread's module is its loop and its rules.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runbench.core.journal._backend import Backend

Settle = Callable[[Any, BaseException | None], None]


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


def settle_futures(items: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for future, result, error in items:
        if future.done():
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)


__all__ = ["Box", "Done", "LoopSettle", "Op", "Settle", "settle_futures"]
