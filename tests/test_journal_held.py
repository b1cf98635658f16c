"""Writes the engine hands over "later": a step's exchanges and end go to the journal's
thread with the next step's start (one wake-up of that thread per step), and nothing is
lost or reordered on the way: reads see them, close commits them, a retry's back-off
does not wait with an attempt unrecorded, and a run's rows are all there at its end.
(On SQLite the exchanges wait longer, past the next start: see test_journal_deferred.)"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from runbench.core.journal import Journal, SqliteBackend
from test_engine_guards import retry_ws
from test_engine_support import Api, FakeTime, engine, workspace
from test_journal_now import journal_over

EXCHANGE = {"request": {"method": "GET"}, "response": {"status": 200}, "elapsed_ms": 1.0}


def test_a_later_write_waits_then_goes_before_the_next_read(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "runs.db")
    try:
        run_id = journal.create_run("r")
        journal.start_step(run_id, 1, "a", "method", {}, {})
        journal.add_exchange(run_id, 1, "a", 1, EXCHANGE, deferred=True)
        assert journal.held_writes == 1
        assert [row.attempt for row in journal.exchanges(run_id)] == [1]
        assert journal.held_writes == 0
    finally:
        journal.close()


def test_close_commits_later_writes(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "runs.db")
    run_id = journal.create_run("r")
    journal.start_step(run_id, 1, "a", "method", {}, {})
    journal.finish_step(
        run_id, 1, edge="next", target="b", duration_ms=1.0, outputs={}, error=None, later=True
    )
    journal.close()
    reopened = Journal(tmp_path / "runs.db")
    try:
        [step] = reopened.steps(run_id)
        assert (step.edge, step.target) == ("next", "b")
    finally:
        reopened.close()


async def test_a_retry_back_off_waits_with_every_attempt_handed_over(tmp_path: Path) -> None:
    ws = retry_ws(tmp_path, '{ attempts = 3, backoff = "fixed", delay = 1 }')
    api = Api()
    api.script("/slow", httpx.Response(503), httpx.Response(503), httpx.Response(200, json={}))
    journal = Journal(tmp_path / "runs.db")
    held_at_sleep: list[int] = []

    class Watching(FakeTime):
        async def sleep(self, seconds: float) -> None:
            held_at_sleep.append(journal.held_writes)
            await super().sleep(seconds)

    try:
        result = await engine(ws, api, journal=journal, time=Watching()).run("r")
        assert result.status == "success"
        assert held_at_sleep == [0, 0]
        assert [row.attempt for row in journal.exchanges(result.run_id)] == [1, 2, 3]
    finally:
        journal.close()


async def test_every_row_of_a_run_is_there_when_it_ends(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.three]
        start = "a"
        [runbooks.three.steps.a]
        kind = "method"
        method = "api.get_user"
        args = { user_id = 1 }
        on_success = "b"
        [runbooks.three.steps.b]
        kind = "method"
        method = "api.get_user"
        args = { user_id = 2 }
        on_success = "done"
        [runbooks.three.steps.done]
        kind = "end"
        """,
    )
    journal = Journal(tmp_path / "runs.db")
    try:
        result = await engine(ws, journal=journal).run("three")
        assert journal.held_writes == 0
        steps = journal.steps(result.run_id)
        assert [(s.step, s.target) for s in steps] == [("a", "b"), ("b", "done"), ("done", None)]
        assert len(journal.exchanges(result.run_id)) == 2
    finally:
        journal.close()


async def test_an_end_step_does_not_wait_for_a_commit_but_the_run_ends_committed(
    tmp_path: Path,
) -> None:
    """The run's end is waited for right after an ``end`` step, so its start is not: one
    trip to the journal's thread less per run. Steps with effects still wait."""
    ws = workspace(
        tmp_path,
        """
        [runbooks.two]
        start = "a"
        [runbooks.two.steps.a]
        kind = "method"
        method = "api.get_user"
        args = { user_id = 1 }
        on_success = "done"
        [runbooks.two.steps.done]
        kind = "end"
        """,
    )
    journal = Journal(tmp_path / "runs.db")
    waited: list[str] = []
    begin_step = journal.begin_step

    async def counting(run_id: str, seq: int, step: str, *args: Any, **kwargs: Any) -> None:
        waited.append(step)
        await begin_step(run_id, seq, step, *args, **kwargs)

    journal.begin_step = counting  # type: ignore[method-assign]
    try:
        result = await engine(ws, journal=journal).run("two")
        assert result.status == "success"
        assert waited == ["a"]
        assert journal.held_writes == 0
        reopened = Journal.for_reading(tmp_path / "runs.db")
        try:
            run = reopened.run(result.run_id)
            assert run is not None
            assert run.status == "success"
            steps = reopened.steps(result.run_id)
            assert [(s.step, s.finished) for s in steps] == [("a", True), ("done", True)]
        finally:
            reopened.close()
    finally:
        journal.close()


LEFT_TO_RERUN = """
SELECT runs.id, steps.step FROM runs JOIN steps ON steps.run_id = runs.id
WHERE runs.status IN ('running', 'paused') AND steps.finished = 1 AND steps.target IS NULL
  AND steps.seq = (SELECT max(seq) FROM steps AS later WHERE later.run_id = runs.id)
"""
"""Runs a crash right now would leave for resume to re-run their finished last step."""


class EveryCommitChecked(SqliteBackend):
    """SQLite that looks, after every commit, for what a kill -9 there would leave."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.commits = 0
        self.left_to_rerun: list[tuple[str, str]] = []

    def commit(self) -> None:
        super().commit()
        self.commits += 1
        self.left_to_rerun += self.db.execute(LEFT_TO_RERUN).fetchall()


async def test_the_step_that_ends_a_run_commits_with_the_runs_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Committed apart, a kill -9 between the two would leave a running run whose last
    step is finished with nowhere to go, and resume would run that step again: an end
    step twice, or a failed call's side effect. Here every write is its own commit (the
    journal's thread may split a batch anywhere) and several runs share the thread."""
    monkeypatch.setattr("runbench.core.journal._thread.MAX_BATCH", 1)
    ws = workspace(
        tmp_path,
        """
        [runbooks.ends]
        start = "wait"
        [runbooks.ends.steps.wait]
        kind = "method"
        method = "api.slow"
        on_success = "done"
        [runbooks.ends.steps.done]
        kind = "end"
        [runbooks.fails]
        start = "wait"
        [runbooks.fails.steps.wait]
        kind = "method"
        method = "api.slow"
        on_success = "call"
        [runbooks.fails.steps.call]
        kind = "method"
        method = "api.status"
        args = { code = 500 }
        on_success = "done"
        [runbooks.fails.steps.done]
        kind = "end"
        """,
    )
    path = tmp_path / "runs.db"
    journal, opened = journal_over(path, lambda: EveryCommitChecked(path))
    api = Api(gate=asyncio.Event())
    eng = engine(ws, api, journal=journal)
    try:
        handles = [eng.start(name) for name in ("ends", "fails") * 3]
        while api.paths().count("/slow") < len(handles):  # all of them at once from here
            await asyncio.sleep(0)
        api.release()
        results = [await handle.result() for handle in handles]
        assert [r.status for r in results] == ["success", "failure"] * 3
        assert opened[0].commits > 6  # the writes really were committed one by one
        assert opened[0].left_to_rerun == []
        for result in results:
            last = journal.steps(result.run_id)[-1]
            assert (last.finished, last.target) == (True, None)
    finally:
        journal.close()
