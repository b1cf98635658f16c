"""How the runbook flowchart (layout + render) scales with the number of steps.

Runbook-shaped graphs (seeded) of 10, 50, 200 and 500 steps are laid out and drawn; each time
is the best of a few runs. Printed per size: the time, the growth factor per doubling of the
step count against the previous size ((t2/t1) ** (1 / log2(n2/n1)); 2.0 means linear, 4.0
quadratic), and the ratio against a floor measured in the same run: a trivial O(n) pass that
only writes each step's label into a list of strings.

Run: python benchmarks/bench_flowchart.py
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

from runbench.core.flowchart import Graph, draw

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from results import record

from flowchart_samples import sample_runbook  # tests/ holds the sample graphs

SIZES = (10, 50, 200, 500)
SEED = 20240501


def best_of(fn: Callable[[], object], repeats: int) -> float:
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def floor_pass(graph: Graph) -> list[str]:
    lines: list[str] = []
    for node in graph.nodes:
        lines.append(f"{node.id}  {node.label}")
    return lines


def main() -> None:
    print(
        f"{'steps':>6} {'edges':>6} {'chart':>10} {'per doubling':>13} "
        f"{'floor':>10} {'chart/floor':>12}  size"
    )
    previous: tuple[int, float] | None = None
    for n in SIZES:
        graph = sample_runbook(n, SEED)
        repeats = 7 if n <= 200 else 3
        chart_time = best_of(lambda g=graph: draw(g), repeats)  # type: ignore[misc]
        floor_time = best_of(lambda g=graph: floor_pass(g), 200)  # type: ignore[misc]
        chart = draw(graph)
        growth = ""
        if previous is not None:
            n1, t1 = previous
            per_doubling = (chart_time / t1) ** (1 / math.log2(n / n1))
            growth = f"{per_doubling:.2f}x"
            if n == SIZES[-1]:
                record(f"growth per doubling, {n1} to {n} steps (2.0 = linear)", per_doubling)
        previous = (n, chart_time)
        print(
            f"{n:>6} {len(graph.edges):>6} {chart_time * 1000:>8.1f}ms {growth:>13} "
            f"{floor_time * 1e6:>8.1f}us {chart_time / floor_time:>12.0f}  "
            f"{chart.width}x{len(chart.lines)} cells"
        )


if __name__ == "__main__":
    main()
