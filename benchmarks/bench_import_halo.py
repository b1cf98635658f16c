"""How ``import-halo`` (``write_plan``) scales with the number of steps in a runbook.

A red-team pass found it quadratic: every new step table re-read the whole growing file
(500 steps: 31 s of CPU). Now a runbook's new steps and an integration's new methods go in
as one edit. Measured here, as process CPU (the machine may be shared), in interleaved
rounds:

* the import of 50, 200 and 500 steps (and a tenth as many methods), and the growth per
  doubling of the step count from 50 to 500 ((t500/t50) ** (1 / log2(10)); 2.0 is linear,
  4.0 quadratic);
* the peer: the same import adding each table on its own (the old path, still what
  ``add_tables`` falls back to), at 50 and 200 steps only (at 500 it takes tens of
  seconds); printed as one-at-a-time / batched.

Run: python benchmarks/bench_import_halo.py
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from runbench.core.halojson import write_plan
from runbench.core.workspace import WorkspaceDocument

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from results import record

from halo_samples import many_step_plan

SIZES = (50, 200, 500)
PEER_SIZES = (50, 200)
ROUNDS = 3
GROWTH_GOAL = 2.5
"""Per doubling of the steps: linear is 2.0; the quadratic path measured 3.5-4."""
SPEEDUP_GOAL = 10.0
"""At 200 steps the one-at-a-time path took 40x the batch's CPU when this was written."""


def _one_at_a_time(self: WorkspaceDocument, tables: Sequence[tuple[Any, Any]]) -> None:
    for keys, values in tables:
        self.add_table(keys, values)


def _cpu_of(steps: int, folder: Path, batched: bool) -> float:
    plan = many_step_plan(steps, steps // 10)
    out = folder / f"{steps}-{batched}-{time.monotonic_ns()}.toml"
    original = WorkspaceDocument.add_tables
    if not batched:
        WorkspaceDocument.add_tables = _one_at_a_time  # type: ignore[method-assign]
    try:
        start = time.process_time()
        write_plan(plan, out, "bench")
        return time.process_time() - start
    finally:
        WorkspaceDocument.add_tables = original  # type: ignore[method-assign]
        out.unlink()


def _rounds(folder: Path) -> tuple[dict[int, list[float]], dict[int, list[float]]]:
    batched: dict[int, list[float]] = {n: [] for n in SIZES}
    single: dict[int, list[float]] = {n: [] for n in PEER_SIZES}
    for round_number in range(ROUNDS):
        cases: list[tuple[int, bool]] = [(n, True) for n in SIZES]
        cases += [(n, False) for n in PEER_SIZES]
        if round_number % 2:
            cases.reverse()
        for steps, is_batched in cases:
            (batched if is_batched else single)[steps].append(_cpu_of(steps, folder, is_batched))
    return batched, single


def _report(batched: dict[int, list[float]], single: dict[int, list[float]]) -> None:
    print(f"{'steps':>6} {'batched CPU':>12} {'one at a time':>14} {'ratio':>8}")
    for steps in SIZES:
        best = min(batched[steps])
        peer = f"{min(single[steps]):>13.3f}s" if steps in single else f"{'-':>14}"
        ratio = f"{min(single[steps]) / best:>7.1f}x" if steps in single else f"{'-':>8}"
        print(f"{steps:>6} {best:>11.3f}s {peer} {ratio}")
    growths = [
        (a / b) ** (1 / math.log2(SIZES[-1] / SIZES[0]))
        for a, b in zip(batched[SIZES[-1]], batched[SIZES[0]], strict=True)
    ]
    growth = (min(batched[SIZES[-1]]) / min(batched[SIZES[0]])) ** (
        1 / math.log2(SIZES[-1] / SIZES[0])
    )
    speedups = [s / b for s, b in zip(single[200], batched[200], strict=True)]
    speedup = min(single[200]) / min(batched[200])
    print(
        f"growth per doubling {SIZES[0]}->{SIZES[-1]} steps: {growth:.2f} "
        f"(goal <= {GROWTH_GOAL}; 2.0 linear, 4.0 quadratic)"
    )
    print(f"one-at-a-time / batched at 200 steps: {speedup:.1f}x (goal >= {SPEEDUP_GOAL})")
    record(
        "import CPU growth per doubling of steps (50->500)",
        growth,
        GROWTH_GOAL,
        spread=(min(growths), max(growths)),
    )
    record(
        "one table at a time / batched, CPU at 200 steps",
        speedup,
        SPEEDUP_GOAL,
        higher_is_better=True,
        spread=(min(speedups), max(speedups)),
    )


def main() -> None:
    print(f"load: {os.getloadavg()[0]:.1f} (1 min), CPU {os.cpu_count()}; {ROUNDS} rounds")
    with tempfile.TemporaryDirectory() as folder:
        batched, single = _rounds(Path(folder))
    _report(batched, single)


if __name__ == "__main__":
    main()
