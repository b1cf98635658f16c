"""Garbage collection while the user is not typing.

Textual leaves cyclic garbage behind on many key presses (widgets recomposed, styles
recomputed), and CPython's collector runs when enough objects were allocated: often in
the middle of a key press, where a full collection added 35-80 ms to what the user
waited for. The workbench therefore freezes what start-up built (it lives as long as the
app, and need not be walked again), raises the automatic thresholds so collections are
rare while keys arrive, and collects itself when no input came for a moment. The
automatic collector stays on as a backstop, so memory stays bounded even if the user
never pauses.

Before the first frame there is no collection at all (``hold``, from ``runbench tui``
before it imports the app; the app's first frame turns the collector back on, whatever
starts after it: ``drawn``, or ``release`` without an idle collector): start-up allocates
hundreds of thousands of objects and frees almost none, so the 150-odd collections
CPython's thresholds asked for on the way to the first frame (one of them full) found
nothing and cost about a tenth of its CPU.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

QUIET = 0.4
"""Seconds without input before an idle collection."""
THRESHOLDS = (20_000, 20, 50)
"""Automatic collection thresholds while the app runs (CPython's default: 700, 10, 10)."""
MIN_PENDING = 2_000
"""Skip an idle collection when fewer objects than this were allocated since the last."""


def hold() -> None:
    """No automatic collection until the first frame: ``release`` (or an
    ``IdleCollector``'s ``drawn()``, which also raises the thresholds)."""
    gc.disable()


def release() -> None:
    """Automatic collection on again, at the thresholds it had (a workbench drawn with no
    idle collector: ``background=False``)."""
    gc.enable()


class IdleCollector:
    """``drawn()`` once the first frame is on screen; ``start()`` when the user is first
    idle; ``touched()`` on every input event; ``tick()`` from a timer; ``stop()`` when the
    app ends (the collector is as it was before ``hold``/``drawn``)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        collect: Callable[[], object] = gc.collect,
    ) -> None:
        self.clock = clock
        self.collect = collect
        self.last_input = clock()
        self.saved: tuple[int, int, int] | None = None
        self.started = False
        self.collections = 0

    def drawn(self) -> None:
        """Automatic collection on, at the raised thresholds: a backstop until ``start``."""
        if self.saved is None:
            self.saved = gc.get_threshold()
        gc.set_threshold(*THRESHOLDS)
        gc.enable()

    def start(self) -> None:
        """The first full collection, then what survived it is frozen."""
        self.drawn()
        self.collect()
        gc.freeze()
        self.started = True

    def touched(self) -> None:
        self.last_input = self.clock()

    def idle(self) -> bool:
        """No input for ``QUIET`` seconds."""
        return self.clock() - self.last_input >= QUIET

    def tick(self, pending: int | None = None) -> bool:
        """Collect if the user is idle and there is something to collect; True if done."""
        allocated = gc.get_count()[0] if pending is None else pending
        if self.clock() - self.last_input < QUIET or allocated < MIN_PENDING:
            return False
        self.collect()
        self.collections += 1
        return True

    def stop(self) -> None:
        if self.saved is not None:
            gc.set_threshold(*self.saved)
            if self.started:  # only a freeze this made (an app closed before idling made none)
                gc.unfreeze()
            self.saved = None
        self.started = False
        gc.enable()
