"""Many `serve` instances on one PostgreSQL journal, against one on SQLite.

1, 2 and 4 `runbench serve` processes share a PostgreSQL journal (a throwaway cluster
from tests/postgres.py); wrk floods them with signed POSTs at 50 connections in all
(split evenly, one wrk per instance). Printed as ratios: accepted/s (202 answers) and
completed runs/s (runs finished / time to the last one) of each case to one PostgreSQL
instance and to one SQLite instance, measured in the same run, the cases interleaved
round by round. wrk's CPU is printed too: the load generator must not be the limit.

Completed runs/s is counted from the journal's own finish times (runs / (last finish -
flood start)), so the look for the end can be rare (every 0.2 s: a count over every run
every 20 ms cost the server more than a second of CPU per case, on the one PostgreSQL
the instances need). CPU per completed run is printed beside it (the instances' own with their worker
processes, and
with the PostgreSQL server's: its postmaster's children), as ratios to SQLite x1: on a
busy machine those hold where runs/s does not.

Every case starts from the same server: a checkpoint first, and a PostgreSQL case's
database is dropped once it is counted (left, autovacuum would work through it during a
later case). Each round's cases are printed too, with the tail of their finish times
(99th percentile to the last run): one case far below its round's others, with a long
tail, is a stall of a few runs; with a short one, a slow case.

Then the crash check: two instances under the flood, one killed with SIGKILL half way.
Every run the journal accepted must finish exactly once (one `done` step each), none
may be lost: counted from the journal and from wrk's 202s.

Needs PostgreSQL's server binaries and wrk (both on CI's machine); prints why and exits
0 without them. ``python benchmarks/bench_scale.py [ROUNDS] [SECONDS]``.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import psycopg  # noqa: E402
from results import record, skipped  # noqa: E402

from postgres import Cluster, binaries, start_cluster  # noqa: E402
from scale_support import (  # noqa: E402
    Instance,
    server_cpu,
    signed,
    start_instance,
    tree_cpu,
    write_workspace,
)

CONNECTIONS = 50
WORKERS = 8
CASES = (("sqlite", 1), ("postgresql", 1), ("postgresql", 2), ("postgresql", 4))


@dataclass
class Flood:
    requests: int
    accepted: int
    errors: int
    cpu: float  # seconds of wrk's CPU


@dataclass
class Outcome:
    accepted_per_s: float
    completed_per_s: float
    wrk_cpu_share: float
    serve_cpu_per_run: float  # seconds of the serve processes' CPU
    server_cpu_per_run: float  # seconds of the PostgreSQL server's CPU (0 for SQLite)
    runs: int = 0
    tail: float = 0.0  # seconds from the 99th percentile's finish to the last one
    vacuums: int = 0  # autovacuums and autoanalyzes of the case's runs table (PostgreSQL)
    load: float = 0.0  # the 1-minute load average as the case ended


def wrk_script(folder: Path) -> Path:
    body, headers = signed(1)
    lines = ['wrk.method = "POST"', f"wrk.body = '{body.decode()}'"]
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    path = folder / "signed.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


def flood(
    urls: list[str],
    seconds: float,
    script: Path,
    kill: tuple[Instance, float, Callable[[bool], None]] | None = None,
) -> Flood:
    """wrk against every url at once (CONNECTIONS split evenly); optionally SIGKILL an
    instance after some seconds (calling the third item with True just before, with
    False just after)."""
    per = max(1, CONNECTIONS // len(urls))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    procs = [
        subprocess.Popen(
            [
                "wrk",
                "-t1",
                f"-c{per}",
                f"-d{seconds:g}s",
                "--timeout",
                "10s",
                "-s",
                str(script),
                f"{url}/runbooks/hit",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for url in urls
    ]
    if kill is not None:
        time.sleep(kill[1])
        kill[2](True)
        kill[0].kill()
        kill[2](False)
    outputs = [p.communicate()[0] for p in procs]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    requests = accepted = errors = 0
    for text in outputs:
        found = re.search(r"(\d+) requests in", text)
        if found is None:
            raise SystemExit(f"wrk failed:\n{text}")
        done = int(found.group(1))
        bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
        failed = re.search(
            r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
        )
        requests += done
        accepted += done - (int(bad.group(1)) if bad else 0)
        errors += sum(int(n) for n in failed.groups()) if failed else 0
    return Flood(requests, accepted, errors, cpu)


def finished_at(
    dsn_or_db: str, expected: int, timeout: float = 300, only: list[str] | None = None
) -> float:
    """Wait until the journal has no run left to do (of ``only``, if given); when."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if only is not None:
            if _all_final(dsn_or_db, only):
                return time.monotonic()
        else:
            pending, total = _counts(dsn_or_db)
            if pending == 0 and total >= expected:
                return time.monotonic()
        time.sleep(0.02)
    raise SystemExit(f"runs did not finish within {timeout} s ({_counts(dsn_or_db)})")


