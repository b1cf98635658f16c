"""Exchange records are deferred past the step barriers (SQLite): a step's start commits
without the previous attempts' request/response records (resume does not read them),
which go to the journal's thread once DEFERRED_MAX wait, with any hand-over, with a
wait for everything (a run's end) or after DEFERRED_AGE seconds; close() commits them.
What is committed is looked at through a connection of its own (a read through the
journal would hand them over)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from runbench.core.journal import DEFERRED_AGE, DEFERRED_BYTES, DEFERRED_MAX, Journal
from test_engine_support import engine, workspace
from test_journal_now import THREE_STEPS

EXCHANGE = {"request": {"method": "GET"}, "response": {"status": 200}, "elapsed_ms": 1.0}


def committed_rows(path: Path, run_id: str) -> tuple[list[int], list[int]]:
    """The step seqs and the exchanges' step seqs committed for ``run_id``."""
    with sqlite3.connect(path) as db:
        steps = [r[0] for r in db.execute("SELECT seq FROM steps WHERE run_id=?", (run_id,))]
        exchanges = [
            r[0] for r in db.execute("SELECT step_seq FROM exchanges WHERE run_id=?", (run_id,))
        ]
    return sorted(steps), sorted(exchanges)


async def step_with_an_exchange(journal: Journal, run_id: str, seq: int) -> None:
    await journal.begin_step(run_id, seq, f"s{seq}", "method", {}, {})
    journal.add_exchange(run_id, seq, f"s{seq}", 1, EXCHANGE, deferred=True)


async def test_a_step_barrier_commits_without_the_exchanges_and_the_runs_end_with_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "runs.db"
    journal = Journal(path)
    try:
        run_id = journal.create_run("r", later=True)
        await step_with_an_exchange(journal, run_id, 1)
        await step_with_an_exchange(journal, run_id, 2)
        assert committed_rows(path, run_id) == ([1, 2], [])  # the barrier left them waiting
        assert journal.held_writes == 2
        journal.finish_run(run_id, "success", None, "", later=True)
        await journal.committed(run_id)
        assert committed_rows(path, run_id) == ([1, 2], [1, 2])
        assert journal.held_writes == 0
    finally:
        journal.close()


async def test_deferred_max_exchanges_go_to_the_thread_at_a_barrier(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    journal = Journal(path)
    try:
        run_id = journal.create_run("r", later=True)
        for seq in range(1, DEFERRED_MAX + 1):
            await step_with_an_exchange(journal, run_id, seq)
        assert journal.held_writes == DEFERRED_MAX
        await journal.begin_step(run_id, DEFERRED_MAX + 1, "last", "method", {}, {})
        assert journal.held_writes == 0  # handed to the journal's thread
        journal.sync(run_id)  # its queue, in order: the handed-over writes are done
        steps, exchanges = committed_rows(path, run_id)
        assert exchanges == list(range(1, DEFERRED_MAX + 1))
        assert steps == list(range(1, DEFERRED_MAX + 2))
    finally:
        journal.close()


async def test_big_bodies_go_to_the_thread_at_the_next_barrier_however_few(
    tmp_path: Path,
) -> None:
    """Deferred exchanges keep their bodies in memory: past DEFERRED_BYTES they go at the
    next barrier, before DEFERRED_MAX of them wait (16 answers as big as the read cap
    allows were held with nothing to stop them)."""
    path = tmp_path / "runs.db"
    journal = Journal(path)
    try:
        run_id = journal.create_run("r", later=True)
        await journal.begin_step(run_id, 1, "s1", "method", {}, {})
        journal.add_exchange(run_id, 1, "s1", 1, EXCHANGE, deferred=True, size=DEFERRED_BYTES // 2)
        await journal.begin_step(run_id, 2, "s2", "method", {}, {})
        assert journal.held_writes == 1  # small enough to wait
        journal.add_exchange(run_id, 2, "s2", 1, EXCHANGE, deferred=True, size=DEFERRED_BYTES // 2)
        await journal.begin_step(run_id, 3, "s3", "method", {}, {})
        assert journal.held_writes == 0  # two, well under DEFERRED_MAX, but too big to hold
        journal.sync(run_id)
        assert committed_rows(path, run_id) == ([1, 2, 3], [1, 2])
    finally:
        journal.close()


async def test_an_exchange_waits_at_most_about_deferred_age_while_the_run_waits(
    tmp_path: Path,
) -> None:
    path = tmp_path / "runs.db"
    journal = Journal(path)
    try:
        run_id = journal.create_run("r", later=True)
        await step_with_an_exchange(journal, run_id, 1)
        await journal.begin_step(run_id, 2, "slow", "sleep", {}, {})
        give_up = time.monotonic() + DEFERRED_AGE + 30  # a generous deadline, not a timing
        while committed_rows(path, run_id)[1] != [1]:
            assert time.monotonic() < give_up, "the deferred exchange was never written"
            await asyncio.sleep(0.05)
        assert journal.held_writes == 0
    finally:
        journal.close()


async def test_close_commits_deferred_exchanges(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    journal = Journal(path)
    run_id = journal.create_run("r", later=True)
    await step_with_an_exchange(journal, run_id, 1)
    await journal.begin_step(run_id, 2, "b", "method", {}, {})
    journal.close()
    assert committed_rows(path, run_id) == ([1, 2], [1])


async def test_every_exchange_of_an_engine_run_is_committed_when_it_returns(
    tmp_path: Path,
) -> None:
    path = tmp_path / "runs.db"
    journal = Journal(path)
    try:
        result = await engine(workspace(tmp_path, THREE_STEPS), journal=journal).run("three")
        assert result.status == "success"
        assert committed_rows(path, result.run_id) == ([1, 2, 3, 4], [1, 2, 3])
    finally:
        journal.close()
