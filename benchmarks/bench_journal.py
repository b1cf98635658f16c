"""Journal growth: a foreach over N items, for N = 1k, 2k, 4k, 8k, with its journal.

Each item is ~130 bytes of JSON, so the 8k input is ~1 MB (the issue's example was a
900 KB input that wrote 1.8 GB, and `runs --json` of it took 60 s and 8.8 GB). For each
N the run is timed, the journal's bytes are counted (what its step rows store, and the
database file), and reading the run back the way `runbench runs RUN --json` does is
timed. The figure to watch is the growth per doubling of N: ~2.0 is linear, ~4.0 is
quadratic. Rounds are repeated and interleaved; medians are printed.

Then the claim of `serve` with 1k, 10k and 40k runs queued: the time of one claim of 4
runs (a trip to the journal's thread included) as a ratio to the claim with 1k queued. An index
on (status, created, id) serves it, so the goal is flat (~1.0); without it SQLite sorted
the queue in a temporary B-tree at every claim (0.11 ms at 1k, 5.3 ms at 40k).

Last, `serve`'s intake into the journal (``Journal.admit``, 50 deliveries a turn) with
delivery ids made in order (``d-N``), random ones (UUID v4) and none: the process CPU
per delivery (the journal's thread included), as ratios to no id. The delivery key's
unique index is written on every delivery; keys in the sender's order append to it.

    python benchmarks/bench_journal.py [--sizes 1000 2000 4000 8000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from results import record

from runbench.cli.cmd_runs import detail
from runbench.core.engine import Engine
from runbench.core.journal import Journal
from runbench.core.workspace import load_workspace

WORKSPACE = """
[runbooks.loop]
start = "each"
[runbooks.loop.inputs]
items = { type = "array" }
[runbooks.loop.steps.each]
kind = "foreach"
items = "<<items>>"
outputs = { item = "response" }
on_item = "check"
on_empty = "done"
[runbooks.loop.steps.check]
kind = "condition"
rules = [ { left = "<<item^id>>", op = "greater_or_equal", right = 0 } ]
on_true = "next"
on_false = "next"
[runbooks.loop.steps.next]
kind = "next"
loop = "each"
on_done = "done"
[runbooks.loop.steps.done]
kind = "end"
message = "done"
"""


def stored_bytes(path: Path) -> int:
    with sqlite3.connect(path) as db:
        row = db.execute(
            "SELECT sum(length(vars) + length(loops) + coalesce(length(unset), 0)"
            " + coalesce(length(outputs), 0) + coalesce(length(loops_after), 0)) FROM steps"
        ).fetchone()
    return int(row[0] or 0)


async def one(folder: Path, n: int) -> dict[str, float]:
    path = folder / f"runs-{n}.db"
    path.unlink(missing_ok=True)
    workspace = load_workspace(folder / "ws.toml")
    loop = replace(workspace.runbooks["loop"], max_steps=4 * n + 10)
    workspace = replace(workspace, runbooks={**workspace.runbooks, "loop": loop})
    items = [{"id": i, "name": f"item {i}", "pad": "x" * 100} for i in range(n)]
    journal = Journal(path)
    engine = Engine(workspace, journal=journal, environ={})
    started = time.perf_counter()
    result = await engine.run("loop", inputs={"items": items})
    await journal.committed()
    ran = time.perf_counter() - started
    assert result.status == "success", result.error
    started = time.perf_counter()
    row = journal.find_run(result.run_id)
    text = json.dumps(detail(journal, row), default=str)
    read = time.perf_counter() - started
    journal.close()
    return {
        "input": len(json.dumps(items)),
        "stored": stored_bytes(path),
        "file": path.stat().st_size,
        "run": ran,
        "read": read,
        "json": len(text),
    }


def claim_cost(folder: Path, queued: int, claims: int = 200) -> float:
    """Seconds per claim of 4 runs with at least ``queued`` runs waiting."""
    journal = Journal(folder / f"queue-{queued}.db")
    total = queued + 4 * claims  # the claims below leave ``queued`` behind
    for start in range(0, total, 1000):
        for n in range(start, min(total, start + 1000)):
            journal.create_run("hook", status="queued", inputs={"n": n})
        journal.sync()
    started = time.perf_counter()
    for _ in range(claims):
        assert len(journal.claim(4, limits={"hook": 0})) == 4
    took = (time.perf_counter() - started) / claims
    journal.close()
    return took


def claims_report(folder: Path, rounds: int) -> None:
    sizes = (1000, 10_000, 40_000)
    claim_cost(folder, 100, claims=20)  # warm-up: statements prepared, pages cached
    samples: dict[int, list[float]] = {n: [] for n in sizes}
    for _ in range(rounds):
        for n in sizes:
            samples[n].append(claim_cost(folder, n))
    floor = statistics.median(samples[sizes[0]])
    print(f"claim of 4 runs with N queued; medians of {rounds} rounds")
    for n in sizes:
        med = statistics.median(samples[n])
        print(f"  {n:>6} queued  {med * 1000:7.3f} ms   ratio {med / floor:.2f}")
    print("  goal: flat (ratio ~1.0 at 40k)")
    ratio = statistics.median(samples[sizes[-1]]) / floor
    record(f"claim at {sizes[-1]:,} queued vs at {sizes[0]:,}", ratio, 1.5)  # flat


KEYS: dict[str, Callable[[int], str | None]] = {
    "no delivery id": lambda _n: None,
    "ids in order (d-N)": lambda n: f"d-{n}",
    "random ids (UUID v4)": lambda _n: str(uuid.uuid4()),
}


async def intake_cost(path: Path, name: str, total: int = 20_000, batch: int = 50) -> float:
    """Process CPU seconds per delivery over the second half of ``total`` admitted (the
    ids are made before the clock starts: only the journal's work is timed)."""
    journal = Journal(path)
    ids = [KEYS[name](n) for n in range(total)]
    used = 0.0
    for start in range(0, total, batch):
        began = time.process_time()
        await asyncio.gather(
            *(
                journal.admit("hook", {"n": n}, {}, "serve", ids[n])
                for n in range(start, start + batch)
            )
        )
        if start >= total // 2:
            used += time.process_time() - began
    journal.close()
    return used / (total - total // 2)


async def intake_report(folder: Path, rounds: int) -> None:
    samples: dict[str, list[float]] = {name: [] for name in KEYS}
    names = list(KEYS)
    for round_no in range(rounds):  # interleaved: each round starts with another case
        turn = round_no % len(names)
        for index, name in enumerate(names[turn:] + names[:turn]):
            path = folder / f"intake-{round_no}-{index}.db"
            samples[name].append(await intake_cost(path, name))
    floor = samples["no delivery id"]
    print(f"serve's intake into the journal, 20k deliveries; CPU per delivery, {rounds} rounds")
    for name, values in samples.items():
        found = [a / b for a, b in zip(values, floor, strict=True)]
        print(
            f"  {name:<22} {statistics.median(values) * 1e6:6.1f} us   ratio"
            f" {statistics.median(found):.2f} (min {min(found):.2f}, max {max(found):.2f})"
        )
        if name != "no delivery id":
            record(
                f"intake CPU, {name} vs no id",
                statistics.median(found),
                1.5 if "order" in name else None,
                spread=(min(found), max(found)),
            )
    print("  goal: ids in order <= 1.5x no id (the key appends); random ids: as a hash did")


async def main(sizes: list[int], rounds: int) -> None:
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        (folder / "ws.toml").write_text(WORKSPACE)
        samples: dict[int, list[dict[str, float]]] = {n: [] for n in sizes}
        for _ in range(rounds):  # interleaved: drift hits every size alike
            for n in sizes:
                samples[n].append(await one(folder, n))
    print(f"foreach over N items (~130 B each), 3 steps per item; medians of {rounds} rounds")
    print(
        f"  {'N':>6} {'input':>9} {'stored':>11} {'file':>11} {'run s':>7} {'read s':>7}"
        f"  growth per doubling (stored, file, run, read)"
    )
    previous: dict[str, float] | None = None
    for n in sizes:
        med = {key: statistics.median(s[key] for s in samples[n]) for key in samples[n][0]}
        growth = ""
        if previous is not None:
            growth = "  " + ", ".join(
                f"{med[key] / previous[key]:.2f}" for key in ("stored", "file", "run", "read")
            )
        print(
            f"  {n:>6} {med['input']:>9.0f} {med['stored']:>11.0f} {med['file']:>11.0f}"
            f" {med['run']:>7.3f} {med['read']:>7.3f}{growth}"
        )
        if previous is not None and n == sizes[-1]:
            growth_stored = med["stored"] / previous["stored"]
            record("stored bytes, growth per doubling of a foreach", growth_stored, 2.5)
        previous = med
    print("  goal: growth ~2.0 per doubling (linear); quadratic would be ~4.0")
    with tempfile.TemporaryDirectory() as temp:
        claims_report(Path(temp), rounds)
    with tempfile.TemporaryDirectory() as temp:
        await intake_report(Path(temp), rounds)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 4000, 8000])
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    asyncio.run(main(options.sizes, options.rounds))
