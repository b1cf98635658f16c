"""The journal as a queue: leases, recovery, poison runs, max_concurrent claims, delivery
keys, and a claim that does not grow with the queue (issue 14.12, 14.13, 14.16, 14.17,
19.2)."""

from __future__ import annotations

import os
import socket
import sqlite3
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runbench.core.engine import Engine
from runbench.core.journal import Journal, Owner, delivery_key
from test_engine_support import engine, run_row, workspace
from waits import wait_for


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def hold_as(path: Path, owner: Owner, clock: Clock, lease_until: float | None) -> str:
    """A running run held by ``owner`` (written as another process would)."""
    journal = Journal(path, clock=clock, recover=False)
    run_id = journal.create_run("r")
    journal.close()
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE runs SET owner=?, lease_until=? WHERE id=?", (owner.text(), lease_until, run_id)
        )
    return run_id


# -- 14.12: leases -------------------------------------------------------------------------
def test_a_restarted_server_that_is_pid_1_again_recovers_its_old_runs(tmp_path: Path) -> None:
    """Same host, same pid namespace, same pid as the old owner (it was PID 1 too), but
    another process: the old runs are recovered at once, without waiting for the lease."""
    clock = Clock()
    path = tmp_path / "runs.db"
    me = Owner.current()
    previous = replace(me, token="old-token")
    run_id = hold_as(path, previous, clock, lease_until=clock.now + 3600)
    assert previous.pid == os.getpid()
    assert previous.host == socket.gethostname()
    journal = Journal(path, clock=clock)
    row = run_row(journal, run_id)
    assert (row.status, row.crashes) == ("interrupted", 1)
    journal.close()


