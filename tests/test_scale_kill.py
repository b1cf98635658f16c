"""kill -9 of one `serve` instance while deliveries keep coming: on a shared PostgreSQL
journal the other instance finishes every run the killed one had accepted or held, each
exactly once, and nothing accepted is lost (issue 18.2; benchmarks/bench_scale.py does
the same under a flood)."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

import httpx
import psycopg

from scale_support import Instance, signed, start_instance, write_workspace
from waits import wait_for

RUNS = 40
LEASE = 3.0


def held_by(dsn: str, instance: Instance) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT count(*) FROM runs WHERE status = 'running' AND owner LIKE %s",
            (f"%|{instance.pid}|%",),
        ).fetchone()
    return int(row[0]) if row else 0


def family(pid: int) -> list[int]:
    """``pid`` and its children (serve's worker process, which executes the runs)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):  # none without Linux's /proc
        try:
            children.extend(int(child) for child in task.read_text().split())
        except OSError:  # the thread ended between the listing and the read
            continue
    return [pid, *children]


def signal_all(pids: list[int], signum: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.kill(pid, signum)


def killed_holding_runs(dsn: str, instance: Instance) -> bool:
    """SIGKILL ``instance`` with its worker process if it holds runs, as a crashed machine.

    Both are stopped (SIGSTOP) before the journal is asked, so the runs seen held are still
    held when the kill lands: asking, then killing, raced a loaded machine (the held runs
    ended in between and the kill found nothing to take over). Not holding: both go on."""
    pids = family(instance.pid)
    signal_all(pids, signal.SIGSTOP)
    holding = False
    try:
        holding = held_by(dsn, instance) > 0
    finally:  # never left stopped, even if the journal could not be asked
        signal_all(pids, signal.SIGKILL if holding else signal.SIGCONT)
    if holding:
        instance.process.wait(10)
    return holding


def test_kill_9_loses_and_duplicates_nothing(postgres_dsn: str, tmp_path: Path) -> None:
    workspace = write_workspace(tmp_path, sleep=0.3)
    doomed = start_instance(workspace, postgres_dsn, workers=4, lease=LEASE)
    survivor = start_instance(workspace, postgres_dsn, workers=4, lease=LEASE)
    accepted: dict[str, int] = {}
    try:
        with httpx.Client(timeout=10) as http:
            for n in range(RUNS):
                target = doomed if n % 2 == 0 and doomed.process.poll() is None else survivor
                body, headers = signed(n)
                resp = http.post(f"{target.url}/runbooks/hit", content=body, headers=headers)
                assert resp.status_code == 202, resp.text
                accepted[resp.json()["run_id"]] = n
                if n >= RUNS // 2 and n % 2 == 0 and doomed.process.poll() is None:
                    wait_for(lambda: held_by(postgres_dsn, doomed) > 0, "a held run", 30)
                    killed_holding_runs(postgres_dsn, doomed)  # mid-flood (else at the next)
        assert doomed.process.poll() is not None, "the doomed instance never held a run"
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:

            def all_final() -> bool:
                row = conn.execute(
                    "SELECT count(*) FROM runs WHERE status NOT IN ('success', 'failure')"
                ).fetchone()
                return row is not None and row[0] == 0

            wait_for(all_final, "every run to finish", 60 + LEASE)
            runs = conn.execute("SELECT id, status, message, crashes FROM runs").fetchall()
            ends = conn.execute(
                "SELECT run_id, count(*) FROM steps WHERE step = 'done' AND finished = 1"
                " AND error IS NULL GROUP BY run_id"
            ).fetchall()
    finally:
        doomed.stop()
        survivor.stop()
    assert {run_id for run_id, *_ in runs} == set(accepted)  # none lost, none extra
    assert {status for _, status, _, _ in runs} == {"success"}
    assert all(message == f"hit {accepted[run_id]}" for run_id, _, message, _ in runs)
    assert dict(ends) == {run_id: 1 for run_id in accepted}  # each ended exactly once
    assert sum(crashes for *_, crashes in runs) >= 1  # the killed instance held some