BUSY = (
    "SELECT EXISTS (SELECT 1 FROM runs WHERE status = 'queued' AND parent_id IS NULL"
    " AND owner IS NULL) OR EXISTS (SELECT 1 FROM runs WHERE owner IS NOT NULL)"
)
"""Whether a run waits in the queue or is held: two index probes (the queue's and the
owners' indexes, on both backends), where counting every run scans the table."""


def last_finish(location: str, expected: int, timeout: float = 300) -> float:
    """Wait (looking every 0.2 s) until no run is left to do; the latest finish time the
    journal holds (the instances' clock: time.time()).

    Each look is ``BUSY``; only once it finds nothing queued or held does a count of
    every run confirm it. A count per look cost the PostgreSQL server ~6 ms at 9k runs,
    a tenth of its CPU per run in a case (pg_stat_statements), and SQLite's the same scan
    in this process: the measurement slowed what it measured, the longer the backlog."""
    deadline = time.monotonic() + timeout
    sql = (
        "SELECT count(*) FILTER (WHERE status NOT IN ('success','failure')), count(*),"
        " max(finished) FROM runs"
    )
    while time.monotonic() < deadline:
        if not _query(location, BUSY)[0]:
            pending, total, last = _query(location, sql)
            if pending == 0 and total >= expected and last is not None:
                return float(last)
        time.sleep(0.2)
    raise SystemExit(f"runs did not finish within {timeout} s ({_counts(location)})")


def _query(location: str, sql: str) -> tuple[Any, ...]:
    """The one row of an aggregate."""
    return _rows(location, sql)[0]


def _all_final(dsn: str, ids: list[str]) -> bool:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT count(*) FROM runs WHERE id = ANY(%s) AND status IN ('success', 'failure')",
            (ids,),
        ).fetchone()
    return row is not None and row[0] == len(ids)


def held_by(dsn: str, instance: Instance) -> list[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT id FROM runs WHERE status = 'running' AND owner LIKE %s",
            (f"%|{instance.pid}|%",),
        ).fetchall()
    return [str(row[0]) for row in rows]


def _counts(location: str) -> tuple[int, int]:
    sql = "SELECT count(*) FILTER (WHERE status NOT IN ('success','failure')), count(*) FROM runs"
    pending, total = _query(location, sql)
    return int(pending), int(total)


def quiet_server(cluster: Cluster) -> None:
    """Before every case (SQLite's too: the server shares the cores): a checkpoint now,
    so no case pays for the dirty pages of the cases before it."""
    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def drop_case(cluster: Cluster, location: str) -> None:
    """A PostgreSQL case's database goes when the case is counted: left, its tables are
    vacuumed and analyzed by the server's autovacuum during the cases after it (a minute
    later), work that no SQLite case has and that would count as the next case's."""
    name = location.rsplit("/", 1)[1]
    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def tail_and_vacuums(location: str) -> tuple[float, int]:
    """Seconds from the 99th percentile's finish to the last (a stall of a few runs shows
    here), and how often autovacuum visited the runs table during the case."""
    finishes = [
        row[0]
        for row in _rows(
            location, "SELECT finished FROM runs WHERE finished IS NOT NULL ORDER BY finished"
        )
    ]
    tail = finishes[-1] - finishes[int(len(finishes) * 0.99)] if finishes else 0.0
    vacuums = 0
    if location.startswith("postgresql://"):
        vacuums = int(
            _query(
                location,
                "SELECT coalesce(sum(autovacuum_count + autoanalyze_count), 0)"
                " FROM pg_stat_user_tables WHERE relname = 'runs'",
            )[0]
        )
    return float(tail), vacuums


