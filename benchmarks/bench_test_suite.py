"""How many pytest workers `make test` should use (issue 13.8), measured rather than guessed.

The suite runs as the Makefile runs it (its ``PYTEST`` line: worker count, ``--dist`` and
the rest) with ``-n 2``, ``-n 3`` and ``-n 4``, interleaved in rounds whose order rotates
(2 3 4, 3 4 2, 4 2 3, ...) so a slow spell of a shared machine hits every count alike. Each
count is compared with the Makefile's count run in the same round (``wall / wall``, median of
the rounds). Each run's floor is its own CPU spread over the machine's cores (every test
process's CPU, the subprocesses the tests wait for included): a suite that never waits
finishes in that time, so ``wall / floor`` is how much of the run the workers spent waiting
(servers, child processes, leases, one long test at the end) rather than computing. The
load average is printed beside every run.

``--before`` adds the schedule this replaced (``-n 3 --dist worksteal`` in collection order)
to every round, to see what the longest-first order is worth.

By default the tests outside tests/tui run (what `make test-fast` runs: about 6 minutes for
the three rounds on a quiet 2-core machine); ``--all`` runs the whole suite (about 15);
``--rounds N`` (at least 1, default 3); ``--counts 3,4`` (default 2,3,4; the Makefile's is
always run); arguments after ``--`` go to pytest
(``-- tests/test_paths.py``: a quick try of this script).
Goals: wall at most 1.15 times the floor with the Makefile's options; the other counts'
``wall / wall`` ratios are shown for the choice (below 1: that count is faster).
"""

from __future__ import annotations

import os
import re
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from results import record, spread_of

ROOT = Path(__file__).resolve().parents[1]
IDLE_GOAL = 1.15
COUNTS = (2, 3, 4)
BEFORE = "-n 3 worksteal, collected order"


@dataclass
class Setup:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    walls: list[float] = field(default_factory=list)
    idle: list[float] = field(default_factory=list)


def makefile_options() -> tuple[int, list[str]]:
    """The worker count and the other options of the Makefile's ``PYTEST`` line."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    found = re.search(r"^PYTEST := \$\(BIN\)/pytest -n (\d+)(.*)$", text, re.MULTILINE)
    if found is None:
        raise SystemExit("Makefile: no `PYTEST := $(BIN)/pytest -n N ...` line to measure")
    return int(found.group(1)), found.group(2).split()


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f} (5 min {five:.1f})"


def run_suite(setup: Setup) -> tuple[float, float]:
    """Wall and CPU seconds of one pytest run; raises if the suite fails."""
    argv = [sys.executable, "-m", "pytest", "-q", *setup.argv]
    env = {**os.environ, **setup.env}
    cpu, start = _children_cpu(), time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall, used = time.perf_counter() - start, _children_cpu() - cpu
    if done.returncode != 0:
        tail = "\n".join(done.stdout.splitlines()[-15:])
        raise SystemExit(f"pytest ({setup.name}) failed ({done.returncode}):\n{tail}")
    return wall, used


def _setups(args: list[str]) -> tuple[list[Setup], int, str]:
    cut = args.index("--") if "--" in args else len(args)
    ours, extra = args[:cut], args[cut + 1 :]
    whole = "--all" in ours
    rounds = int(ours[ours.index("--rounds") + 1]) if "--rounds" in ours else 3
    scope = [] if whole else ["--ignore=tests/tui"]
    made, options = makefile_options()
    counts: tuple[int, ...] = COUNTS
    if "--counts" in ours:
        counts = tuple(int(n) for n in ours[ours.index("--counts") + 1].split(","))
    counts = tuple(sorted({*counts, made}))
    setups = [Setup(f"-n {n}", ["-n", str(n), *options, *scope, *extra]) for n in counts]
    if "--before" in ours:
        before = ["-n", "3", "--dist", "worksteal", *scope, *extra]
        setups.append(Setup(BEFORE, before, {"RUNBENCH_TEST_ORDER": "collected"}))
    what = "the whole suite" if whole else "the tests outside tests/tui (make test-fast)"
    return setups, max(1, rounds), f"{what}, Makefile options -n {made} {' '.join(options)}"


def main() -> int:
    setups, rounds, what = _setups(sys.argv[1:])
    cores = os.cpu_count() or 1
    made = f"-n {makefile_options()[0]}"
    scope = "all" if "--all" in sys.argv else "no tui"
    print(f"pytest workers for {what}; {cores} cores, {rounds} rounds, rotating order")
    for number in range(rounds):
        turn = number % len(setups)
        for setup in setups[turn:] + setups[:turn]:
            before = _load()
            wall, cpu = run_suite(setup)
            floor = cpu / cores
            setup.walls.append(wall)
            setup.idle.append(wall / floor)
            print(
                f"  round {number + 1} {setup.name:>32}: wall {wall:6.1f} s, CPU {cpu:6.1f} s,"
                f" wall/floor {wall / floor:4.2f}   ({before} before, {_load()} after)",
                flush=True,
            )
    base = next(setup for setup in setups if setup.name == made)
    waiting = statistics.median(base.idle)
    print(f"{made} (the Makefile's) wall / floor: {waiting:.2f} (goal <= {IDLE_GOAL});", end=" ")
    print("met" if waiting <= IDLE_GOAL else "not met")
    record(
        f"{made} wall / (CPU / {cores} cores), {scope}",
        waiting,
        IDLE_GOAL,
        spread=spread_of(base.idle),
    )
    for setup in setups:
        if setup is base:
            continue
        pairs = [a / b for a, b in zip(setup.walls, base.walls, strict=True)]
        ratio = statistics.median(pairs)
        shown = ", ".join(f"{p:.2f}" for p in pairs)
        verdict = "faster" if ratio < 1 else "as fast or slower"
        print(
            f"{setup.name} / {made} wall: {ratio:.2f} (rounds {shown}); {setup.name} is {verdict}"
        )
        note = "below 1: it is faster than the Makefile's"
        record(
            f"{setup.name} / {made} wall, {scope}", ratio, None, spread=spread_of(pairs), note=note
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
