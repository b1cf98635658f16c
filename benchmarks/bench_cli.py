"""Start-up of the CLI: `runbench --help`, `--version` and `check demo.toml` against
`python -c pass` (the floor: the interpreter alone), measured in the same run.

Each command runs as the user runs it (the installed `runbench` script, a new process
each time). runbench's sources are compiled first: an editable install never caches
bytecode where PYTHONDONTWRITEBYTECODE is set (this machine sets it), while a wheel
install compiles at install time. The cases run interleaved, round by round, so a slow
spell of the machine hits all of them alike; each prints its median and spread (the
lowest and highest ratio of a round) as a ratio to the floor of the same round.
Goal (issue 19.7): `--help` at most 8x the floor.
"""

from __future__ import annotations

import compileall
import statistics
import subprocess
import sys
import time
from pathlib import Path

from results import record

ROOT = Path(__file__).resolve().parents[1]
GOAL = 8.0


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> int:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    rounds = max(rounds, 5)
    compileall.compile_dir(ROOT / "src" / "runbench", quiet=1)
    script = str(Path(sys.executable).parent / "runbench")
    demo = str(ROOT / "workspaces" / "demo.toml")
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "runbench --help": [script, "--help"],
        "runbench --version": [script, "--version"],
        "runbench check demo.toml": [script, "check", demo],
    }
    for argv in cases.values():  # warm the file cache
        timed(argv)
    ratios: dict[str, list[float]] = {name: [] for name in cases}
    floors: list[float] = []
    names = list(cases)
    for round_ in range(rounds):
        order = names[round_ % len(names) :] + names[: round_ % len(names)]
        seconds = {name: timed(cases[name]) for name in order}
        floor = seconds["python -c pass"]
        floors.append(floor)
        for name in names:
            ratios[name].append(seconds[name] / floor)
    print(
        f"CLI start-up, {rounds} interleaved rounds; floor `python -c pass` "
        f"median {statistics.median(floors) * 1000:.1f} ms"
    )
    for name in names[1:]:
        values = ratios[name]
        print(
            f"  {name:26s} ratio to floor: median {statistics.median(values):5.1f}x"
            f"   spread {min(values):5.1f}x .. {max(values):5.1f}x"
        )
    for name in names[1:]:
        goal = GOAL if name == "runbench --help" else None
        values = ratios[name]
        record(
            f"{name} vs python -c pass",
            statistics.median(values),
            goal,
            spread=(min(values), max(values)),
        )
    verdict = statistics.median(ratios["runbench --help"])
    print(f"  --help goal <= {GOAL:.0f}x: {'met' if verdict <= GOAL else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
