"""The longest tests first, so the last test to finish is a short one (issue 13.8).

xdist hands tests to workers in collection order. In file order a long TUI story collected
near the end started when the other workers had nothing left: one 20-30 s test set the
suite's wall time while two workers waited. Sorting by a recorded cost, longest first (and
``--dist load --maxschedchunk 1``: a worker takes the next test when it finishes one), is
the classic longest-processing-time-first schedule: the long tests run side by side at the
start and the short ones fill the gaps at the end.

The costs are wall seconds per test id, recorded by ``make test-cpu RECORD=1`` in
``tests/test_costs.tsv`` (only the tests that take long enough to matter). A test missing
there (new, renamed, or short) keeps its collection place after the recorded ones, so a
stale file only makes the order worse, never the results different. The order is the same
in every worker (xdist requires identical collections). ``RUNBENCH_TEST_ORDER=collected``
keeps pytest's own order (to measure what the sorting is worth).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol, TypeVar

COSTS = Path(__file__).with_name("test_costs.tsv")
RECORD_AT_LEAST = 0.5
"""Seconds of wall a test must take to be recorded: shorter ones only fill gaps."""


class _Item(Protocol):
    @property
    def nodeid(self) -> str: ...


T = TypeVar("T", bound=_Item)


def read_costs(path: Path = COSTS) -> dict[str, float]:
    """Test id -> recorded wall seconds; an absent or damaged line is ignored."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    costs: dict[str, float] = {}
    for line in text.splitlines():
        seconds, _, nodeid = line.partition("\t")
        try:
            costs[nodeid] = float(seconds)
        except ValueError:
            continue
    return costs


def longest_first(items: list[T], costs: dict[str, float]) -> list[T]:
    """Recorded tests by cost, longest first; then the others in their collected order."""
    known = [item for item in items if item.nodeid in costs]
    known.sort(key=lambda item: -costs[item.nodeid])  # stable: ties keep collection order
    rest = [item for item in items if item.nodeid not in costs]
    return known + rest


def order_items(items: list[T]) -> list[T]:
    """``items`` in the order the suite runs them (see the module docstring)."""
    if os.environ.get("RUNBENCH_TEST_ORDER") == "collected":
        return items
    return longest_first(items, read_costs())


def write_costs(rows: Iterable[tuple[float, str]], path: Path = COSTS) -> int:
    """Record the tests of ``rows`` (wall seconds, test id) that take long enough; how many."""
    kept = sorted((row for row in rows if row[0] >= RECORD_AT_LEAST), reverse=True)
    path.write_text("".join(f"{wall:.2f}\t{nodeid}\n" for wall, nodeid in kept), encoding="utf-8")
    return len(kept)
