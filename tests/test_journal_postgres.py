"""The PostgreSQL journal: the SQLite journal's semantics on a shared database, and what
only a shared database needs (claims by many instances, leases across hosts, schema
versions for every instance at once). Each test runs on both backends where both apply.

These tests need a PostgreSQL server (tests/postgres.py starts a throwaway one); they
are never skipped in CI (RUNBENCH_REQUIRE_POSTGRES).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from runbench.core.errors import JournalError
from runbench.core.journal import POSTGRES_SCHEMA_VERSION as POSTGRES_SCHEMA
from runbench.core.journal import Journal, open_journal
from test_engine_support import Api, engine, run_row, workspace
from test_journal import FLOW, SECRET_HEADER, dead_pid

Opener = Callable[..., Journal]


@pytest.fixture(params=["sqlite", "postgresql"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens journals on one store: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        location = str(tmp_path / "runs.db")
    else:
        location = request.getfixturevalue("postgres_dsn")
    opened: list[Journal] = []

    def open_one(**kwargs: Any) -> Journal:
        journal = open_journal(location, tmp_path / "ws.toml", **kwargs)
        opened.append(journal)
        return journal

    open_one.location = location  # type: ignore[attr-defined]
    yield open_one
    for journal in opened:
        journal.close()


async def test_records_steps_variables_and_redacted_exchanges(
    opener: Opener, tmp_path: Path
) -> None:
    ws = workspace(tmp_path, FLOW, header=SECRET_HEADER)
    api = Api()
    api.script("/slow", httpx.Response(503), httpx.Response(200, json={}))
    journal = opener()
    result = await engine(ws, api, journal=journal).run("r", inputs={"uid": 9})
    assert result.status == "success"
    row = run_row(journal, result.run_id)
    assert (row.status, row.inputs, row.message) == ("success", {"uid": 9}, "note 7 for User 9")
    steps = journal.steps(result.run_id)
    assert [(s.seq, s.step, s.edge, s.target) for s in steps] == [
        (1, "get", "on_success", "wait"),
        (2, "wait", "on_success", "note"),
        (3, "note", "on_success", "done"),
        (4, "done", None, None),
    ]
    assert steps[2].variables_before["UserName"] == "User 9"
    exchanges = journal.exchanges(result.run_id)
    assert [(x.step, x.attempt, x.response["status"]) for x in exchanges] == [
        ("get", 1, 200),
        ("wait", 1, 503),
        ("wait", 2, 200),
        ("note", 1, 201),
    ]
    assert "tok-Super-Secret-123" not in str([x.request for x in exchanges])
    assert journal.find_run(result.run_id[:10]).id == result.run_id


def test_deliveries_dedupe_and_claims_never_overlap_across_instances(opener: Opener) -> None:
    journal = opener()
    first, created = journal.enqueue("r", {"uid": 1}, {}, "serve", "delivery-1")
    again, created_again = journal.enqueue("r", {"uid": 2}, {}, "serve", "delivery-1")
    assert created
    assert not created_again
    assert first == again
    for n in range(40):
        journal.enqueue("r", {"uid": n}, None, "serve", None)
    claimed: list[str] = []
    lock = threading.Lock()
    instances = [opener(host=f"host-{n}") for n in range(4)]  # four "servers"

    def claim(instance: Journal) -> None:
        while got := [row.id for row in instance.claim_queued(3)]:
            with lock:
                claimed.extend(got)

    threads = [threading.Thread(target=claim, args=(i,)) for i in instances]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(claimed) == 41
    assert len(set(claimed)) == 41
    assert journal.claim_queued(5) == []
    assert {run_row(journal, run_id).status for run_id in claimed} == {"running"}


def test_a_delivery_raced_by_two_instances_makes_one_run(opener: Opener) -> None:
    instances = [opener(host=f"host-{n}") for n in range(2)]
    barrier = threading.Barrier(2)
    results: list[tuple[str | None, bool]] = []

    def deliver(instance: Journal) -> None:
        barrier.wait()
        results.append(instance.enqueue("r", {}, None, "serve", "same-delivery"))

    threads = [threading.Thread(target=deliver, args=(i,)) for i in instances]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(created for _, created in results) == [False, True]
    assert results[0][0] == results[1][0]
    assert len(instances[0].runs(10)) == 1


def test_an_expired_lease_on_another_host_is_recovered(opener: Opener) -> None:
    now = [1_000_000.0]
    clock: Callable[[], float] = lambda: now[0]  # noqa: E731
    crashed = opener(host="host-a", clock=clock, lease=5.0)
    run_id, _ = crashed.enqueue("r", {}, None, "serve", None)
    [held] = crashed.claim_queued(1)
    assert held.id == run_id
    other = opener(host="host-b", clock=clock, lease=5.0)
    assert other.mark_interrupted() == []  # host-a's lease still runs
    now[0] += 6.0  # host-a died: nobody renews its lease
    assert other.mark_interrupted() == [run_id]
    row = run_row(other, run_id)
    assert (row.status, row.crashes) == ("interrupted", 1)
    assert other.recover() == [run_id]


def test_a_claim_takes_interrupted_runs_before_queued_ones(opener: Opener) -> None:
    """Most claims are one statement that takes queued runs; while an interrupted run of
    a resumed trigger waits, it takes none, and the claim takes that run first. An
    interrupted run of another trigger holds nothing up."""
    now = [1_000_000.0]
    clock: Callable[[], float] = lambda: now[0]  # noqa: E731
    crashed = opener(host="host-a", clock=clock, lease=5.0)
    served, _ = crashed.enqueue("r", {}, None, "serve", None)
    now[0] += 0.01  # oldest first (the ids of one millisecond are in no order)
    typed, _ = crashed.enqueue("r", {}, None, "cli", None)
    assert [row.id for row in crashed.claim_queued(2)] == [served, typed]
    queued = []
    for n in range(3):
        now[0] += 0.01
        queued.append(crashed.enqueue("r", {"n": n}, None, "serve", None)[0])
    now[0] += 6.0  # host-a died
    other = opener(host="host-b", clock=clock, lease=5.0)  # its opening recovers them
    assert {run_row(other, run).status for run in (served, typed)} == {"interrupted"}
    claims = other.claim(2, resume=("serve",))
    assert [claim.row.id for claim in claims] == [served, queued[0]]
    assert claims[0].resume is not None
    assert claims[1].resume is None
    assert [claim.row.id for claim in other.claim(5, resume=("serve",))] == queued[1:]
    assert run_row(other, typed).status == "interrupted"


async def test_resume_after_a_crash_on_another_instance(opener: Opener, tmp_path: Path) -> None:
    ws = workspace(tmp_path, FLOW)
    gate_api = Api(gate=asyncio.Event())
    first = engine(ws, gate_api, journal=opener(pid=dead_pid()))
    handle = first.start("r", inputs={"uid": 5})
    while len(gate_api.seen) < 2:  # /users/5 done, /slow hanging
        await asyncio.sleep(0)
    handle.task.cancel()  # the process "dies" mid-step
    await asyncio.gather(handle.task, return_exceptions=True)
    journal = opener()
    assert (
        run_row(journal, handle.run_id).status,
        run_row(journal, handle.run_id).current_step,
    ) == (
        "interrupted",
        "wait",
    )
    api = Api()
    resumed = await engine(ws, api, journal=journal).resume(handle.run_id).result()
    assert resumed.status == "success"
    assert resumed.message == "note 7 for User 5"
    assert api.paths() == ["/slow", "/notes"]  # the user was not fetched again
    assert [s.step for s in journal.steps(handle.run_id)] == ["get", "wait", "wait", "note", "done"]


def test_max_concurrent_holds_across_instances(opener: Opener) -> None:
    journal = opener()
    for _ in range(6):
        journal.enqueue("r", {}, None, "serve", None)
    instances = [opener(host=f"host-{n}") for n in range(3)]
    taken = [c.row.id for i in instances for c in i.claim(5, limits={"r": 2})]
    assert len(taken) == 2


# -- only PostgreSQL -------------------------------------------------------------------------
def test_schema_versions_are_rows_and_a_newer_database_is_refused(postgres_dsn: str) -> None:
    open_journal(postgres_dsn, "ws.toml").close()
    open_journal(postgres_dsn, "ws.toml").close()  # a second open migrates nothing
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        rows = conn.execute("SELECT version FROM runbench_schema").fetchall()
        assert rows == [(POSTGRES_SCHEMA,)]  # a new database is made current at once
        conn.execute("INSERT INTO runbench_schema VALUES (99, now())")
    with pytest.raises(JournalError, match="newer runbench"):
        open_journal(postgres_dsn, "ws.toml")


FORMAT_2 = (
    "DROP INDEX runs_queue, runs_queue_by_runbook, runs_delivery",
    "ALTER TABLE runs ADD CONSTRAINT runs_delivery_key_key UNIQUE (delivery_key)",
    "CREATE INDEX runs_queue ON runs(status, created, id) WHERE parent_id IS NULL"
    " AND owner IS NULL",
    "CREATE INDEX runs_queue_by_runbook ON runs(status, runbook, created, id)"
    " WHERE parent_id IS NULL AND owner IS NULL",
    "DELETE FROM runbench_schema",
    "INSERT INTO runbench_schema VALUES (2, now())",
)
"""Format 2's indexes, as runbench before format 3 made them."""


