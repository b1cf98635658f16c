"""The PostgreSQL journal holds writes that answer nothing and sends them merged: what a
batch writes must be what the statements one by one would have written, reads in a
batch see the writes before them, and a rolled-back savepoint or batch drops them.
Statements sent are counted in libpq's trace of the connection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from runbench.core.journal import PostgresBackend

END = {
    "edge": None,
    "target": None,
    "duration_ms": 1.5,
    "outputs": '{"y": 2}',
    "error": None,
    "loops_after": None,
    "finished": 1,
}


@pytest.fixture
def backend(postgres_dsn: str) -> Iterator[PostgresBackend]:
    opened = PostgresBackend(postgres_dsn)
    yield opened
    opened.close()


def run_values(run_id: str) -> dict[str, Any]:
    return {"id": run_id, "runbook": "r", "trigger": "serve", "status": "running", "created": 1.0}


def step(run_id: str, seq: int) -> tuple[Any, ...]:
    return (run_id, seq, f"s{seq}", "set", 0, "{}", None, "{}", 2.0)


def statements_sent(backend: PostgresBackend, tmp_path: Path, *batches: Any) -> int:
    """How many statements the batches send, from libpq's trace of the connection."""
    trace = tmp_path / "trace.txt"
    with trace.open("w") as out:
        pgconn = backend._conn.pgconn  # white box: the one connection the batches use
        pgconn.trace(out.fileno())
        try:
            for batch in batches:
                in_batch(backend, *batch)
        finally:
            pgconn.untrace()
    return sum(1 for line in trace.read_text().splitlines() if "\tBind\t" in line)


def in_batch(backend: PostgresBackend, *writes: Any) -> None:
    backend.begin()
    for write in writes:
        write()
    backend.commit()


def test_a_steps_start_and_end_in_one_batch_are_one_finished_row(
    backend: PostgresBackend,
) -> None:
    in_batch(backend, lambda: backend.insert_run(run_values("a")))
    in_batch(
        backend,
        lambda: backend.insert_step(step("a", 1)),
        lambda: backend.finish_step("a", 1, {**END, "target": "s2", "edge": "next"}),
        lambda: backend.insert_step(step("a", 2)),
        lambda: backend.set_run("a", {"status": "paused", "current_step": "s2"}),
        lambda: backend.set_run("a", {"status": "success", "finished": 3.0}),
        lambda: backend.insert_exchange(("a", 1, "s1", 1, "{}", "{}", None, 4.0)),
        lambda: backend.insert_exchange(("a", 1, "s1", 2, "{}", "{}", "boom", 5.0)),
    )
    first, second = backend.steps("a")
    assert (first[1], first[8], first[10], first[11], first[15]) == (1, '{"y": 2}', "next", "s2", 1)
    assert (second[1], second[8], second[15]) == (2, None, 0)  # started, not finished
    run = backend.run("a")
    assert run is not None
    assert (run[6], run[14]) == ("success", 3.0)  # the later status won, finished kept
    assert [(row[3], row[6]) for row in backend.exchanges("a")] == [(1, None), (2, "boom")]
    # a step started in an earlier batch is finished by an UPDATE
    in_batch(backend, lambda: backend.finish_step("a", 2, END))
    assert backend.steps("a")[1][15] == 1


def test_reads_in_a_batch_see_the_held_writes_before_them(backend: PostgresBackend) -> None:
    in_batch(backend, lambda: backend.insert_run(run_values("b")))
    backend.begin()
    backend.set_run("b", {"status": "queued", "owner": None})
    taken = backend.take("queued", 5, {"status": "running", "owner": "me"})
    backend.commit()
    assert [row[0] for row in taken] == ["b"]


def test_a_rolled_back_savepoint_or_batch_drops_what_it_held(backend: PostgresBackend) -> None:
    in_batch(backend, lambda: backend.insert_run(run_values("c")))
    backend.begin()
    backend.insert_step(step("c", 1))
    backend.savepoint()
    backend.insert_step(step("c", 2))
    backend.set_run("c", {"status": "failure"})
    backend.rollback_to()
    backend.commit()
    assert [row[1] for row in backend.steps("c")] == [1]
    run = backend.run("c")
    assert run is not None
    assert run[6] == "running"
    backend.begin()
    backend.insert_step(step("c", 3))
    backend.rollback()
    assert [row[1] for row in backend.steps("c")] == [1]


