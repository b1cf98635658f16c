"""Garbage collection while the user is not typing.

Textual leaves cyclic garbage behind on many key presses (widgets recomposed, styles
recomputed), and CPython's collector runs when enough objects were allocated: often in
the middle of a key press, where a full collection added 35-80 ms to what the user
waited for. The workbench therefore freezes what start-up built (it lives as long as the
app, and need not be walked again), raises the automatic thresholds so collections are
rare while keys arrive, and collects itself when no input came for a moment. The
automatic collector stays on as a backstop, so memory stays bounded even if the user
never pauses.
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


class IdleCollector:
    """``start()`` after the first frame; ``touched()`` on every input event; ``tick()``
    from a timer; ``stop()`` when the app ends (the thresholds are restored)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        collect: Callable[[], object] = gc.collect,
    ) -> None:
        self.clock = clock
        self.collect = collect
        self.last_input = clock()
        self.saved: tuple[int, int, int] | None = None
        self.collections = 0

    def start(self) -> None:
        self.collect()
        gc.freeze()
        self.saved = gc.get_threshold()
        gc.set_threshold(*THRESHOLDS)

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
            gc.unfreeze()
            self.saved = None