def _indexes(dsn: str) -> dict[str, str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'runs'"
        ).fetchall()
    return {str(name): str(definition) for name, definition in rows}


def test_a_format_2_journal_is_migrated_and_keeps_its_runs(postgres_dsn: str) -> None:
    """Format 3 keeps finished runs out of the queue's indexes and runs without a
    delivery id out of the delivery keys' index; a format 2 journal is migrated on open,
    its queue and delivery ids as they were."""
    journal = open_journal(postgres_dsn, "ws.toml")
    journal.enqueue("r", {}, None, "serve", "d-1")
    journal.close()
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        for statement in FORMAT_2:
            conn.execute(statement)
    assert "runs_delivery_key_key" in _indexes(postgres_dsn)
    journal = open_journal(postgres_dsn, "ws.toml")
    try:
        indexes = _indexes(postgres_dsn)
        assert "runs_delivery_key_key" not in indexes
        assert "WHERE (delivery_key IS NOT NULL)" in indexes["runs_delivery"]
        for name in ("runs_queue", "runs_queue_by_runbook"):
            assert "ARRAY['queued'::text, 'interrupted'::text]" in indexes[name]
        assert journal.enqueue("r", {}, None, "serve", "d-1")[1] is False  # seen before
        assert journal.enqueue("r", {}, None, "serve", "d-2")[1] is True
        assert len(journal.claim(5)) == 2
    finally:
        journal.close()
    with psycopg.connect(postgres_dsn) as conn:
        rows = conn.execute("SELECT version FROM runbench_schema ORDER BY version").fetchall()
    assert rows == [(2,), (3,), (POSTGRES_SCHEMA,)]  # 2 -> 3 -> 4, a row each


