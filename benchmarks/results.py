"""Headline results of a benchmark, for the one summary table `make bench` ends with.

Every benchmark prints its own detail; on top of that it records the few numbers its goal
is about: ``record(...)`` for a measure (a ratio against a floor or peer measured in the
same run, or a figure with its unit), ``skipped(...)`` when a tool it needs is missing.
`make bench` sets ``RUNBENCH_BENCH_RESULTS`` to a temporary folder; each call appends one
JSON line to ``<folder>/<benchmark>.jsonl`` there, and ``summary.py`` prints the table.
Run on its own (the variable unset) a benchmark records nothing and prints as before.

Not imported by the package: benchmarks run as scripts with this folder on sys.path.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ENV = "RUNBENCH_BENCH_RESULTS"


def _benchmark() -> str:
    return Path(sys.argv[0]).stem or "benchmark"


def _append(entry: dict[str, object]) -> None:
    folder = os.environ.get(ENV)
    if not folder:
        return
    path = Path(folder) / f"{entry['benchmark']}.jsonl"
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(entry) + "\n")


def record(
    measure: str,
    value: float,
    goal: float | None = None,
    *,
    higher_is_better: bool = False,
    spread: tuple[float, float] | None = None,
    unit: str = "x",
    note: str = "",
) -> None:
    """One headline measure. ``unit`` "x" is a ratio; anything else ("ms", "s") a figure.
    ``goal``: the most it may be (or the least, with ``higher_is_better``); None: shown
    for information. ``spread``: the lowest and highest of the rounds."""
    _append(
        {
            "benchmark": _benchmark(),
            "measure": measure,
            "value": value,
            "goal": goal,
            "higher_is_better": higher_is_better,
            "spread": list(spread) if spread else None,
            "unit": unit,
            "note": note,
        }
    )


def skipped(why: str) -> None:
    """The benchmark (or part of it) did not run: say why, e.g. a tool that is missing."""
    _append({"benchmark": _benchmark(), "skipped": why})


def spread_of(values: list[float]) -> tuple[float, float]:
    return (min(values), max(values)) if values else (0.0, 0.0)


__all__ = ["ENV", "record", "skipped", "spread_of"]