def _rows(location: str, sql: str) -> list[tuple[Any, ...]]:
    if location.startswith("postgresql://"):
        with psycopg.connect(location) as conn:
            return [tuple(row) for row in conn.execute(sql).fetchall()]
    import sqlite3

    with contextlib.closing(sqlite3.connect(location)) as db:  # closed, not only committed
        return [tuple(row) for row in db.execute(sql).fetchall()]


def one_case(cluster: Cluster, kind: str, count: int, folder: Path, seconds: float) -> Outcome:
    workspace = write_workspace(folder, sleep=0)
    case_dir = Path(tempfile.mkdtemp(dir=folder))
    location = cluster.create_database() if kind == "postgresql" else str(case_dir / "runs.db")
    quiet_server(cluster)
    instances = [start_instance(workspace, location, workers=WORKERS) for _ in range(count)]
    try:
        cpu_before = sum(tree_cpu(i.pid) for i in instances)
        server_before = server_cpu(cluster) if kind == "postgresql" else 0.0
        started_at = time.time()
        start = time.monotonic()
        result = flood([i.url for i in instances], seconds, wrk_script(case_dir))
        flood_end = time.monotonic()
        done = last_finish(location, result.accepted)
        serve_cpu = sum(tree_cpu(i.pid) for i in instances) - cpu_before
        server = server_cpu(cluster) - server_before if kind == "postgresql" else 0.0
    finally:
        for instance in instances:
            instance.stop()
    runs = _counts(location)[1]
    tail, vacuums = tail_and_vacuums(location)
    if kind == "postgresql":
        drop_case(cluster, location)
    return Outcome(
        result.accepted / (flood_end - start),
        runs / (done - started_at),
        result.cpu / (flood_end - start),
        serve_cpu / runs,
        server / runs,
        runs,
        tail,
        vacuums,
        os.getloadavg()[0],
    )


DRAIN_FLOOR = 50.0
"""Runs per second the one surviving instance finishes at least (its worker is niced, on a
shared machine): the wait for the backlog grows with what the flood got accepted, since the
faster the intake, the longer one instance needs to run it all (once each)."""