def test_a_format_3_journal_gets_ordered_delivery_keys(postgres_dsn: str) -> None:
    """Format 4 keys a delivery by its id where short (SQLite's format 3): a format 3
    journal's SHA-256 keys are recomputed on open, and its deliveries still repeat."""
    journal = open_journal(postgres_dsn, "ws.toml")
    first, _ = journal.enqueue("r", {}, None, "serve", "d-1")
    journal.close()
    old = hashlib.sha256(b"r\0d-1").hexdigest()
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute("UPDATE runs SET delivery_key=%s WHERE delivery_id='d-1'", (old,))
        conn.execute("DELETE FROM runbench_schema WHERE version > 3")
        conn.execute("INSERT INTO runbench_schema VALUES (3, now()) ON CONFLICT DO NOTHING")
    journal = open_journal(postgres_dsn, "ws.toml")
    try:
        assert journal.enqueue("r", {}, None, "serve", "d-1") == (first, False)
        assert journal.enqueue("r", {}, None, "serve", "d-2")[1] is True
    finally:
        journal.close()
    with psycopg.connect(postgres_dsn) as conn:
        keys = {row[0] for row in conn.execute("SELECT delivery_key FROM runs")}
    assert keys == {"1:r=d-1", "1:r=d-2"}


def test_instances_starting_together_create_the_schema_once(postgres_dsn: str) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def start() -> None:
        barrier.wait()
        try:
            open_journal(postgres_dsn, "ws.toml").close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_unreachable_database_is_one_line_without_the_password() -> None:
    from postgres import free_port

    url = f"postgresql://runbench:hunter2@127.0.0.1:{free_port()}/journal"
    with pytest.raises(JournalError) as caught:
        open_journal(url, "ws.toml")
    text = str(caught.value)
    assert "hunter2" not in text
    assert "***" in text
    assert "\n" not in text
    assert "cannot be reached" in text


