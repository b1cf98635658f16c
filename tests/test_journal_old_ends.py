"""Journals of an older runbench, killed between "last step finished" and "run finished".

That runbench wrote the step that ends a run and the run's end in two commits; a kill
between them left a running (later: interrupted) run whose last step finished with no
next step, and resume ran that step again: an end step twice, or a failed call's side
effect twice. Such journals are built by hand here: a run done today, then its end undone
in the database as the kill left it. Resume (a claim of serve, `runbench resume`) closes
the run as its last step ended it and runs nothing. A step that resume closed as
interrupted (its process died in it) is still run again: that is the one finished step
without a next step that is written apart from the run's end. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import psycopg
import pytest

from runbench.cli.main import main
from runbench.core.engine import Journal
from runbench.core.journal import INTERRUPTED_STEP, StepRow, open_journal
from runbench.core.journal import _history as history
from test_engine_support import Api, engine, workspace

RUNBOOKS = """
[runbooks.nofail]
start = "get"
[runbooks.nofail.steps.get]
kind = "method"
method = "api.status"
args = { code = 500 }
on_success = "done"
[runbooks.nofail.steps.done]
kind = "end"

[runbooks.good]
start = "get"
[runbooks.good.steps.get]
kind = "method"
method = "api.get_user"
args = { user_id = 5 }
on_success = "done"
[runbooks.good.steps.done]
kind = "end"
message = "hello <<UserName>>"

[runbooks.bad]
start = "done"
[runbooks.bad.steps.done]
kind = "end"
result = "failure"
message = "refused"
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "runs.db")
    return str(request.getfixturevalue("postgres_dsn"))


KILLED = (
    "UPDATE runs SET status='interrupted', error='interrupted: the process running it died', "
    "message=NULL, finished=NULL, owner=NULL, lease_until=NULL, crashes=1 WHERE id=?"
)


def as_killed(location: str, run_id: str) -> None:
    """The run's end undone, its last step's end kept: what a kill between the two
    commits left, once a later start marked the run interrupted (another connection)."""
    if location.startswith("postgresql://"):
        with psycopg.connect(location, autocommit=True) as conn:
            conn.execute(KILLED.replace("?", "%s"), (run_id,))
        return
    with sqlite3.connect(location) as db:
        db.execute(KILLED, (run_id,))


async def finished_then_killed(
    tmp_path: Path, location: str, runbook: str, api: Api
) -> tuple[Journal, str]:
    ws = workspace(tmp_path, RUNBOOKS)
    journal = open_journal(location, ws.path)
    result = await engine(ws, api, journal=journal, trigger="serve").run(runbook)
    journal.sync()
    as_killed(location, result.run_id)
    return journal, result.run_id


@pytest.mark.parametrize(
    ("runbook", "status", "said"),
    [
        ("nofail", "failure", "HTTP 500"),
        ("good", "success", "end step 'done' reached"),
        ("bad", "failure", "failure end 'done' reached"),
    ],
)
async def test_a_claim_closes_such_a_run_without_running_its_last_step_again(
    tmp_path: Path, location: str, runbook: str, status: str, said: str
) -> None:
    api = Api()
    journal, run_id = await finished_then_killed(tmp_path, location, runbook, api)
    sent = len(api.seen)
    steps = len(journal.steps(run_id))
    [claim] = journal.claim(1, resume=("serve",))
    assert claim.resume is not None
    assert claim.resume.ended is not None
    ws = workspace(tmp_path, RUNBOOKS)
    result = await engine(ws, api, journal=journal).start_claimed(claim).result()
    assert result.status == status
    assert said in f"{result.error} {result.message}"
    assert len(api.seen) == sent  # the failed call was not sent again
    assert len(journal.steps(run_id)) == steps  # no step ran again
    row = journal.run(run_id)
    assert row is not None
    assert (row.status, row.finished is not None) == (status, True)
    assert "not recorded" in f"{row.error} {row.message}"
    journal.close()


def test_runbench_resume_closes_it_too(
    tmp_path: Path, location: str, capsys: pytest.CaptureFixture[str]
) -> None:
    api = Api()
    journal, run_id = asyncio.run(finished_then_killed(tmp_path, location, "bad", api))
    journal.close()
    code = main(["resume", str(tmp_path / "ws.toml"), run_id, "--journal", location])
    _, err = capsys.readouterr()
    assert code == 1, err  # a failure end: the run failed, as it did before the kill
    assert "Traceback" not in err
    assert "resuming" not in err  # nothing resumes: it says it closed the run instead
    assert f"closing run {run_id}" in err
    assert "not recorded" in err
    reopened = open_journal(location, tmp_path / "ws.toml")
    row = reopened.run(run_id)
    assert row is not None
    assert row.status == "failure"
    assert [step.step for step in reopened.steps(run_id)] == ["done"]
    reopened.close()


def step(seq: int, *, finished: bool, target: str | None, error: str | None) -> StepRow:
    return StepRow(
        "r", seq, "get", "method", {}, {}, {}, None, None, target, 0.0, 1.0, error, finished
    )


def test_only_a_step_closed_as_interrupted_is_run_again() -> None:
    closed = history.resume_point(
        "r", [step(1, finished=True, target=None, error=INTERRUPTED_STEP)]
    )
    assert (closed.step, closed.ended) == ("get", None)
    open_step = history.resume_point("r", [step(1, finished=False, target=None, error=None)])
    assert (open_step.step, open_step.ended) == ("get", None)
    onward = history.resume_point("r", [step(1, finished=True, target="next", error=None)])
    assert (onward.step, onward.ended) == ("next", None)
    ended = step(1, finished=True, target=None, error="HTTP 500")
    point = history.resume_point("r", [ended])
    assert point.ended == ended
