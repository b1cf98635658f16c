"""The sandbox's save: CPU of saving one ticket into a store of 1k and 10k tickets, against
the old save measured in the same run (deep copy of the whole store, then the whole data
file rewritten and fsynced), in interleaved rounds.

Goals: the new save's CPU at 10k over 1k (growth) at most 2 (it should not grow with the
store; the old one grows about 10x); old / new at 10k at least 10.
"""

from __future__ import annotations

import copy
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from results import record, spread_of

from runbench.sandbox.store import MAX_SAVE_ITEMS, HaloState

SIZES = (1_000, 10_000)
ROUNDS = 4
SAVES = 8


def _filled(path: Path, tickets: int) -> HaloState:
    state = HaloState(clock=lambda: 1_700_000_000.0, data_file=path)
    for start in range(0, tickets, MAX_SAVE_ITEMS):
        batch = range(start, min(start + MAX_SAVE_ITEMS, tickets))
        state.save("Tickets", [{"summary": f"ticket {i}", "details": "x" * 80} for i in batch])
    state.persist()
    return state


def _new_saves(state: HaloState) -> float:
    began = time.process_time()
    for n in range(SAVES):
        state.save("Tickets", [{"id": 5, "summary": f"changed {n}"}])
    return (time.process_time() - began) / SAVES


def _old_saves(state: HaloState) -> float:
    """The old save's cost on the same store: the whole store deep-copied, the save, then
    the whole file rewritten (what every save did before)."""
    began = time.process_time()
    for n in range(SAVES):
        copy.deepcopy(state._data)
        state.save("Tickets", [{"id": 5, "summary": f"changed {n}"}])
        state.persist()
    return (time.process_time() - began) / SAVES


def main() -> None:
    print(f"uptime: {os.popen('uptime').read().strip()}")
    with tempfile.TemporaryDirectory() as folder:
        states = {n: _filled(Path(folder) / f"{n}.json", n) for n in SIZES}
        new: dict[int, list[float]] = {n: [] for n in SIZES}
        old: dict[int, list[float]] = {n: [] for n in SIZES}
        for _ in range(ROUNDS):
            for n in SIZES:
                new[n].append(_new_saves(states[n]))
                old[n].append(_old_saves(states[n]))
    for n in SIZES:
        ratios = [o / max(w, 1e-9) for o, w in zip(old[n], new[n], strict=True)]
        value = statistics.median(ratios)
        print(
            f"{n:>6} tickets: new {statistics.median(new[n]) * 1e6:.0f} us CPU per save, "
            f"old / new {value:.1f}x (rounds {min(ratios):.1f}..{max(ratios):.1f})"
        )
        goal = 10.0 if n == SIZES[-1] else None
        record(
            f"old save / new save CPU at {n} tickets",
            value,
            goal,
            higher_is_better=True,
            spread=spread_of(ratios),
        )
    growth = [b / max(a, 1e-9) for a, b in zip(new[SIZES[0]], new[SIZES[-1]], strict=True)]
    print(f"new save CPU at 10k / at 1k: {statistics.median(growth):.2f} (goal <= 2; 10 = linear)")
    record(
        "new save CPU 10k / 1k tickets", statistics.median(growth), 2.0, spread=spread_of(growth)
    )
    print(f"uptime: {os.popen('uptime').read().strip()}")


if __name__ == "__main__":
    main()