def test_prune_deletes_old_finished_runs_only(opener: Opener) -> None:
    from runbench.core.journal import parse_age

    now = [1_000_000.0]
    journal = opener(clock=lambda: now[0])
    old_done = journal.create_run("r")
    journal.start_step(old_done, 1, "s", "end", {"v": 1}, {})
    journal.add_exchange(old_done, 1, "s", 1, {"request": {"url": "u"}, "response": None})
    journal.finish_run(old_done, "success", None, "ok")
    old_running = journal.create_run("r")
    old_queued, _ = journal.enqueue("r", {}, None, "serve", None)
    now[0] += parse_age("31d")
    recent = journal.create_run("r")
    journal.finish_run(recent, "failure", "x", "")
    assert journal.prune(parse_age("30d")) == 1
    assert journal.run(old_done) is None
    assert journal.steps(old_done) == []
    assert journal.exchanges(old_done) == []
    assert {r.id for r in journal.runs(10)} == {old_running, old_queued, recent}
    assert journal.prune(parse_age("30d")) == 0


def test_ages() -> None:
    from runbench.core.errors import UsageError
    from runbench.core.journal import parse_age

    assert parse_age("30d") == 30 * 86400
    assert parse_age("12h") == 43200
    assert parse_age("90") == 90
    assert parse_age("2w") == 14 * 86400
    with pytest.raises(UsageError):
        parse_age("soon")


# -- the commands --------------------------------------------------------------------------
CLI_WORKSPACE = """
[runbooks.hello]
start = "done"
[runbooks.hello.inputs]
who = { type = "string", default = "world" }
[runbooks.hello.steps.done]
kind = "end"
message = "hello <<who!>>"
"""


