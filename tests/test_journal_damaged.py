"""A journal row changed outside runbench (or by a damaged disk) on both backends.

A run whose stored inputs, context, overrides or step values do not decode used to
raise a bare JSON error out of the claim: serve's dispatcher died (nothing ran any more)
or, on PostgreSQL, the run went back to the queue's head and failed every claim after.
Now the claim ends that run as failed, naming the column, the run and the journal, and
hands out the others; `runs`, `runs show` and `resume` say what is damaged (exit 2 for
resume), never a traceback. Rows are damaged by hand, on another connection.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from runbench.cli.main import main
from runbench.core.errors import DamagedRowError
from runbench.core.journal import Claim, Journal, open_journal
from runbench.serve.workers import WorkerPool

RESUMED = ("serve",)
WORKSPACE = """
[runbooks.r]
start = "done"
[runbooks.r.steps.done]
kind = "end"
message = "done"
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "runs.db")
    return str(request.getfixturevalue("postgres_dsn"))


@pytest.fixture
def journal(location: str, tmp_path: Path) -> Iterator[Journal]:
    opened = open_journal(location, tmp_path / "ws.toml")
    yield opened
    opened.close()


def execute(location: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """A statement on another connection, committed (``?`` markers)."""
    if location.startswith("postgresql://"):
        with psycopg.connect(location, autocommit=True) as conn:
            cursor = conn.execute(sql.replace("?", "%s"), params)
            return list(cursor.fetchall()) if cursor.description else []
    with sqlite3.connect(location) as db:
        return list(db.execute(sql, params).fetchall())


def status(location: str, run_id: str) -> tuple[str, str | None]:
    [(found, error)] = execute(location, "SELECT status, error FROM runs WHERE id = ?", (run_id,))
    return found, error


def queued_pair(journal: Journal, location: str, column: str, text: str) -> tuple[str, str]:
    """A damaged run queued first, a good one after it."""
    bad, _ = journal.enqueue("r", {"n": 1})
    good, _ = journal.enqueue("r", {"n": 2})
    assert bad is not None
    assert good is not None
    execute(location, f"UPDATE runs SET {column} = ? WHERE id = ?", (text, bad))
    return bad, good


@pytest.mark.parametrize(
    ("column", "text", "said"),
    [
        ("inputs", "{", "inputs do not decode as JSON"),
        ("context", '{"a": ', "context do not decode as JSON"),
        ("overrides", "[1, 2]", "overrides are not a JSON object (a list)"),
    ],
)
def test_a_claim_ends_a_damaged_run_as_failed_and_hands_out_the_rest(
    journal: Journal, location: str, column: str, text: str, said: str
) -> None:
    bad, good = queued_pair(journal, location, column, text)
    claims = journal.claim(5, resume=RESUMED)
    assert [claim.row.id for claim in claims] == [good]
    found, error = status(location, bad)
    assert found == "failure"
    assert error is not None
    assert f"run {bad} is damaged" in error
    assert said in error
    assert journal.where in error  # where: the journal (a URL without its password)
    assert "start a new run" in error  # what to do
    assert journal.claim(5, resume=RESUMED) == []  # it never blocks the queue again


def test_the_long_way_and_a_limited_claim_end_it_too(journal: Journal, location: str) -> None:
    """Claims without resumes, and with max_concurrent (one run held at a time)."""
    bad, good = queued_pair(journal, location, "inputs", "{")
    assert [row.id for row in journal.claim_queued(1)] == [good]  # took again for the slot
    assert status(location, bad)[0] == "failure"
    bad2, good2 = queued_pair(journal, location, "inputs", "not json")
    claims = journal.claim(3, limits={"r": 5})
    assert [claim.row.id for claim in claims] == [good2]
    assert status(location, bad2)[0] == "failure"


def test_a_take_of_damaged_runs_takes_again_for_the_slots_left(
    journal: Journal, location: str
) -> None:
    """Two workers free, the two oldest damaged: the claim still fills both slots."""
    first, second = queued_pair(journal, location, "inputs", "{")
    execute(location, "UPDATE runs SET inputs = '[' WHERE id = ?", (second,))
    good = [journal.enqueue("r", {"n": n})[0] for n in range(3)]
    claims = journal.claim(2, resume=RESUMED)
    assert [claim.row.id for claim in claims] == good[:2]


def test_an_interrupted_damaged_run_is_given_up_by_claims_and_resume(
    journal: Journal, location: str
) -> None:
    """Its inputs, or one of its step rows: either way it cannot go on."""
    runs = [journal.create_run("r", trigger="serve", inputs={"n": n}) for n in range(3)]
    for run_id in runs:
        journal.start_step(run_id, 1, "done", "end", {"n": 1}, {})
    journal.sync()
    execute(location, "UPDATE runs SET inputs = '{' WHERE id = ?", (runs[0],))
    execute(location, "UPDATE steps SET vars = '{\"n\":' WHERE run_id = ?", (runs[1],))
    for run_id in runs:
        journal.release(run_id, "interrupted: stopped")
    claims = journal.claim(5, resume=RESUMED)
    assert [claim.row.id for claim in claims] == [runs[2]]
    assert claims[0].resume is not None
    for run_id, said in ((runs[0], "inputs do not decode"), (runs[1], "step 1 (done)")):
        found, error = status(location, run_id)
        assert found == "failure"
        assert error is not None
        assert said in error
    with pytest.raises(DamagedRowError, match="step 1 .done.: its stored variables"):
        journal.steps(runs[1])
    assert journal.problem is None  # one damaged row: the journal itself is well (health)


def test_resume_of_a_damaged_run_says_so_and_ends_it(journal: Journal, location: str) -> None:
    run_id = journal.create_run("r", trigger="cli", inputs={"n": 1})
    journal.sync()
    execute(location, "UPDATE runs SET context = '{' WHERE id = ?", (run_id,))
    journal.release(run_id, "interrupted: stopped")
    with pytest.raises(DamagedRowError, match="context do not decode"):
        journal.begin_resume(run_id)
    assert status(location, run_id)[0] == "failure"
    assert journal.problem is None


def test_runs_runs_show_and_resume_on_the_command_line(
    location: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = tmp_path / "ws.toml"
    workspace.write_text(WORKSPACE)
    opened = open_journal(location, workspace)
    try:
        run_id = opened.create_run("r", trigger="cli", inputs={"n": 1})
        opened.start_step(run_id, 1, "done", "end", {"n": 1}, {})
        opened.add_exchange(run_id, 1, "done", 1, {"request": {"method": "GET"}})
        opened.sync()
        opened.release(run_id, "interrupted: stopped")
    finally:
        opened.close()
    execute(location, "UPDATE runs SET inputs = '{' WHERE id = ?", (run_id,))
    execute(location, "UPDATE exchanges SET request = '{' WHERE run_id = ?", (run_id,))
    journal_option = ["--journal", location]
    assert main(["runs", str(workspace), *journal_option]) == 0
    out, err = capsys.readouterr()
    assert run_id in out
    assert f"run {run_id} is damaged: its stored inputs do not decode" in err
    assert main(["runs", str(workspace), run_id, *journal_option]) == 0
    out, err = capsys.readouterr()
    assert "damaged: run" in out
    assert "its stored request" in out  # the exchange's damage too; its steps are shown
    assert "done" in out
    assert main(["resume", str(workspace), run_id, *journal_option]) == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert f"run {run_id} is damaged" in err
    assert status(location, run_id)[0] == "failure"


class Recorder:
    """Executes nothing: notes which runs it was given."""

    def __init__(self, want: int) -> None:
        self.seen: list[str] = []
        self.want = want
        self.done = asyncio.Event()

    async def execute(self, claim: Claim) -> Any:
        self.seen.append(claim.row.id)
        if len(self.seen) >= self.want:
            self.done.set()
        return None


async def test_serve_dispatcher_goes_on_past_a_damaged_run(journal: Journal, location: str) -> None:
    bad, good = queued_pair(journal, location, "inputs", "{")
    recorder = Recorder(want=1)
    lines: list[str] = []
    pool = WorkerPool(journal, recorder, workers=1, log=lines.append, poll=3600.0)
    await pool.start()
    try:
        await asyncio.wait_for(recorder.done.wait(), 60)
        later, _ = journal.enqueue("r", {"n": 3})
        recorder.want = 2
        recorder.done.clear()
        pool.notify()
        await asyncio.wait_for(recorder.done.wait(), 60)
    finally:
        await pool.stop()
    assert recorder.seen == [good, later]
    assert status(location, bad)[0] == "failure"
    assert pool.healthy


async def test_the_dispatcher_logs_an_unexpected_failure_and_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A claim that raises what no journal raises (a bug), once: one log line, and the
    dispatcher claims again after a pause."""
    journal = Journal(tmp_path / "runs.db")
    real = journal.claim
    calls: list[int] = []

    def claim(*args: Any, **kwargs: Any) -> list[Claim]:
        calls.append(1)
        if len(calls) == 1:
            raise KeyError("a bug")
        return real(*args, **kwargs)

    monkeypatch.setattr(journal, "claim", claim)
    good, _ = journal.enqueue("r", {})
    recorder = Recorder(want=1)
    lines: list[str] = []
    pool = WorkerPool(journal, recorder, workers=1, log=lines.append, poll=3600.0)
    await pool.start()
    try:
        await asyncio.wait_for(recorder.done.wait(), 60)
    finally:
        await pool.stop()
        journal.close()
    assert recorder.seen == [good]
    assert any("claiming runs failed unexpectedly (KeyError" in line for line in lines), lines
