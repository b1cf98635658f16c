"""The run journal: what it records, the queue API, interruption, resume and replay."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from runbench.core.engine import Journal, replay
from test_engine_support import Api, engine, run_row, workspace

FLOW = """
    [runbooks.r]
    start = "get"
    [runbooks.r.inputs]
    uid = { type = "int", default = 3 }
    [runbooks.r.steps.get]
    kind = "method"
    method = "api.get_user"
    args = { user_id = "<<uid>>" }
    on_success = "wait"
    on_failure = "bad"
    [runbooks.r.steps.wait]
    kind = "method"
    method = "api.slow"
    retry = { attempts = 2, delay = 0 }
    on_success = "note"
    on_failure = "bad"
    [runbooks.r.steps.note]
    kind = "method"
    method = "api.post_note"
    args = { text = "for <<UserName>>" }
    on_success = "done"
    on_failure = "bad"
    [runbooks.r.steps.done]
    kind = "end"
    message = "note <<NoteId>> for <<UserName>>"
    [runbooks.r.steps.bad]
    kind = "end"
    result = "failure"
"""
SECRET_HEADER = """
name = "journal tests"
[variables]
base = "http://api.test"
[integrations.api]
base_url = "<<base>>"
auth = { type = "bearer", token = "tok-Super-Secret-123" }
[integrations.api.methods.get_user]
path = "/users/<<user_id>>"
outputs = { UserName = "response^name!" }
[integrations.api.methods.slow]
path = "/slow"
[integrations.api.methods.post_note]
verb = "POST"
path = "/notes"
body_type = "json"
body = '{"text": "<<text!>>"}'
outputs = { NoteId = "response^id" }
"""


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


async def test_journal_records_steps_variables_and_redacted_exchanges(tmp_path: Path) -> None:
    ws = workspace(tmp_path, FLOW, header=SECRET_HEADER)
    api = Api()
    api.script("/slow", httpx.Response(503), httpx.Response(200, json={}))
    journal = Journal(tmp_path / "runs.db")
    result = await engine(ws, api, journal=journal).run("r", inputs={"uid": 9})
    assert result.status == "success"
    assert api.seen[0].headers["authorization"] == "Bearer tok-Super-Secret-123"
    row = journal.run(result.run_id)
    assert row is not None
    assert (row.status, row.runbook, row.trigger, row.inputs) == ("success", "r", "cli", {"uid": 9})
    assert row.message == "note 7 for User 9"
    assert row.finished is not None
    steps = journal.steps(result.run_id)
    assert [(s.seq, s.step, s.edge, s.target) for s in steps] == [
        (1, "get", "on_success", "wait"),
        (2, "wait", "on_success", "note"),
        (3, "note", "on_success", "done"),
        (4, "done", None, None),
    ]
    assert "UserName" not in steps[0].variables_before
    assert steps[2].variables_before["UserName"] == "User 9"
    assert steps[0].outputs == {"UserName": "User 9"}
    exchanges = journal.exchanges(result.run_id)
    assert [(x.step, x.attempt, x.response["status"]) for x in exchanges] == [
        ("get", 1, 200),
        ("wait", 1, 503),
        ("wait", 2, 200),
        ("note", 1, 201),
    ]
    dump = json.dumps([x.request for x in exchanges], ensure_ascii=False)
    assert "tok-Super-Secret-123" not in dump
    assert "••••" in dump
    assert journal.runs()[0].id == result.run_id


def test_enqueue_dedupes_delivery_and_claim_is_atomic(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "runs.db")
    first, created = journal.enqueue("r", {"uid": 1}, {}, "serve", "delivery-1")
    again, created_again = journal.enqueue("r", {"uid": 2}, {}, "serve", "delivery-1")
    assert created
    assert not created_again
    assert first == again
    for n in range(10):
        journal.enqueue("r", {"uid": n}, None, "serve", None)
    claimed: list[str] = []
    lock = threading.Lock()

    def claim() -> None:
        other = Journal(tmp_path / "runs.db")
        for _ in range(5):
            got = [row.id for row in other.claim_queued(2)]
            with lock:
                claimed.extend(got)

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(claimed) == 11
    assert len(set(claimed)) == 11
    assert journal.claim_queued(5) == []
    assert all(run_row(journal, run_id).status == "running" for run_id in claimed)


def test_runs_filters_by_runbook_and_leaves_out_children(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "runs.db")
    parent = journal.create_run("a", trigger="cli", inputs={})
    journal.create_run("b", trigger="cli", inputs={}, parent_id=parent)
    other = journal.create_run("b", trigger="serve", inputs={})
    assert {r.runbook for r in journal.runs(runbook="b")} == {"b"}
    assert len(journal.runs(runbook="b")) == 2
    assert [r.id for r in journal.runs(runbook="b", top_level=True)] == [other]
    assert len(journal.runs()) == 3


def test_mark_interrupted_and_recover(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    gone = Journal(path, pid=dead_pid())
    died = gone.create_run("r", status="running")
    paused = gone.create_run("r", status="paused")
    queued, _ = gone.enqueue("r", {}, None, "serve", None)
    live = Journal(path, recover=False)
    mine = live.create_run("r")  # owned by this live process
    other = Journal(path, host="other-host", pid=1)
    elsewhere = other.create_run("r")
    for writer in (gone, live, other):
        writer.close()  # commits what it wrote (writes are batched on the journal's thread)
    journal = Journal(path)  # marks at open
    assert run_row(journal, died).status == "interrupted"
    assert run_row(journal, paused).status == "interrupted"
    assert run_row(journal, mine).status == "running"
    assert run_row(journal, elsewhere).status == "running"  # another host: cannot tell
    assert journal.recover() == sorted(
        [died, paused, queued], key=lambda i: run_row(journal, i).created
    )


async def test_run_queued_executes_a_journaled_run(tmp_path: Path) -> None:
    ws = workspace(tmp_path, FLOW)
    journal = Journal(tmp_path / "runs.db")
    run_id, _ = journal.enqueue("r", {"uid": 4}, {"ticket": {"id": 1}}, "serve", "d-9")
    eng = engine(ws, journal=journal)
    [claimed] = journal.claim_queued(1)
    result = await eng.run_queued(claimed.id)
    assert result.run_id == run_id
    assert result.message == "note 7 for User 4"
    assert result.variables["ticket"] == {"id": 1}
    row = run_row(journal, run_id)
    assert (row.status, row.trigger) == ("success", "serve")


async def test_resume_after_interruption_keeps_records_and_variables(tmp_path: Path) -> None:
    ws = workspace(tmp_path, FLOW)
    path = tmp_path / "runs.db"
    gate_api = Api(gate=asyncio.Event())
    first = engine(ws, gate_api, journal=Journal(path, pid=dead_pid()))
    handle = first.start("r", inputs={"uid": 5})
    while len(gate_api.seen) < 2:  # /users/5 done, /slow hanging
        await asyncio.sleep(0)
    handle.task.cancel()  # the process "dies" mid-step: nothing else is written
    await asyncio.gather(handle.task, return_exceptions=True)

    journal = Journal(path)
    row = run_row(journal, handle.run_id)
    assert (row.status, row.current_step) == ("interrupted", "wait")
    api = Api()
    resumed = await engine(ws, api, journal=journal).resume(handle.run_id).result()
    assert resumed.status == "success"
    assert resumed.message == "note 7 for User 5"
    assert api.paths() == ["/slow", "/notes"]  # the user was not fetched again
    steps = journal.steps(handle.run_id)
    assert [(s.seq, s.step, s.edge) for s in steps] == [
        (1, "get", "on_success"),
        (2, "wait", None),
        (3, "wait", "on_success"),
        (4, "note", "on_success"),
        (5, "done", None),
    ]
    assert steps[1].error
    assert "interrupted" in steps[1].error
    assert steps[2].variables_before["UserName"] == "User 5"
    assert run_row(journal, handle.run_id).status == "success"


async def test_resume_between_steps_and_refusals(tmp_path: Path) -> None:
    from runbench.core.errors import RunError

    ws = workspace(tmp_path, FLOW)
    path = tmp_path / "runs.db"
    owner = Journal(path, pid=dead_pid())
    run_id = owner.create_run("r", inputs={"uid": 6})
    owner.start_step(run_id, 1, "get", "method", {"uid": 6, "UserName": "x"}, {})
    owner.finish_step(
        run_id,
        1,
        edge="on_success",
        target="wait",
        duration_ms=1.0,
        outputs={"UserName": "User 6"},
        error=None,
    )
    owner.close()  # its batched writes are committed before the next journal marks them
    journal = Journal(path)
    api = Api()
    result = await engine(ws, api, journal=journal).resume(run_id).result()
    assert api.paths() == ["/slow", "/notes"]
    assert result.message == "note 7 for User 6"
    with pytest.raises(RunError, match="is success, not interrupted"):
        engine(ws, journal=journal).resume(run_id)


async def test_replay_is_offline_and_reproduces_the_run(tmp_path: Path) -> None:
    ws = workspace(tmp_path, FLOW, header=SECRET_HEADER)
    api = Api()
    api.script("/slow", httpx.Response(503), httpx.Response(200, json={}))
    journal = Journal(tmp_path / "runs.db")
    original = await engine(ws, api, journal=journal).run("r", inputs={"uid": 8})
    replayed = await replay(journal, original.run_id, ws, record=True)
    assert len(api.seen) == 4  # no new request reached the API
    assert replayed.status == original.status
    assert replayed.message == original.message
    assert [(s.step, s.edge, s.outputs) for s in replayed.steps] == [
        (s.step, s.edge, s.outputs) for s in original.steps
    ]
    assert run_row(journal, replayed.run_id).trigger == "replay"
    assert len(journal.exchanges(replayed.run_id)) == 4  # retry replayed too


async def test_replay_diverging_runbook_fails_cleanly(tmp_path: Path) -> None:
    ws = workspace(tmp_path, FLOW)
    journal = Journal(tmp_path / "runs.db")
    original = await engine(ws, journal=journal).run("r")
    renamed = FLOW.replace('start = "get"', 'start = "fetch"').replace(
        "[runbooks.r.steps.get]", "[runbooks.r.steps.fetch]"
    )
    replayed = await replay(journal, original.run_id, workspace(tmp_path, renamed))
    assert replayed.status == "failure"
    assert "no recorded response left for step 'fetch'" in (replayed.steps[0].error or "")


async def test_replay_serves_child_runs(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        FLOW
        + """
        [runbooks.parent]
        start = "call"
        [runbooks.parent.steps.call]
        kind = "runbook"
        runbook = "r"
        args = { uid = 11 }
    """,
    )
    journal = Journal(tmp_path / "runs.db")
    original = await engine(ws, journal=journal).run("parent")
    assert [c.runbook for c in journal.children(original.run_id)] == ["r"]
    replayed = await replay(journal, original.run_id, ws)
    assert replayed.message == original.message == "note 7 for User 11"