def test_run_runs_and_prune_on_a_database(
    postgres_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from runbench.cli.main import main

    path = tmp_path / "ws.toml"
    path.write_text(CLI_WORKSPACE)
    assert main(["run", str(path), "hello", "--var", "who=pg", "--journal", postgres_dsn]) == 0
    capsys.readouterr()
    assert main(["runs", str(path), "--journal", postgres_dsn, "--json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert (listed["runbook"], listed["status"], listed["message"]) == (
        "hello",
        "success",
        "hello pg",
    )
    assert not (tmp_path / ".runbench").exists()  # nothing went to the default file
    assert main(["runs", "prune", str(path), "--journal", postgres_dsn, "--older-than", "0"]) == 0
    assert "deleted 1 run(s)" in capsys.readouterr().out
    assert open_journal(postgres_dsn, path).runs(5) == []


def test_the_journal_can_come_from_the_environment(
    postgres_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runbench.cli.main import main
    from runbench.core.journal import JOURNAL_ENV

    path = tmp_path / "ws.toml"
    path.write_text(CLI_WORKSPACE)
    monkeypatch.setenv(JOURNAL_ENV, postgres_dsn)
    assert main(["run", str(path), "hello"]) == 0
    journal = open_journal(postgres_dsn, path)
    assert [r.message for r in journal.runs(5)] == ["hello world"]
    journal.close()


async def test_deliveries_arriving_together_go_in_one_insert_and_dedupe(opener: Opener) -> None:
    """`serve`'s admit batches the deliveries that arrive together into one statement;
    repeats (earlier, or in the same batch) get the first run, a full queue refuses."""
    journal = opener()
    earlier, _ = journal.enqueue("r", {}, delivery_id="d-0")
    ids = [f"d-{n % 7}" for n in range(40)] + [None] * 5
    found = await asyncio.gather(
        *(journal.admit("r", {"i": i}, delivery_id=d) for i, d in enumerate(ids))
    )
    created = [run for run, made in found if made]
    assert len(created) == 6 + 5  # d-1..d-6 once each, and the five without an id
    by_id: dict[str, set[str | None]] = {}
    for delivery, (run, _) in zip(ids, found, strict=True):
        if delivery:
            by_id.setdefault(delivery, set()).add(run)
    assert all(len(runs) == 1 for runs in by_id.values())
    assert by_id["d-0"] == {earlier}
    assert await journal.admit("r", {}, delivery_id="d-3", full=True) == (
        next(iter(by_id["d-3"])),
        False,
    )
    assert await journal.admit("r", {}, delivery_id="new", full=True) == (None, False)
    assert journal.count_queued() == 1 + 11


async def test_a_delivery_whose_row_cannot_be_written_fails_alone(opener: Opener) -> None:
    """Deliveries of one turn of the loop share one INSERT; one that cannot be encoded
    (a bug) fails on its own, and the others of its batch are committed."""
    journal = opener()
    looped: dict[str, Any] = {}
    looped["self"] = looped  # JSON cannot encode a loop
    found = await asyncio.gather(
        journal.admit("r", {"i": 1}, delivery_id="a"),
        journal.admit("r", {"bad": looped}, delivery_id="b"),
        journal.admit("r", {"i": 3}, delivery_id="c"),
        return_exceptions=True,
    )
    assert isinstance(found[1], ValueError)
    good = [found[0], found[2]]
    assert all(isinstance(item, tuple) and item[1] for item in good)
    assert journal.find_delivery("r", "a") == found[0][0]  # type: ignore[index]
    assert journal.find_delivery("r", "b") is None
    assert journal.count_queued() == 2


def test_run_ids_are_new_each_time_and_sort_by_creation(opener: Opener) -> None:
    """Ids come from a pool of random bytes refilled in bulk: still unique across refills,
    and their first 12 hex digits are the creation time in milliseconds."""
    now = [1_700_000_000.0]
    journal = opener(clock=lambda: now[0])
    ids, stamps = [], []
    for _ in range(1000):
        stamps.append(f"{int(now[0] * 1000):012x}")
        ids.append(str(journal.enqueue("r", {})[0]))
        now[0] += 0.01
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    assert [run_id[:12] for run_id in ids] == stamps
    assert {len(run_id) for run_id in ids} == {32}


def test_counting_the_queue_reads_its_index_not_every_run(opener: Opener) -> None:
    """serve counts queued runs every few seconds: on PostgreSQL the count must be answered
    by the queue's partial index (a status parameter kept the planner off it, so it read
    every run ever journaled), and on both backends count exactly the queued runs."""
    from runbench.core.journal import PostgresBackend

    journal = opener()
    for n in range(3):
        asyncio.run(journal.admit("r", {"n": n}))
    assert journal.count_queued() == 3
    [claim] = journal.claim(1)
    assert claim.row.status == "running"
    assert journal.count_queued() == 2
    location: str = opener.location  # type: ignore[attr-defined]
    if not location.startswith("postgres"):
        return
    with psycopg.connect(location, autocommit=True) as conn:
        conn.execute("SET enable_seqscan = off")  # the plan it can use, whatever the size
        plan = "\n".join(
            str(row[0]) for row in conn.execute(f"EXPLAIN {PostgresBackend.COUNT_QUEUED}")
        )
    assert "runs_queue" in plan, plan
