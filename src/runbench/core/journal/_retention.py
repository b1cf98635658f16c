"""Retention: finished runs older than a cut-off leave the journal, with their steps and
exchanges (``runbench runs prune --older-than 30d``, and `serve` with a workspace's
``retention_days``).

Only runs that ended (success or failure) go: a queued, running, paused or interrupted
run is never deleted, however old. Deletion runs in chunks of ``CHUNK`` runs, one
transaction each, so a prune of a year of runs never holds the journal's write lock
for long (other writers wait for one chunk at most).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from runbench.core.errors import UsageError
from runbench.core.journal._backend import Backend

CHUNK = 500
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_age(text: str) -> float:
    """``30d``, ``12h``, ``90m``, ``2w`` or plain seconds -> seconds; UsageError else."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", text)
    if found is None:
        raise UsageError(f"--older-than {text!r}: expected a number with s, m, h, d or w (30d)")
    return float(found.group(1)) * UNITS[found.group(2) or "s"]


class RetentionMixin:
    """``prune`` for :class:`Journal` (which provides ``clock`` and ``_change``)."""

    clock: Callable[[], float]
    _change: Callable[[Callable[[Backend], Any]], Any]

    def prune(self, older_than: float) -> int:
        """Delete runs that finished more than ``older_than`` seconds ago; how many."""
        before = self.clock() - older_than
        total = 0
        while True:
            deleted = int(self._change(lambda b: b.delete_finished(before, CHUNK)))
            total += deleted
            if deleted < CHUNK:
                return total


__all__ = ["CHUNK", "RetentionMixin", "parse_age"]