def test_a_batch_of_one_merged_statement_is_sent_alone(
    backend: PostgresBackend, tmp_path: Path
) -> None:
    """No BEGIN/COMMIT around it (one trip to the server), and an empty batch sends
    nothing at all. Writes to different rows are one statement too (WITH queries); only
    an update of a row the same batch inserts needs two, and the transaction."""
    in_batch(backend, lambda: backend.insert_run(run_values("d")))
    alone = (lambda: backend.set_run("d", {"status": "success"}),)
    assert statements_sent(backend, tmp_path, alone, ()) == 1
    two = (
        lambda: backend.set_run("d", {"status": "failure"}),
        lambda: backend.insert_step(step("d", 1)),
        lambda: backend.finish_step("d", 1, END),
        lambda: backend.insert_step(step("d", 2)),
    )
    assert statements_sent(backend, tmp_path, two) == 1
    run = backend.run("d")
    assert run is not None
    assert run[6] == "failure"
    assert [(row[1], row[15]) for row in backend.steps("d")] == [(1, 1), (2, 0)]
    same_row = (
        lambda: backend.insert_step(step("d", 3)),
        lambda: backend.finish_step("d", 3, {"unset": '["x"]'}),  # not a step's end
    )
    assert statements_sent(backend, tmp_path, same_row) == 4  # BEGIN, INSERT, UPDATE, COMMIT
    assert backend.steps("d")[2][6] == '["x"]'


def test_a_savepoint_at_the_start_costs_nothing_and_still_undoes(
    backend: PostgresBackend, tmp_path: Path
) -> None:
    """An intake alone in its batch is BEGIN, INSERT, COMMIT (no SAVEPOINT/RELEASE); one
    that fails there is rolled back to the start, and the batch goes on."""
    sent = statements_sent(backend, tmp_path, (lambda: backend.insert_runs([run_values("e")]),))
    assert sent == 3
    backend.begin()
    with pytest.raises(psycopg.errors.UniqueViolation):
        backend.insert_runs([run_values("e")])  # the same id again
    backend.set_run("e", {"status": "success"})
    assert backend.insert_runs([run_values("f")]) == ["f"]
    backend.commit()
    runs = {run_id: backend.run(run_id) for run_id in ("e", "f")}
    assert {run_id: row[6] if row else None for run_id, row in runs.items()} == {
        "e": "success",
        "f": "running",
    }


def test_a_claim_or_intake_alone_in_its_batch_is_one_trip_committed_at_once(
    backend: PostgresBackend, tmp_path: Path, postgres_dsn: str
) -> None:
    """A batch of one operation: its take (or insert_runs) is sent without BEGIN and is
    committed when it returns (another connection sees the run held before the batch's
    commit); in a batch of several operations it waits for the batch's COMMIT."""
    in_batch(backend, lambda: backend.insert_runs([run_values("g"), run_values("h")]))
    backend.set_run("g", {"status": "queued"})
    backend.set_run("h", {"status": "queued"})
    trace = tmp_path / "trace.txt"
    with trace.open("w") as out, psycopg.connect(postgres_dsn, autocommit=True) as other:
        backend._conn.pgconn.trace(out.fileno())  # white box, as statements_sent
        try:
            backend.begin(alone=True)
            taken = backend.take("queued", 1, {"status": "running", "owner": "me"})
            seen = other.execute("SELECT owner FROM runs WHERE id = %s", (taken[0][0],))
            assert seen.fetchone() == ("me",)  # committed already
            backend.commit()
            assert backend.insert_runs([run_values("i")]) == ["i"]  # not in a batch
            backend.begin(alone=True)
            assert backend.insert_runs([run_values("j")]) == ["j"]
            backend.commit()
        finally:
            backend._conn.pgconn.untrace()
        bound = sum(1 for line in trace.read_text().splitlines() if "\tBind\t" in line)
        assert bound == 3  # the take, and each INSERT: no BEGIN, no COMMIT
        backend.begin(alone=False)
        taken = backend.take("queued", 1, {"status": "running", "owner": "you"})
        seen = other.execute("SELECT owner FROM runs WHERE id = %s", (taken[0][0],))
        assert seen.fetchone() == (None,)  # waits for the batch
        backend.commit()
        seen = other.execute("SELECT owner FROM runs WHERE id = %s", (taken[0][0],))
        assert seen.fetchone() == ("you",)


def test_runs_without_a_delivery_key_are_a_plain_insert_and_keys_still_dedupe(
    backend: PostgresBackend, tmp_path: Path
) -> None:
    """ON CONFLICT inserts every row speculatively (a confirming WAL record each), so a
    batch in which no run has a delivery key goes without it; one key in the batch and
    the whole INSERT has it, and a repeated key makes no second run."""

    def run(run_id: str, key: str | None = None) -> dict[str, Any]:
        return {**run_values(run_id), "delivery_key": key}  # the same columns in every row

    keyed = run("k1", "hit:d-1")
    trace = tmp_path / "trace.txt"
    with trace.open("w") as out:
        backend._conn.pgconn.trace(out.fileno())  # white box, as statements_sent
        try:
            assert backend.insert_runs([run("n1"), run("n2")]) == ["n1", "n2"]
            assert backend.insert_runs([run("n3"), keyed]) == ["n3", "k1"]
        finally:
            backend._conn.pgconn.untrace()
    parsed = [line for line in trace.read_text().splitlines() if "\tParse\t" in line]
    assert ["ON CONFLICT" in line for line in parsed] == [False, True]
    assert backend.insert_runs([run("n4"), run("k2", "hit:d-1")]) == ["n4"]
    assert backend.delivery("hit:d-1") == "k1"
