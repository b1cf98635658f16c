"""The one table `make bench` ends with: every benchmark's headline measures against goals.

Reads what the benchmarks recorded (``results.py``: one JSON line per measure in
``<folder>/<benchmark>.jsonl``; ``<benchmark>.failed`` holds the exit code of one that
failed) and prints benchmark, measure, value (with the spread of its rounds), goal and
whether it was met. A benchmark that ran but recorded nothing, failed, or skipped a part
(a missing tool) says so in its own row, so a short table never passes for a full one.
Exit status 1 when a benchmark failed; a goal not met is reported, not an error (numbers
on a shared machine vary; the table is for reading).

    python benchmarks/summary.py FOLDER [BENCH_NAME ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HEADERS = ("benchmark", "measure", "value (spread)", "goal", "met?")


def _number(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.2f}"
    return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"


def _value(entry: dict[str, Any]) -> str:
    unit = entry.get("unit", "x")
    text = _number(entry["value"], unit)
    spread = entry.get("spread")
    if spread:
        low, high = (_number(v, unit).split(" ")[0] for v in spread)
        text += f" ({low}..{high})"
    return text


def _goal(entry: dict[str, Any]) -> tuple[str, str]:
    goal = entry.get("goal")
    if goal is None:
        return "-", "-"
    higher = entry.get("higher_is_better", False)
    sign = ">=" if higher else "<="
    met = entry["value"] >= goal if higher else entry["value"] <= goal
    return f"{sign} {_number(goal, entry.get('unit', 'x'))}", "yes" if met else "NO"


def rows(folder: Path, names: list[str]) -> tuple[list[tuple[str, ...]], bool]:
    """Table rows, and whether any benchmark failed."""
    found = sorted(
        {p.stem for p in folder.glob("*.jsonl")} | {p.stem for p in folder.glob("*.failed")}
    )
    table: list[tuple[str, ...]] = []
    failed = False
    for name in list(dict.fromkeys([*names, *found])):
        failure = folder / f"{name}.failed"
        if failure.exists():
            failed = True
            code = failure.read_text().strip() or "?"
            table.append((name, f"FAILED (exit {code})", "", "", "NO"))
        results = folder / f"{name}.jsonl"
        entries = (
            [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
            if results.exists()
            else []
        )
        if not entries and not failure.exists():
            table.append((name, "(recorded no measure)", "", "", "-"))
        for entry in entries:
            if "skipped" in entry:
                table.append((name, f"skipped: {entry['skipped']}", "", "", "-"))
                continue
            goal, met = _goal(entry)
            measure = entry["measure"] + (f" [{entry['note']}]" if entry.get("note") else "")
            table.append((name, measure, _value(entry), goal, met))
    return table, failed


def render(table: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in [HEADERS, *table]) for i in range(len(HEADERS))]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(HEADERS), rule, *(line(row) for row in table)])


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    table, failed = rows(Path(argv[0]), argv[1:])
    met = sum(1 for row in table if row[4] == "yes")
    missed = sum(1 for row in table if row[4] == "NO")
    print("\n== summary: headline measures against their goals (ratios: lower is better")
    print("   unless the goal says >=; spread = lowest..highest round)")
    print(render(table))
    print(f"{met} goals met, {missed} not met or failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
