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
        with self._lock:
            if self._used + RANDOM_BYTES > len(self._pool):
                self._pool = os.urandom(RANDOM_BYTES * POOL_IDS)
                self._used = 0
            start = self._used
            self._used = start + RANDOM_BYTES
            random = self._pool[start : start + RANDOM_BYTES]
        return f"{int(self.clock() * 1000):012x}{random.hex()}"


__all__ = ["RunIds"]
