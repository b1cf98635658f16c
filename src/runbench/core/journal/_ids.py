"""Run ids made from a pool of random bytes: one ``os.urandom`` call per few hundred ids.

A run id is 12 hex digits of milliseconds (so ids sort by creation) and 20 random ones.
`serve` makes one per delivery on the journal's thread, in the middle of a batch; a
system call per id there would hand the GIL to the event loop and wait to get it back,
once per delivery. The bytes are the same ``os.urandom`` bytes, read in bulk.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

RANDOM_BYTES = 10
"""Random bytes per id (20 hex digits)."""
POOL_IDS = 400
"""Ids per refill of the pool."""


class RunIds:
    """A source of new run ids (thread-safe)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._pool = b""
        self._used = 0
        self._lock = threading.Lock()

    def new(self) -> str:
        return f"{int(self.clock() * 1000):012x}{self._take(RANDOM_BYTES).hex()}"

    def many(self, count: int, now: float | None = None) -> list[str]:
        """``count`` new ids made at ``now`` (default: the clock's now), for a batch of runs
        (one lock and one clock reading for all), in ascending order: runs created in one
        batch sort by id in the order they are given their ids."""
        random = self._take(RANDOM_BYTES * count).hex()
        stamp = f"{int((self.clock() if now is None else now) * 1000):012x}"
        step = RANDOM_BYTES * 2
        return sorted(stamp + random[i : i + step] for i in range(0, len(random), step))

    def _take(self, size: int) -> bytes:
        """``size`` random bytes from the pool (refilled when it runs short)."""
        with self._lock:
            if self._used + size > len(self._pool):
                self._pool = os.urandom(max(RANDOM_BYTES * POOL_IDS, size))
                self._used = 0
            start = self._used
            self._used = start + size
            return self._pool[start : start + size]


__all__ = ["RunIds"]