def crash_check(cluster: Cluster, folder: Path, seconds: float) -> None:
    dsn = cluster.create_database()
    workspace = write_workspace(folder, sleep=0.05)
    lease = 5.0
    instances = [start_instance(workspace, dsn, workers=WORKERS, lease=lease) for _ in range(2)]
    doomed = instances[0]
    held: list[str] = []
    killed_at = [0.0]

    def around_kill(before: bool) -> None:
        """Before: wait until the doomed instance holds runs (so the kill interrupts
        some). After: note the runs it held when it died (before anyone sweeps them)."""
        if before:
            deadline = time.monotonic() + 10
            while not held_by(dsn, doomed) and time.monotonic() < deadline:
                continue
            return
        killed_at[0] = time.monotonic()
        held.extend(held_by(dsn, doomed))

    try:
        result = flood(
            [i.url for i in instances],
            seconds,
            wrk_script(folder),
            (doomed, seconds / 2, around_kill),
        )
        drain = max(300.0, result.accepted / DRAIN_FLOOR)
        recovered = finished_at(dsn, 0, timeout=drain, only=held)
        done = finished_at(dsn, 0, timeout=drain)
    finally:
        for instance in instances:
            instance.stop()
    with psycopg.connect(dsn) as conn:
        counts = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE status = 'success'),"
            " count(*) FILTER (WHERE crashes > 0) FROM runs"
        ).fetchone()
        ends = conn.execute(
            "SELECT count(*), count(DISTINCT run_id) FROM steps"
            " WHERE step = 'done' AND finished = 1 AND error IS NULL"
        ).fetchone()
    assert counts is not None  # aggregates always answer one row
    assert ends is not None
    runs, success, crashed = counts
    lost = max(0, result.accepted - runs)
    recovery = recovered - killed_at[0]
    print(
        f"kill -9 of 1 of 2 instances half way through a {seconds:g} s flood: "
        f"{result.accepted} answered 202, {runs} runs in the journal "
        f"({runs - result.accepted} committed but unanswered when the instance died)"
    )
    print(
        f"  finished: {success} of {runs} succeeded, {ends[0]} end steps for {ends[1]} runs "
        f"(duplicates: {ends[0] - ends[1]}), lost: {lost}"
    )
    print(
        f"  {len(held)} run(s) held by the killed instance ({crashed} counted a crash) "
        f"finished {recovery:.1f} s after the kill (lease {lease:g} s; same host, so its "
        f"death is seen at the next look, every lease/3); the backlog was done "
        f"{done - killed_at[0]:.1f} s after the kill"
    )
    ok = lost == 0 and success == runs and ends[0] == ends[1] == runs
    record("kill -9 under load: runs lost or run twice", lost + ends[0] - ends[1], 0, unit="runs")
    print(f"  every accepted run completed exactly once: {'yes' if ok else 'NO'}")
    if not ok:
        raise SystemExit(1)


def main() -> int:
    if binaries() is None or shutil.which("wrk") is None:
        print("PostgreSQL server binaries or wrk not found: skipping the scale benchmark")
        skipped("PostgreSQL server binaries or wrk not found")
        return 0
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    cluster = start_cluster()
    results: dict[tuple[str, int], list[Outcome]] = {case: [] for case in CASES}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            for round_ in range(rounds):
                order = CASES[round_ % len(CASES) :] + CASES[: round_ % len(CASES)]
                for kind, count in order:
                    results[(kind, count)].append(one_case(cluster, kind, count, folder, seconds))
            report(results, rounds, seconds)
            crash_check(cluster, folder, seconds)
    finally:
        cluster.stop()
    return 0


