"""CPU per test, to see what makes the suite slow (``pytest -p cpu_report``).

On a shared 2-core machine wall time says more about the neighbours than about a test; the
CPU a test costs its worker (every thread of the process: the app, the sandbox, servers in
threads) is what decides how long the suite takes. Each worker writes one line per test to
``$RUNBENCH_TEST_CPU/<worker>.tsv`` (CPU seconds, wall seconds, test id), a line with the
CPU spent before the first test (interpreter, plugins, conftest, collection: ``<start ...>``)
and a last line with the whole process's CPU (``<process ...>``); ``python tests/cpu_report.py
DIR`` ranks them by file and by test and prints each worker's overhead (start-up, and the
rest outside tests: xdist's messages between tests, session end); with ``--record`` it also writes the long tests' wall times
to tests/test_costs.tsv, the order the suite runs them in (``ordering.py``).
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from ordering import COSTS, write_costs

_rows: list[tuple[float, float, str]] = []
_started: list[float] = []


def _process_cpu() -> float:
    """CPU of this process and of the children it has waited for (the CLI tests' runs)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def pytest_collection_finish() -> None:
    _started.append(_process_cpu())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    cpu, wall = _process_cpu(), time.perf_counter()
    yield
    _rows.append((_process_cpu() - cpu, time.perf_counter() - wall, item.nodeid))


def pytest_sessionfinish() -> None:
    folder = os.environ.get("RUNBENCH_TEST_CPU")
    if not folder or not _rows:
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    lines = [f"{cpu:.3f}\t{wall:.3f}\t{nodeid}" for cpu, wall, nodeid in _rows]
    lines.extend(f"{cpu:.3f}\t0\t<start {worker}>" for cpu in _started[:1])
    lines.append(f"{_process_cpu():.3f}\t0\t<process {worker}>")
    Path(folder, f"{worker}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _report(folder: Path, top: int = 40, record: bool = False) -> None:
    per_test: list[tuple[float, float, str]] = []
    process_total = 0.0
    overheads: list[str] = []
    for tsv in sorted(folder.glob("*.tsv")):
        worker = {"tests": 0.0, "start": 0.0, "process": 0.0}
        for line in tsv.read_text(encoding="utf-8").splitlines():
            cpu_text, wall_text, name = line.split("\t", 2)
            if name.startswith("<"):
                worker[name[1:].split()[0]] = float(cpu_text)
            else:
                per_test.append((float(cpu_text), float(wall_text), name))
                worker["tests"] += float(cpu_text)
        process_total += worker["process"]
        rest = worker["process"] - worker["start"] - worker["tests"]
        overheads.append(
            f"{tsv.stem}: {worker['start']:.1f} s start-up, {rest:.1f} s between tests"
        )
    per_file: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for cpu, wall, nodeid in per_test:
        totals = per_file[nodeid.split("::", 1)[0]]
        totals[0] += cpu
        totals[1] += wall
        totals[2] += 1
    in_tests = sum(cpu for cpu, _, _ in per_test)
    print(f"CPU: {process_total:.1f} s in all workers, {in_tests:.1f} s in {len(per_test)} tests")
    print("outside tests, per worker: " + "; ".join(overheads))
    print(f"\n{'cpu s':>8} {'wall s':>8} {'tests':>5}  file")
    for name, (cpu, wall, count) in sorted(per_file.items(), key=lambda kv: -kv[1][0])[:top]:
        print(f"{cpu:8.1f} {wall:8.1f} {int(count):5d}  {name}")
    print(f"\n{'cpu s':>8} {'wall s':>8}  test")
    for cpu, wall, nodeid in sorted(per_test, reverse=True)[:top]:
        print(f"{cpu:8.2f} {wall:8.2f}  {nodeid}")
    if record:
        kept = write_costs((wall, nodeid) for _, wall, nodeid in per_test)
        print(f"\n{kept} tests' wall times recorded in {COSTS} (the longest run first)")


if __name__ == "__main__":
    _args = [arg for arg in sys.argv[1:] if arg != "--record"]
    _report(Path(_args[0]), int(_args[1]) if len(_args) > 1 else 40, "--record" in sys.argv)
