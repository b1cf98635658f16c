"""How many pytest workers `make test` should use (issue 13.8), measured rather than guessed.

The suite runs with ``-n 3`` and with ``-n 4`` (``--dist worksteal``, as the Makefile runs
it), interleaved A B B A so a slow spell of a shared machine hits both alike. Each run's
floor is its own CPU spread over the machine's cores (every test process's CPU, the
subprocesses the tests wait for included): a suite that never waits finishes in that
time, so ``wall / floor`` is how much of the run the workers spent waiting (servers, child
processes, leases) rather than computing, and ``-n 4 / -n 3`` says whether a fourth worker
fills that waiting. The load average is printed beside every run.

By default the tests outside tests/tui run (what `make test-fast` runs: about 4 minutes
for the four runs on a quiet 2-core machine); ``--all`` runs the whole suite (about 8);
arguments after ``--`` go to pytest (``-- tests/test_paths.py``: a quick try of this script).
Goals: wall at most 1.15 times the floor with the Makefile's worker count (``-n 3``); the
``-n 4 / -n 3`` ratio is shown for the choice (below 1: four workers are faster).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from results import record, spread_of

ROOT = Path(__file__).resolve().parents[1]
IDLE_GOAL = 1.15
WORKERS = (3, 4)


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f} (5 min {five:.1f})"


def run_suite(workers: int, whole: bool, extra: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one pytest run; raises if the suite fails."""
    argv = [sys.executable, "-m", "pytest", "-q", "-n", str(workers), "--dist", "worksteal"]
    if not whole:
        argv.append("--ignore=tests/tui")
    argv += extra
    cpu, start = _children_cpu(), time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    wall, used = time.perf_counter() - start, _children_cpu() - cpu
    if done.returncode != 0:
        tail = "\n".join(done.stdout.splitlines()[-15:])
        raise SystemExit(f"pytest -n {workers} failed ({done.returncode}):\n{tail}")
    return wall, used


def main() -> int:
    args = sys.argv[1:]
    cut = args.index("--") if "--" in args else len(args)
    whole, extra = "--all" in args[:cut], args[cut + 1 :]
    cores = os.cpu_count() or 1
    order = [WORKERS[0], WORKERS[1], WORKERS[1], WORKERS[0]]
    walls: dict[int, list[float]] = {n: [] for n in WORKERS}
    idle: dict[int, list[float]] = {n: [] for n in WORKERS}
    scope = "the whole suite" if whole else "the tests outside tests/tui (make test-fast)"
    print(f"pytest workers for {scope}, {cores} cores, runs interleaved {order}")
    for workers in order:
        before = _load()
        wall, cpu = run_suite(workers, whole, extra)
        floor = cpu / cores
        walls[workers].append(wall)
        idle[workers].append(wall / floor)
        print(
            f"  -n {workers}: wall {wall:6.1f} s, CPU {cpu:6.1f} s, floor {floor:6.1f} s,"
            f" wall/floor {wall / floor:4.2f}   ({before} before, {_load()} after)"
        )
    pairs = [b / a for a, b in zip(walls[WORKERS[0]], walls[WORKERS[1]], strict=True)]
    more = statistics.median(pairs)
    waiting = statistics.median(idle[WORKERS[0]])
    print(
        f"-n {WORKERS[1]} / -n {WORKERS[0]} wall: {more:.2f} (pairs {', '.join(f'{p:.2f}' for p in pairs)});"
        f" {'four workers are faster' if more < 1 else 'three workers are as fast or faster'}"
    )
    print(
        f"-n {WORKERS[0]} wall / floor: {waiting:.2f} (goal <= {IDLE_GOAL});"
        f" {'met' if waiting <= IDLE_GOAL else 'not met'}"
    )
    record(
        f"-n {WORKERS[0]} wall / (CPU / {cores} cores), {'all' if whole else 'no tui'}",
        waiting,
        IDLE_GOAL,
        spread=spread_of(idle[WORKERS[0]]),
    )
    record(
        f"-n {WORKERS[1]} / -n {WORKERS[0]} wall, {'all' if whole else 'no tui'}",
        more,
        None,
        spread=spread_of(pairs),
        note="below 1: four workers are faster",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