def test_a_renamed_host_waits_for_the_lease_then_recovers(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "runs.db"
    gone = Owner("container-before-restart", "pid:[1]", 1, "", "token")
    run_id = hold_as(path, gone, clock, lease_until=clock.now + 30)
    journal = Journal(path, clock=clock)
    assert run_row(journal, run_id).status == "running"  # may still be alive: wait for the lease
    clock.now += 31
    assert journal.mark_interrupted() == [run_id]
    assert run_row(journal, run_id).status == "interrupted"
    journal.close()


def test_a_live_owner_renews_its_lease_and_keeps_its_runs(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    owner = Journal(path, lease=0.3)
    run_id = owner.create_run("r")
    owner.sync()

    def lease_until() -> float:
        with sqlite3.connect(path) as db:
            return float(db.execute("SELECT lease_until FROM runs").fetchone()[0])

    first = lease_until()
    wait_for(lambda: lease_until() > first + 0.3)  # renewed past its first expiry
    other = Journal(path, host="another-host", lease=0.3)
    assert other.mark_interrupted() == []
    owner.close()  # the owner stops renewing (as if it hung or died)
    last = lease_until()
    wait_for(lambda: time.time() > last)
    assert other.mark_interrupted() == [run_id]
    other.close()


# -- 14.13: poison runs ---------------------------------------------------------------------
def test_a_run_that_keeps_crashing_its_worker_is_failed_after_max_crashes(tmp_path: Path) -> None:
    clock = Clock()
    journal = Journal(tmp_path / "runs.db", clock=clock, lease=10)
    run_id, _ = journal.enqueue("r", {})
    [claim] = journal.claim(1, resume=("serve",), max_crashes=2)
    assert claim.resume is None
    for crash in (1, 2):
        clock.now += 11  # the worker died: nobody renews
        assert journal.mark_interrupted() == [run_id]
        [claim] = journal.claim(1, resume=("serve",), max_crashes=2)
        assert claim.row.id == run_id
        assert claim.resume is not None
        assert claim.row.crashes == crash
    clock.now += 11
    journal.mark_interrupted()
    assert journal.claim(1, resume=("serve",), max_crashes=2) == []
    row = run_row(journal, run_id)
    assert row.status == "failure"
    assert "gave up" in (row.error or "")
    assert row.finished
    journal.close()


class BrokenExecutor:
    """Fails the way a bug would: with an exception nobody expects."""

    async def __aenter__(self) -> BrokenExecutor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def call(self, *_args: object, **_kwargs: object) -> object:
        raise ZeroDivisionError("a bug below the step")


class BrokenEngine(Engine):
    def new_executor(self, _run: object) -> Any:
        return BrokenExecutor()


async def test_an_internal_error_ends_the_run_as_failed_with_the_reason(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "get"
        [runbooks.r.steps.get]
        kind = "method"
        method = "api.slow"
        on_success = "done"
        on_failure = "done"
        [runbooks.r.steps.done]
        kind = "end"
        """,
    )
    journal = Journal(tmp_path / "runs.db")
    eng = BrokenEngine(ws, journal=journal, environ={})
    result = await eng.run("r")
    assert result.status == "failure"
    assert "internal error at step 'get': ZeroDivisionError: a bug below the step" in (
        result.error or ""
    )
    row = run_row(journal, result.run_id)
    assert row.status == "failure"
    assert row.error == result.error
    [step] = journal.steps(result.run_id)
    assert step.finished
    assert "ZeroDivisionError" in (step.error or "")
    journal.close()


# -- 14.16: max_concurrent in claims --------------------------------------------------------
def test_claims_respect_max_concurrent_and_never_take_a_run_twice(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "runs.db")
    limited = [journal.enqueue("one_at_a_time", {"n": n})[0] for n in range(4)]
    free = [journal.enqueue("free", {"n": n})[0] for n in range(3)]
    limits = {"one_at_a_time": 1, "free": 0}
    first = [c.row.id for c in journal.claim(10, limits=limits)]
    assert first == [limited[0], *free]
    assert journal.claim(10, limits=limits) == []  # the limited runbook is full
    journal.finish_run(run_row(journal, limited[0]).id, "success", None, "")
    second = [c.row.id for c in journal.claim(10, limits=limits)]
    assert second == [limited[1]]
    waiting = [r.status for r in journal.runs() if r.id in limited[2:]]
    assert waiting == ["queued", "queued"]
    journal.close()


async def test_engine_runs_waiting_on_max_concurrent_are_not_claimable(tmp_path: Path) -> None:
    import asyncio

    from test_engine_support import Api

    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "get"
        max_concurrent = 1
        [runbooks.r.steps.get]
        kind = "method"
        method = "api.slow"
        on_success = "done"
        [runbooks.r.steps.done]
        kind = "end"
        """,
    )
    journal = Journal(tmp_path / "runs.db")
    gate = asyncio.Event()
    api = Api(gate=gate)
    eng: Engine = engine(ws, api, journal=journal)
    first = eng.start("r")
    second = eng.start("r")
    while len(api.seen) < 1:
        await asyncio.sleep(0)
    await journal.committed()
    assert run_row(journal, second.run_id).status == "queued"
    assert journal.claim(5) == []  # held by this engine while it waits for its slot
    gate.set()
    assert (await first.result()).ok
    assert (await second.result()).ok
    journal.close()


# -- 14.17: delivery ids ---------------------------------------------------------------------
def test_delivery_ids_are_per_runbook_and_compared_whole(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "runs.db")
    open_run, created = journal.enqueue("open", {}, delivery_id="d-1")
    signed_run, created_signed = journal.enqueue("signed", {}, delivery_id="d-1")
    assert created
    assert created_signed
    assert open_run != signed_run
    long_a, long_b = "x" * 300 + "a", "x" * 300 + "b"
    first, _ = journal.enqueue("signed", {}, delivery_id=long_a)
    second, made = journal.enqueue("signed", {}, delivery_id=long_b)
    assert made
    assert first != second
    assert journal.enqueue("signed", {}, delivery_id=long_a) == (first, False)
    assert journal.find_delivery("signed", long_a) == first
    assert journal.find_delivery("open", long_a) is None
    assert run_row(journal, first).delivery_id == long_a
    journal.close()


@given(
    st.tuples(st.text(max_size=8), st.text(max_size=80)),
    st.tuples(st.text(max_size=8), st.text(max_size=80)),
)
def test_delivery_keys_differ_whenever_runbook_or_id_differ(
    one: tuple[str, str], other: tuple[str, str]
) -> None:
    """The key keeps a short id as it is (so ids made in order stay in order in the
    index) and hashes the rest; either way, two deliveries share a key only if equal."""
    assert (delivery_key(*one) == delivery_key(*other)) == (one == other)


def test_delivery_keys_keep_short_ids_in_order() -> None:
    ids = [f"d-{n}" for n in range(100_000, 100_050)]
    keys = [delivery_key("hook", i) for i in ids]
    assert keys == sorted(keys)
    assert delivery_key("hook", "x" * 65).startswith("4:hook#")  # long ids: hashed
    assert delivery_key("hook", "a\nb").startswith("4:hook#")  # unprintable: hashed


# -- 19.2: the claim uses an index -----------------------------------------------------------
@pytest.mark.parametrize("runbook", [None, "r"])
def test_the_claim_query_walks_an_index_without_sorting(
    tmp_path: Path, runbook: str | None
) -> None:
    Journal(tmp_path / "runs.db").close()
    db = sqlite3.connect(tmp_path / "runs.db")
    from runbench.core.journal import SqliteBackend

    backend = SqliteBackend.__new__(SqliteBackend)
    backend.db = db
    statements: list[str] = []
    db.set_trace_callback(statements.append)
    backend.oldest("queued", 5, runbook)
    db.set_trace_callback(None)
    plan = " ".join(str(row) for row in db.execute(f"EXPLAIN QUERY PLAN {statements[-1]}"))
    assert "runs_queue" in plan
    assert "TEMP B-TREE" not in plan.upper()
    db.close()
