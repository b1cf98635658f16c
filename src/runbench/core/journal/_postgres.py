"""The PostgreSQL backend of the journal: many `serve` instances, one queue.

``--journal postgresql://user@host/db`` puts the journal in PostgreSQL instead of a
SQLite file beside the workspace, so several `serve` processes (on one machine or many)
share runs, the queue and delivery ids. The semantics are the SQLite backend's, through
the same ``Backend`` seam: the journal's one thread runs every statement here, a write
batch is one transaction, a delivery is committed before its 202, each step before the
next starts.

What differs is how concurrent writers are kept apart. SQLite has one write lock;
here the claim reads its candidates with ``FOR UPDATE SKIP LOCKED`` (two instances
never wait on, or take, the same queued run) and the update that holds a run repeats
the status it expects, so a run is held by one instance at a time. Counting active runs
for ``max_concurrent`` takes a transaction-scoped advisory lock, so two claims cannot
both see room for the last slot. A delivery id is a unique key: the second instance's
insert waits for the first's commit and then does nothing, and gets the first run's id.

A write batch runs in psycopg's pipeline mode: statements whose result nobody needs
(BEGIN, savepoints, step and exchange inserts) go out without waiting for the server,
and the batch waits only where a result is read (a claim's candidates, a row count)
and at COMMIT. A single-statement commit costs one round trip instead of three, which
is most of the difference to SQLite on a busy machine, where each wait for the server
process is a trip through the scheduler.

Writes whose result nobody reads (steps, exchanges, a run's status and end: most of
a run's) are held until the next statement or the commit, and sent merged
(``_postgres_writes``) as one statement where they can be; BEGIN waits for the first
statement too, so a batch of held writes only is that statement alone, without BEGIN
and COMMIT. A claim or an intake alone in its batch is one statement too, committed as
it returns (``_last_write``): most of a run's batches are one trip to the server. A
claim committed so gives its runs back at once if its operation then fails (``_undo``),
as a rolled-back transaction would have: they need not wait for a lease to expire.

The connection is re-opened when it breaks (a database restart): the batch that saw it
break fails as a storage error (the journal reports itself unhealthy), the next one
reconnects. The schema is versioned in ``runbench_schema`` (see ``_postgres_schema``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from runbench.core.errors import JournalError
from runbench.core.journal._backend import RUN_UPDATABLE, SELECT_RUNS, SELECT_STEPS, Row
from runbench.core.journal._postgres_schema import (
    CLAIM_LOCK,
    QUEUE_STATUSES,
    connect,
    ensure_schema,
    explain,
    raw_cursor,
    shown,
)
from runbench.core.journal._postgres_writes import TAKEN, HeldWrites, give_back, insert_rows

_RUN = SELECT_RUNS
_ON_KEY = "ON CONFLICT (delivery_key) WHERE delivery_key IS NOT NULL"
"""The unique index of delivery keys holds only rows that have one (format 3)."""
_STEP = SELECT_STEPS


def _marks(n: int) -> str:
    return ",".join(["%s"] * n)


def _queue_status(status: str) -> str:
    """A queue status as a literal: only then can the planner use the queue's partial
    indexes (they hold queued and interrupted runs only) in a prepared statement."""
    if status not in QUEUE_STATUSES:
        raise ValueError(f"not a queue status: {status!r}")
    return f"'{status}'"


class PostgresBackend:
    """The journal's storage in a PostgreSQL database (see the module docstring)."""

    def __init__(self, dsn: str, *, readonly: bool = False, timeout: float = 10.0) -> None:
        self.dsn = dsn
        self.location = shown(dsn)
        self.readonly = readonly
        self.timeout = timeout
        self._conn = connect(dsn, self.location, timeout)
        self._pipeline: Any = None  # the pipeline of the write batch in progress
        self._batch: Any = None  # its context manager
        self._sender: Any = self._conn.cursor()  # for statements whose result nobody reads
        self._raw: Any = raw_cursor(self._conn)  # ... and for the held writes ($1 markers)
        self._reader: Any = self._conn.cursor()  # for statements whose result is read
        self._held = HeldWrites()  # writes that answer nothing, until the next statement
        self._in_batch = False  # between begin() and commit()/rollback()
        self._open = False  # ... and its pipeline entered (a statement needed the database)
        self._alone = False  # ... and it is one operation (see ``_last_write``)
        self._begun = False  # ... and BEGIN sent (again after a ROLLBACK to the start)
        self._marks: list[bool] = []  # savepoints: True for one at the start (none sent)
        self._early = False  # the last ``_last_write`` committed before its operation ended
        self._undo: tuple[str, list[Any]] | None = None  # gives such a claim's runs back
        try:
            ensure_schema(self._conn, self.location, readonly)
        except BaseException:
            self._conn.close()  # a refused schema must not leave the connection open
            raise

    # -- plumbing ---------------------------------------------------------------------------
    def _db(self) -> Any:
        """The connection, opened again if the last one broke."""
        if self._conn.closed or self._conn.broken:
            self._conn.close()  # a broken one still holds its socket
            self._conn = connect(self.dsn, self.location, self.timeout)
            self._sender = self._conn.cursor()
            self._raw = raw_cursor(self._conn)
            self._reader = self._conn.cursor()
        return self._conn

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Send a statement whose result nobody reads; in a write batch, without waiting.

        Always on the same cursor: making a cursor per statement (``Connection.execute``)
        cost more than the statement itself (30 us against 13 here)."""
        self._before_statement()
        self._sender.execute(sql, params)

    def _result(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Send a statement and wait for its result (row count, rows). Always on the same
        cursor, as ``_execute``: every caller reads the result before the next statement.

        A read right after a write committed early, with nothing begun or held since, is
        sent on its own too (an idle claim's look for interrupted runs): inside a
        transaction it would see the same, one trip and a COMMIT later."""
        if self._early and not self._open and not self._held:
            self._early = False
            self._db()
            return self._reader.execute(sql, params)
        self._before_statement()
        cursor = self._reader
        cursor.execute(sql, params)
        if self._pipeline is not None:
            self._pipeline.sync()
        return cursor

    def _before_statement(self) -> None:
        """In a write batch: BEGIN (once), then the held writes, so a statement sees
        every write before it (see ``_postgres_writes``)."""
        self._early = False
        self._db()
        if self._in_batch and not self._open:
            self._open = True
            self._batch = self._conn.pipeline()
            self._pipeline = self._batch.__enter__()
        if self._in_batch and not self._begun:
            self._begun = True
            self._sender.execute("BEGIN")
        if self._held:
            self._send_held()

    def _send_held(self) -> None:
        for sql, params in self._held.statements():
            self._raw.execute(sql, params)

    def _hold(self) -> HeldWrites | None:
        """Where a write that answers nothing waits; None outside a batch (sent now)."""
        return self._held if self._in_batch else None

    def _last_write(self, sql: str, params: Sequence[Any], early: bool = True) -> list[Row]:
        """A write whose rows are read, after which its operation writes nothing (a
        claim, an intake). First in a batch of that operation alone (and ``early``), it
        is sent on its own and committed by the server as it returns (the connection
        autocommits): one trip, where BEGIN, the statement and COMMIT in a pipeline are a
        wait for the result and another for the commit (``_early`` says it was). Otherwise
        it is a statement of the batch."""
        self._early = False
        if not (early and self._alone and not self._open and not self._begun and not self._held):
            return self._all(sql, params)
        self._alone = False
        self._db()
        rows = [tuple(row) for row in self._reader.execute(sql, params).fetchall()]
        self._early = True
        return rows

    def _count(self, sql: str, params: Sequence[Any] = ()) -> int:
        return int(self._result(sql, params).rowcount)

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return [tuple(row) for row in self._result(sql, params).fetchall()]

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row = self._result(sql, params).fetchone()
        return None if row is None else tuple(row)

    # -- transactions ---------------------------------------------------------------------
    def begin(self, alone: bool = False) -> None:
        """A write batch; BEGIN waits for the first statement that needs it (a batch of
        held writes only is one statement, atomic on its own)."""
        if self.readonly:
            raise JournalError(f"journal {self.location}: opened read-only; nothing can change")
        if self._undo is not None:  # a failed claim's give-back that could not be sent
            self._give_back()
        self._early = False
        self._in_batch = True
        self._alone = alone

    def commit(self) -> None:
        self._marks.clear()
        self._alone = False
        self._commit()
        self._undo = None  # the operation that took runs early ended, or gave them back

    def _commit(self) -> None:
        if not self._open:
            held = self._held.statements()
            if len(held) == 1:  # one statement, waited for: committed when it returns
                self._in_batch = False
                self._db()
                self._raw.execute(*held[0])
                return
            for statement in held:
                self._before_statement()  # BEGIN first
                self._raw.execute(*statement)
        self._in_batch = False
        if not self._open:
            return  # nothing was written
        if self._held:
            self._before_statement()
        if self._begun:
            self._sender.execute("COMMIT")
        self._open = self._begun = False
        batch, self._batch, self._pipeline = self._batch, None, None
        if batch is not None:
            batch.__exit__(None, None, None)  # waits for every result; raises the first error

    def rollback(self) -> None:
        self._early = False
        self._held.clear()
        self._marks.clear()
        self._alone = False
        self._in_batch = self._open = self._begun = False
        batch, self._batch, self._pipeline = self._batch, None, None
        if batch is not None:
            try:
                batch.__exit__(None, None, None)
            except Exception:  # the error being rolled back, again
                pass
        if not self._conn.closed and not self._conn.broken and self._conn.info.transaction_status:
            self._conn.execute("ROLLBACK")
        if self._undo is not None:
            self._give_back()

    def _give_back(self) -> None:
        """Send ``_undo`` on its own (committed as it returns); kept for the next batch
        if the connection fails meanwhile (a JournalError for this one)."""
        assert self._undo is not None
        self._db()
        self._reader.execute(*self._undo)
        self._undo = None

    def savepoint(self) -> None:
        """Nothing is sent for a savepoint at the start of the transaction (most claims
        and intakes: alone in their batch): going back to it is a ROLLBACK."""
        at_start = not self._begun and not self._held
        self._marks.append(at_start)
        if not at_start:
            self._execute("SAVEPOINT op")

    def release(self) -> None:
        if not self._marks.pop():
            self._execute("RELEASE SAVEPOINT op")
        elif not self._marks:
            self._undo = None  # the operation ended well: what it took early stays taken

    def rollback_to(self) -> None:
        self._held.clear()  # held since the savepoint (it sent those before it)
        at_start = self._marks.pop()
        if not at_start:
            self._execute("ROLLBACK TO SAVEPOINT op")
            self._execute("RELEASE SAVEPOINT op")
        elif self._begun:  # everything since BEGIN goes; the next statement begins again
            self._sender.execute("ROLLBACK")
            self._begun = False
        if at_start and not self._marks and self._undo is not None:
            self._execute(*self._undo)  # what was committed early goes back with the batch

    def storage_error(self, exc: BaseException) -> JournalError | None:
        import psycopg

        if isinstance(exc, JournalError):
            return exc
        if isinstance(exc, (psycopg.errors.IntegrityError, psycopg.ProgrammingError)):
            if not isinstance(exc, psycopg.errors.InsufficientPrivilege):
                return None
        if not isinstance(exc, psycopg.Error):
            return None
        return explain(exc, self.location)

    def close(self) -> None:
        self._conn.close()

    # -- runs -----------------------------------------------------------------------------
    def insert_run(self, values: Mapping[str, Any]) -> bool:
        names = ", ".join(values)
        inserted = self._count(
            f"INSERT INTO runs ({names}) VALUES ({_marks(len(values))}) {_ON_KEY} DO NOTHING",
            tuple(values.values()),
        )
        return inserted == 1

    def insert_runs(self, rows: Sequence[Mapping[str, Any]]) -> list[str]:
        """One INSERT whose text does not depend on how many rows it carries (see
        ``insert_rows``): psycopg converts it once and the server plans it once, where a
        VALUES list per batch size cost more client CPU than the rest of the intake.
        Under a savepoint (pipelined: no wait), so a failed INSERT leaves the transaction
        usable, as SQLite's does."""
        sql, params = insert_rows("runs", rows)
        self.savepoint()
        try:
            found = self._last_write(f"{sql} {_ON_KEY} DO NOTHING RETURNING id", params)
        except Exception as exc:
            if self.storage_error(exc) is None:
                self.rollback_to()
            raise
        self.release()
        return [str(row[0]) for row in found]

    def update_run(
        self, run_id: str, values: Mapping[str, Any], statuses: Sequence[str] = ()
    ) -> int:
        unknown = set(values) - RUN_UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        sets = ", ".join(f"{name}=%s" for name in values)
        where = "id=%s"
        if statuses:
            where += f" AND status IN ({_marks(len(statuses))})"
        return self._count(
            f"UPDATE runs SET {sets} WHERE {where}", (*values.values(), run_id, *statuses)
        )

    def set_run(self, run_id: str, values: Mapping[str, Any]) -> None:
        unknown = set(values) - RUN_UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        held = self._hold()
        if held is not None:
            held.set_run(run_id, values)
            return
        sets = ", ".join(f"{name}=%s" for name in values)
        self._execute(f"UPDATE runs SET {sets} WHERE id=%s", (*values.values(), run_id))

    def renew(self, owner: str, lease_until: float) -> int:
        return self._count("UPDATE runs SET lease_until=%s WHERE owner=%s", (lease_until, owner))

    def run(self, run_id: str) -> Row | None:
        return self._one(f"{_RUN} WHERE id=%s", (run_id,))

    def runs_like(self, prefix: str, limit: int) -> list[Row]:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return self._all(f"{_RUN} WHERE id LIKE %s ESCAPE '\\' LIMIT %s", (escaped + "%", limit))

    def runs(self, limit: int, runbook: str | None, top_level: bool) -> list[Row]:
        where = ["TRUE"]
        params: list[Any] = []
        if runbook is not None:
            where.append("runbook=%s")
            params.append(runbook)
        if top_level:
            where.append("parent_id IS NULL")
        return self._all(
            f"{_RUN} WHERE {' AND '.join(where)} ORDER BY created DESC, id DESC LIMIT %s",
            (*params, limit),
        )

    def children(self, run_id: str) -> list[Row]:
        return self._all(f"{_RUN} WHERE parent_id=%s ORDER BY created", (run_id,))

    def delivery(self, key: str) -> str | None:
        row = self._one("SELECT id FROM runs WHERE delivery_key=%s", (key,))
        return None if row is None else str(row[0])

    def deliveries(self, keys: Sequence[str]) -> dict[str, str]:
        rows = self._all(
            f"SELECT delivery_key, id FROM runs WHERE delivery_key IN ({_marks(len(keys))})",
            tuple(keys),
        )
        return {str(key): str(run_id) for key, run_id in rows}

    def held(self) -> list[Row]:
        return self._all(
            "SELECT id, owner, lease_until, status, crashes FROM runs WHERE owner IS NOT NULL"
        )

    def oldest(
        self, status: str, limit: int, runbook: str | None = None, triggers: Sequence[str] = ()
    ) -> list[Row]:
        """Candidates for a claim: rows another instance is claiming are skipped, and
        the ones returned stay locked until this transaction ends."""
        where = f"status={_queue_status(status)} AND parent_id IS NULL AND owner IS NULL"
        params: list[Any] = []
        if runbook is not None:
            where += " AND runbook=%s"
            params.append(runbook)
        if triggers:
            where += f" AND trigger IN ({_marks(len(triggers))})"
            params.extend(triggers)
        return self._all(
            f"SELECT id, created, runbook, crashes FROM runs WHERE {where}"
            " ORDER BY created, id LIMIT %s FOR UPDATE SKIP LOCKED",
            (*params, min(limit, 2**31 - 1)),
        )

    def take(
        self, status: str, limit: int, values: Mapping[str, Any], unless: Sequence[str] = ()
    ) -> list[Row]:
        """One statement, ``unless`` included: a claim is one trip to the server (and
        its commit), where the look for interrupted runs first was another.

        The LIMIT is a literal (one text per count, 1 to the worker count): with a
        parameter there (or an expression), a generic plan guesses a tenth of the queue
        for it, and once statistics say the queue is long (an autoanalyze during a
        flood) that plan joins the runs it takes to a scan of the whole table, every
        claim: 22 ms at 38k runs against 0.1. ``unless`` is a one-time filter."""
        unknown = set(values) - RUN_UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        sets = ", ".join(f"{name}=%s" for name in values)
        params: list[Any] = list(values.values())
        waiting = ""
        if unless:
            waiting = (
                " AND NOT EXISTS (SELECT 1 FROM runs WHERE status='interrupted'"
                " AND parent_id IS NULL AND owner IS NULL"
                f" AND trigger IN ({_marks(len(unless))}))"
            )
            params.extend(unless)
        count = max(0, min(int(limit), 2**31 - 1))
        rows = self._last_write(
            f"UPDATE runs SET {sets} WHERE id IN (SELECT id FROM runs"
            f" WHERE status={_queue_status(status)}"
            f" AND parent_id IS NULL AND owner IS NULL{waiting} ORDER BY created, id"
            f" LIMIT {count} FOR UPDATE SKIP LOCKED) RETURNING id, runbook, trigger, inputs,"
            " context, overrides, status, error, message, current_step, parent_id,"
            " delivery_id, created, started, finished, crashes",
            params,
            early=status == "queued" and set(values) <= TAKEN,
        )
        if self._early and rows:
            self._undo = give_back(values, [row[0] for row in rows])
        return rows

    def active_counts(self, statuses: Sequence[str]) -> dict[str, int]:
        if self._in_batch:  # in a claim: one counter at a time
            self._execute("SELECT pg_advisory_xact_lock(%s)", (CLAIM_LOCK,))
        rows = self._all(
            f"SELECT runbook, count(*) FROM runs WHERE status IN ({_marks(len(statuses))})"
            " AND parent_id IS NULL GROUP BY runbook",
            tuple(statuses),
        )
        return {str(runbook): int(n) for runbook, n in rows}

    def count(self, status: str) -> int:
        row = self._one("SELECT count(*) FROM runs WHERE status=%s", (status,))
        return 0 if row is None else int(row[0])

    def delete_finished(self, before: float, limit: int) -> int:
        ids = [
            row[0]
            for row in self._all(
                "SELECT id FROM runs WHERE created < %s AND status IN ('success', 'failure')"
                " AND finished < %s"
                " LIMIT %s",
                (before, before, limit),
            )
        ]
        for table, column in (("exchanges", "run_id"), ("steps", "run_id"), ("runs", "id")):
            self._execute(f"DELETE FROM {table} WHERE {column} = ANY(%s)", (ids,))
        return len(ids)

    # -- steps and exchanges ---------------------------------------------------------
    def insert_step(self, values: Row) -> None:
        held = self._hold()
        if held is not None:
            held.start_step(values)
            return
        self._execute(
            "INSERT INTO steps (run_id, seq, step, kind, base, vars, unset, loops, started)"
            f" VALUES ({_marks(9)})",
            values,
        )

    def finish_step(self, run_id: str, seq: int, values: Mapping[str, Any]) -> None:
        held = self._hold()
        if held is not None:
            held.finish_step(run_id, seq, values)
            return
        sets = ", ".join(f"{name}=%s" for name in values)
        self._execute(
            f"UPDATE steps SET {sets} WHERE run_id=%s AND seq=%s", (*values.values(), run_id, seq)
        )

    def steps(self, run_id: str) -> list[Row]:
        return self._all(f"{_STEP} WHERE run_id=%s ORDER BY seq", (run_id,))

    def last_step(self, run_id: str) -> Row | None:
        return self._one(f"{_STEP} WHERE run_id=%s ORDER BY seq DESC LIMIT 1", (run_id,))

    def insert_exchange(self, values: Row) -> None:
        held = self._hold()
        if held is not None:
            held.add_exchange(values)
            return
        self._execute(
            "INSERT INTO exchanges (run_id, step_seq, step, attempt, request, response, error,"
            f" elapsed_ms) VALUES ({_marks(8)})",
            values,
        )

    def exchanges(self, run_id: str) -> list[Row]:
        return self._all(
            "SELECT run_id, step_seq, step, attempt, request, response, error, elapsed_ms"
            " FROM exchanges WHERE run_id=%s ORDER BY step_seq, attempt",
            (run_id,),
        )


__all__ = ["PostgresBackend"]
