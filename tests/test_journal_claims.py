"""Claims on both backends: what an idle claim costs, and that a claim whose operation
fails after taking runs gives them back at once. On PostgreSQL a claim alone in its
batch is committed as its statement returns (one trip), so going back to the start of
the operation cannot undo it: the backend puts the runs back itself."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from runbench.core.journal import Journal, open_journal
from runbench.core.journal import _queue as queue_module

RESUMED = ("serve",)


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


def execute(location: str, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """A statement on another connection, committed (``?`` markers)."""
    if location.startswith("postgresql://"):
        with psycopg.connect(location, autocommit=True) as conn:
            cursor = conn.execute(sql.replace("?", "%s"), params)
            return list(cursor.fetchall()) if cursor.description else []
    with sqlite3.connect(location) as db:
        return list(db.execute(sql, params).fetchall())


def held(location: str, *run_ids: str) -> dict[str, tuple[Any, ...]]:
    rows = execute(
        location,
        f"SELECT id, status, owner, lease_until, started FROM runs WHERE id IN"
        f" ({','.join('?' * len(run_ids))})",
        run_ids,
    )
    return {row[0]: tuple(row[1:]) for row in rows}


def test_a_claim_that_fails_after_taking_runs_gives_them_back_at_once(
    journal: Journal, location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A claim whose operation fails after its take (here: reading one run back raises,
    as a bug would); both runs it took are queued and nobody's again right away (not
    held under a lease the live process keeps renewing), and the next claim takes them
    once that is mended. (A damaged row no longer fails the claim: see below.)"""
    good, _ = journal.enqueue("r", {"n": 1})
    bad, _ = journal.enqueue("r", {"n": 2})
    assert good is not None
    assert bad is not None
    real = queue_module.history.run_row

    def failing(row: tuple[Any, ...], where: str = "") -> Any:
        if row[0] == bad:
            raise RuntimeError("reading the run back failed")
        return real(row, where)

    monkeypatch.setattr(queue_module.history, "run_row", failing)
    with pytest.raises(RuntimeError, match="reading the run back"):
        journal.claim(5, resume=RESUMED)
    queued = ("queued", None, None, None)
    assert held(location, good, bad) == {good: queued, bad: queued}
    with pytest.raises(RuntimeError, match="reading the run back"):
        journal.claim_queued(5)  # the long way (no resumes) as well
    assert held(location, good, bad) == {good: queued, bad: queued}
    monkeypatch.setattr(queue_module.history, "run_row", real)
    claimed = journal.claim(5, resume=RESUMED)
    assert sorted(claim.row.id for claim in claimed) == sorted([good, bad])
    assert {row[0] for row in held(location, good, bad).values()} == {"running"}


def test_a_claim_that_succeeds_keeps_what_it_took_in_the_next_batches(
    journal: Journal, location: str
) -> None:
    """The give-back belongs to the failed operation only: a claim that went well, and
    the batches after it, leave its runs held."""
    first, _ = journal.enqueue("r", {})
    assert [claim.row.id for claim in journal.claim(1, resume=RESUMED)] == [first]
    second, _ = journal.enqueue("r", {})
    assert [claim.row.id for claim in journal.claim(1, resume=RESUMED)] == [second]
    assert first is not None
    assert second is not None
    assert {row[0] for row in held(location, first, second).values()} == {"running"}


def claim_statements(journal: Journal, location: str) -> list[str]:
    """The statements one claim sends to the database (white box: the journal's one
    connection, traced by SQLite, or by libpq for PostgreSQL)."""
    backend: Any = journal._thread._backend
    if not location.startswith("postgresql://"):
        sent: list[str] = []
        backend.db.set_trace_callback(sent.append)
        try:
            journal.claim(8, resume=RESUMED)
        finally:
            backend.db.set_trace_callback(None)
        return [text for text in sent if text.split()[0].upper() in {"SELECT", "UPDATE"}]
    trace = Path(location.rsplit("/", 1)[1] + ".trace")
    try:
        with trace.open("w") as out:
            backend._conn.pgconn.trace(out.fileno())
            try:
                journal.claim(8, resume=RESUMED)
            finally:
                backend._conn.pgconn.untrace()
        return [line for line in trace.read_text().splitlines() if "\tBind\t" in line]
    finally:
        trace.unlink(missing_ok=True)


def test_an_idle_claim_is_the_take_and_one_look(
    journal: Journal, location: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Nothing queued: the take finds nothing, one look says no interrupted run waits,
    and the claim ends there (it took the long way before: four statements on SQLite).
    With runs queued, the claim is its take alone."""
    monkeypatch.chdir(tmp_path)
    assert len(claim_statements(journal, location)) == 2
    journal.enqueue("r", {})
    assert len(claim_statements(journal, location)) == 1
