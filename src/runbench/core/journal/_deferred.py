"""The journal thread's deferred writes: HTTP exchange records waiting apart (SQLite).

An exchange's record is diagnostics (resume does not read it), so it need not ride with
the step barrier that comes next. ``JournalThread`` keeps such writes here and hands them
to its thread at the barrier where DEFERRED_MAX of them, or DEFERRED_BYTES of their
bodies, wait (``full``: written there in one transaction of their own, while the run's
next call is in flight), with any other hand-over (a read, ``flush``, ``close``, a wait
that goes through the thread), with a wait for everything (``committed``: a run's end),
or by the thread when the oldest has waited DEFERRED_AGE seconds (``due``, ``old``). A
kill -9 loses at most those waiting: the exchanges of the last DEFERRED_MAX attempts,
none older than about DEFERRED_AGE seconds; a clean exit loses none (``close``).
Kept apart from the thread's module so the rules of when they go read in one place. Not
thread-safe: the thread's lock guards it.
"""

from __future__ import annotations

from runbench.core.journal._ops import Op

DEFERRED_MAX = 16
"""Deferred writes (exchange records) handed over together (see the module docstring)."""
DEFERRED_BYTES = 4 * 1024 * 1024
"""Bytes of bodies the deferred writes may hold in memory before they go to this thread
at the next barrier, however few they are: each keeps its exchange, whose bodies can be
as large as the read cap allows."""

DEFERRED_AGE = 1.0
"""Seconds the oldest deferred write waits at most while this thread has nothing to do."""


class DeferredWrites:
    """The writes submitted ``deferred``, the time the oldest came and their sizes."""

    def __init__(self) -> None:
        self.ops: list[Op] = []
        self.since = 0.0  # time.monotonic() of the oldest
        self.bytes = 0  # the sizes they were submitted with

    def __bool__(self) -> bool:
        return bool(self.ops)

    def __len__(self) -> int:
        return len(self.ops)

    def add(self, op: Op, size: int, now: float) -> bool:
        """Keep ``op`` (holding ``size`` bytes); True when it is the first one waiting."""
        first = not self.ops
        if first:
            self.since = now
            self.bytes = 0
        self.ops.append(op)
        self.bytes += size
        return first

    def take(self) -> list[Op]:
        """Every write waiting, in order; none wait after."""
        ops, self.ops = self.ops, []
        return ops

    def full(self) -> bool:
        """Enough wait to go at the next barrier (by count or by the bytes they hold)."""
        return bool(self.ops) and (len(self.ops) >= DEFERRED_MAX or self.bytes >= DEFERRED_BYTES)

    def due(self) -> float | None:
        """When the oldest has waited long enough (a monotonic time); None: none wait."""
        return self.since + DEFERRED_AGE if self.ops else None

    def old(self, now: float) -> bool:
        """Whether the oldest has waited DEFERRED_AGE seconds."""
        return bool(self.ops) and now - self.since >= DEFERRED_AGE


__all__ = ["DEFERRED_AGE", "DEFERRED_BYTES", "DEFERRED_MAX", "DeferredWrites"]
