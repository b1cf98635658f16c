"""The PostgreSQL journal's transactions: few trips to the server per write batch.

``PostgresBackend`` (``_postgres``) says what a journal operation sends; this base says
how it travels. The journal's one thread runs every statement here, and a write batch is
one transaction: a delivery committed before its 202, each step before the next starts.

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

from collections.abc import Sequence
from typing import Any

from runbench.core.errors import DamagedRowError, JournalError
from runbench.core.journal._backend import Row
from runbench.core.journal._postgres_schema import (
    connect,
    ensure_schema,
    explain,
    raw_cursor,
    shown,
)
from runbench.core.journal._postgres_writes import HeldWrites


class PostgresBatch:
    """A connection to the journal's database and its write batches (see the module
    docstring); ``PostgresBackend`` adds the journal's statements."""

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

        if isinstance(exc, DamagedRowError):  # one row, not the storage: that op fails alone
            return None
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


__all__ = ["PostgresBatch"]