def report(results: dict[tuple[str, int], list[Outcome]], rounds: int, seconds: float) -> None:
    def med(case: tuple[str, int], field: str) -> float:
        return statistics.median(getattr(o, field) for o in results[case])

    def spread(case: tuple[str, int], field: str, base: float) -> str:
        values = [getattr(o, field) / base for o in results[case]]
        return f"{min(values):.2f}..{max(values):.2f}"

    sqlite, pg1 = ("sqlite", 1), ("postgresql", 1)
    print(
        f"serve under wrk ({CONNECTIONS} connections, signed POSTs, {seconds:g} s floods, "
        f"{WORKERS} workers per instance), median of {rounds} interleaved rounds"
    )
    print(
        f"  {'case':24s} {'accepted/s vs pg x1':>22s} {'vs sqlite':>10s}   "
        f"{'completed/s vs pg x1':>22s} {'vs sqlite':>10s}   wrk CPU"
    )
    for case in CASES:
        name = f"{case[0]} x{case[1]}"
        acc, comp = med(case, "accepted_per_s"), med(case, "completed_per_s")
        print(
            f"  {name:24s} {acc / med(pg1, 'accepted_per_s'):9.2f} ({spread(case, 'accepted_per_s', med(pg1, 'accepted_per_s'))}) "
            f"{acc / med(sqlite, 'accepted_per_s'):10.2f}   "
            f"{comp / med(pg1, 'completed_per_s'):9.2f} ({spread(case, 'completed_per_s', med(pg1, 'completed_per_s'))}) "
            f"{comp / med(sqlite, 'completed_per_s'):10.2f}   "
            f"{med(case, 'wrk_cpu_share') * 100:4.0f}% of a core"
        )
    print_rounds(results, rounds)
    print(f"  CPU per completed run, as a ratio to SQLite x1's serve CPU per run ({_uptime()}):")
    base = med(sqlite, "serve_cpu_per_run")
    for case in CASES:
        serve = med(case, "serve_cpu_per_run")
        both = serve + med(case, "server_cpu_per_run")
        print(
            f"  {case[0] + ' x' + str(case[1]):24s} serve {serve / base:5.2f}   "
            f"serve + PostgreSQL server {both / base:5.2f}   ({serve * 1e6:.0f} us + "
            f"{med(case, 'server_cpu_per_run') * 1e6:.0f} us)"
        )
    # The goals are medians of each round's own ratio: the two cases of a round ran
    # minutes apart at most, where the median of each case may come from different rounds
    # (a burst of other work in one case moves a ratio of medians far more).
    spread_goal = paired(results, pg1, sqlite)
    goal = statistics.median(spread_goal)
    of_medians = med(pg1, "completed_per_s") / med(sqlite, "completed_per_s")
    two = statistics.median(paired(results, ("postgresql", 2), pg1))
    cpu = base / med(pg1, "serve_cpu_per_run")
    record(
        "pg x1 vs sqlite x1, completed/s",
        goal,
        0.7,
        higher_is_better=True,
        spread=(min(spread_goal), max(spread_goal)),
    )
    record("pg x2 vs pg x1, completed/s", two, 0.95, higher_is_better=True)
    record(
        "pg x1 vs sqlite x1, runs per serve CPU second",
        cpu,
        None,
        higher_is_better=True,
        note="the bound where serve's process is the limit",
    )
    print(
        f"  goals (medians of each round's ratio): pg x1 >= 0.7 x sqlite completed/s: {goal:.2f} "
        f"({'met' if goal >= 0.7 else 'NOT met'}; rounds "
        f"{', '.join(f'{v:.2f}' for v in spread_goal)}; ratio of the medians {of_medians:.2f});"
        f" pg x2 not slower than x1: {two:.2f} "
        f"({'met' if two >= 0.95 else 'NOT met'}); runs per serve CPU second, pg x1 vs "
        f"sqlite x1: {cpu:.2f}"
    )


def paired(
    results: dict[tuple[str, int], list[Outcome]], case: tuple[str, int], base: tuple[str, int]
) -> list[float]:
    """Completed/s of ``case`` over ``base``'s, round by round."""
    return [
        p.completed_per_s / q.completed_per_s
        for p, q in zip(results[case], results[base], strict=True)
    ]


def print_rounds(results: dict[tuple[str, int], list[Outcome]], rounds: int) -> None:
    """Each round's cases, to tell a slow case from a slow round: completed/s as a ratio
    to SQLite x1 of the same round, runs, the finish tail (99th percentile to the last:
    a few runs stalled), the autovacuum visits of the case's own runs table, and the load
    as it ended: serve's worker runs at nice 10, so other work on the cores (load a few
    above ours) takes most of its CPU and slows that case alone, tail or no tail."""
    print("  per round: completed/s vs sqlite x1 of the round (runs, tail s, autovacuums, load)")
    for round_ in range(rounds):
        base = results[("sqlite", 1)][round_].completed_per_s
        cells = []
        for case in CASES:
            outcome = results[case][round_]
            cells.append(
                f"{case[0][:2]}x{case[1]} {outcome.completed_per_s / base:4.2f}"
                f" ({outcome.runs}, {outcome.tail:.1f}, {outcome.vacuums}, {outcome.load:.0f})"
            )
        print(f"    round {round_ + 1}: " + "  ".join(cells))


def _uptime() -> str:
    try:
        with open("/proc/loadavg", encoding="ascii") as loadavg:
            return "load average " + " ".join(loadavg.read().split()[:3])
    except OSError:
        return "load unknown"


if __name__ == "__main__":
    sys.exit(main())
