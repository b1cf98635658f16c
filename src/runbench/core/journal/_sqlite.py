"""The SQLite backend of the journal: one connection, used only by the journal's thread.

WAL with synchronous=NORMAL survives a process crash (kill -9) without losing a
committed transaction; ``durable=True`` means synchronous=FULL (power loss too). The
claim is safe across processes because a write batch starts with BEGIN IMMEDIATE,
which holds SQLite's single write lock until the commit.

Read-only media: ``readonly=True`` opens with ``mode=ro``, and if SQLite cannot even
create the -shm file there, as ``immutable`` (fine for a journal nobody writes).
Statements are written once and reused (sqlite3 caches them per connection).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from runbench.core.errors import DamagedRowError, JournalError
from runbench.core.files import private_folder
from runbench.core.journal._backend import RUN_UPDATABLE, SELECT_RUNS, SELECT_STEPS, Row
from runbench.core.journal._sqlite_schema import (
    ensure_schema,
    explain,
    prepare_file,
    refuse_odd_file,
)

_RUN = SELECT_RUNS
_STEP = SELECT_STEPS
_RETURNED = (
    "id, runbook, trigger, inputs, context, overrides, status, error, message, current_step,"
    " parent_id, delivery_id, created, started, finished, crashes"
)
AUTOCHECKPOINT = 1000
"""WAL pages after which a commit checkpoints (SQLite's default), while waiting is on."""
CHECKPOINT_AFTER = 250
"""Commits made without waiting (about a lone run's step apiece, about four WAL pages
each) after which the journal's thread checkpoints the WAL, so it does not grow without
end: about AUTOCHECKPOINT pages, as SQLite itself would. A checkpoint costs about a
millisecond of CPU (its fsync) whatever it copies: after every 64 commits that was
about 15 us per step."""
_STORAGE = (sqlite3.OperationalError, sqlite3.DatabaseError)
_OP_LEVEL = (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError)


class SqliteBackend:
    """The journal's storage in one SQLite file (see the module docstring)."""

    def __init__(
        self,
        path: Path,
        *,
        durable: bool = False,
        readonly: bool = False,
        busy_timeout: float = 5.0,
    ) -> None:
        self.location = str(path)
        self.readonly = readonly
        self.busy_timeout = busy_timeout
        self._finish_statements: dict[tuple[str, ...], str] = {}
        self.durable = durable
        self._waits = True  # busy_timeout and autocheckpoint on (see begin_now)
        # commits made without waiting, and how many of them the last checkpoint covered:
        # each has one writer (commits hold the journal's connection; checkpoints run on
        # its thread alone), so neither misses a count when a commit and a checkpoint meet
        self._commits = 0
        self._checkpointed = 0
        self._checkpointer: sqlite3.Connection | None = None  # see checkpoint
        try:
            self.db = self._connect(path, durable)
            ensure_schema(self.db, self.location, readonly)
        except JournalError:
            raise
        except (sqlite3.Error, OSError) as exc:
            raise explain(exc, self.location, busy_timeout) from None

    def _connect(self, path: Path, durable: bool) -> sqlite3.Connection:
        refuse_odd_file(path)
        if self.readonly:
            return self._connect_readonly(path)
        private_folder(path.parent)
        prepare_file(path)
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        db.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        return db

    def _connect_readonly(self, path: Path) -> sqlite3.Connection:
        if not path.exists():
            raise JournalError(f"journal {path}: no such file (no runs recorded there yet)")
        uri = path.resolve().as_uri()
        try:
            db = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None)
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:  # cannot create -shm beside it: read-only media
            db = sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None)
        db.execute("PRAGMA query_only=1")
        db.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
        return db

    # -- transactions ---------------------------------------------------------------------
    def begin(self, alone: bool = False) -> None:  # noqa: ARG002 (one transaction here)
        if self.readonly:
            raise JournalError(f"journal {self.location}: opened read-only; nothing can change")
        self.db.execute("BEGIN IMMEDIATE")

    def begin_now(self) -> bool:
        """BEGIN IMMEDIATE if the write lock is free this instant; False (nothing begun)
        if another connection holds it, or if a commit would fsync (durable). For a
        caller that must not block: from here on the connection waits for no lock and
        leaves WAL checkpoints (an fsync) to :meth:`checkpoint`, until :meth:`waits`."""
        if self.readonly or self.durable:
            return False
        try:
            if self._waits:
                self._waits = False  # before: a half-done switch is undone by waits()
                self.db.execute("PRAGMA busy_timeout=0")
                self.db.execute("PRAGMA wal_autocheckpoint=0")
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error:  # locked, or worse: the journal's thread finds out which
            return False
        return True

    def waits(self) -> None:
        """Back to waiting for another process's lock (up to busy_timeout) and to
        checkpointing the WAL at commits (the journal's thread, before each batch)."""
        if not self._waits:
            self.db.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
            self.db.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT}")
            self._waits = True

    def checkpoint_due(self) -> bool:
        """Enough commits without a checkpoint that the WAL should be copied back."""
        return self._commits - self._checkpointed >= CHECKPOINT_AFTER

    def checkpoint(self) -> None:
        """Copy the WAL back into the database, waiting for nobody (PASSIVE), on a
        connection of its own: a commit made ``now`` on the journal's connection meanwhile
        does not wait for it (its fsync can take milliseconds on a busy disk)."""
        if self._checkpointer is None:
            self._checkpointer = sqlite3.connect(
                self.location, isolation_level=None, check_same_thread=False
            )
        covered = self._commits  # commits made meanwhile count towards the next one
        self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)")
        self._checkpointed = covered  # (not if it failed: still due, tried again later)

    def commit(self) -> None:
        self.db.execute("COMMIT")
        if not self._waits:
            self._commits += 1

    def rollback(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    def savepoint(self) -> None:
        self.db.execute("SAVEPOINT op")

    def release(self) -> None:
        self.db.execute("RELEASE op")

    def rollback_to(self) -> None:
        self.db.execute("ROLLBACK TO op")
        self.db.execute("RELEASE op")

    def storage_error(self, exc: BaseException) -> JournalError | None:
        if isinstance(exc, DamagedRowError):  # one row, not the storage: that op fails alone
            return None
        if isinstance(exc, JournalError):
            return exc
        if isinstance(exc, _OP_LEVEL) or not isinstance(exc, _STORAGE):
            return None
        return explain(exc, self.location, self.busy_timeout)

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.close()  # first: the last connection to close checkpoints
        self.db.close()

    # -- runs -----------------------------------------------------------------------------
    def insert_run(self, values: Mapping[str, Any]) -> bool:
        names = ", ".join(values)
        marks = ",".join("?" * len(values))
        cursor = self.db.execute(
            f"INSERT INTO runs ({names}) VALUES ({marks}) ON CONFLICT(delivery_key) DO NOTHING",
            tuple(values.values()),
        )
        return cursor.rowcount == 1

    def insert_runs(self, rows: Sequence[Mapping[str, Any]]) -> list[str]:
        """Without RETURNING: stepping through returned rows hands the GIL over once per
        row, and all of them are new but for a repeated delivery now and then. A failed
        INSERT is undone whole by SQLite (the transaction goes on)."""
        names = list(rows[0])
        one = f"({','.join('?' * len(names))})"
        cursor = self.db.execute(
            f"INSERT INTO runs ({', '.join(names)}) VALUES {','.join([one] * len(rows))}"
            " ON CONFLICT(delivery_key) DO NOTHING",
            [row[name] for row in rows for name in names],
        )
        ids = [str(row["id"]) for row in rows]
        if cursor.rowcount == len(rows):
            return ids
        marks = ",".join("?" * len(ids))
        found = self.db.execute(f"SELECT id FROM runs WHERE id IN ({marks})", ids)
        return [str(row[0]) for row in found]

    def update_run(
        self, run_id: str, values: Mapping[str, Any], statuses: Sequence[str] = ()
    ) -> int:
        unknown = set(values) - RUN_UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        sets = ", ".join(f"{name}=?" for name in values)
        where = "id=?"
        if statuses:
            where += f" AND status IN ({','.join('?' * len(statuses))})"
        cursor = self.db.execute(
            f"UPDATE runs SET {sets} WHERE {where}", (*values.values(), run_id, *statuses)
        )
        return cursor.rowcount

    def set_run(self, run_id: str, values: Mapping[str, Any]) -> None:
        self.update_run(run_id, values)

    def renew(self, owner: str, lease_until: float) -> int:
        cursor = self.db.execute(
            "UPDATE runs SET lease_until=? WHERE owner=?", (lease_until, owner)
        )
        return cursor.rowcount

    def run(self, run_id: str) -> Row | None:
        row: Row | None = self.db.execute(f"{_RUN} WHERE id=?", (run_id,)).fetchone()
        return row

    def runs_like(self, prefix: str, limit: int) -> list[Row]:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return self.db.execute(
            f"{_RUN} WHERE id LIKE ? ESCAPE '\\' LIMIT ?", (escaped + "%", limit)
        ).fetchall()

    def runs(self, limit: int, runbook: str | None, top_level: bool) -> list[Row]:
        where = ["1=1"]
        params: list[Any] = []
        if runbook is not None:
            where.append("runbook=?")
            params.append(runbook)
        if top_level:
            where.append("parent_id IS NULL")
        return self.db.execute(
            f"{_RUN} WHERE {' AND '.join(where)} ORDER BY created DESC, id DESC LIMIT ?",
            (*params, limit),
        ).fetchall()

    def children(self, run_id: str) -> list[Row]:
        return self.db.execute(f"{_RUN} WHERE parent_id=? ORDER BY created", (run_id,)).fetchall()

    def delivery(self, key: str) -> str | None:
        row = self.db.execute("SELECT id FROM runs WHERE delivery_key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def deliveries(self, keys: Sequence[str]) -> dict[str, str]:
        rows = self.db.execute(
            f"SELECT delivery_key, id FROM runs WHERE delivery_key IN ({','.join('?' * len(keys))})",
            tuple(keys),
        )
        return {str(key): str(run_id) for key, run_id in rows}

    def held(self) -> list[Row]:
        return self.db.execute(
            "SELECT id, owner, lease_until, status, crashes FROM runs WHERE owner IS NOT NULL"
        ).fetchall()

    def oldest(
        self, status: str, limit: int, runbook: str | None = None, triggers: Sequence[str] = ()
    ) -> list[Row]:
        where = "status=? AND parent_id IS NULL AND owner IS NULL"
        params: list[Any] = [status]
        if runbook is not None:
            where += " AND runbook=?"
            params.append(runbook)
        if triggers:
            where += f" AND trigger IN ({','.join('?' * len(triggers))})"
            params.extend(triggers)
        index = "runs_queue_by_runbook" if runbook is not None else "runs_queue"
        return self.db.execute(
            f"SELECT id, created, runbook, crashes FROM runs INDEXED BY {index}"
            f" WHERE {where} ORDER BY created, id LIMIT ?",
            (*params, limit),
        ).fetchall()

    def take(
        self, status: str, limit: int, values: Mapping[str, Any], unless: Sequence[str] = ()
    ) -> list[Row]:
        unknown = set(values) - RUN_UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        sets = ", ".join(f"{name}=?" for name in values)
        waiting = ""  # one statement either way: an idle claim is this and one look
        if unless:
            waiting = (
                " AND NOT EXISTS (SELECT 1 FROM runs INDEXED BY runs_queue WHERE"
                " status='interrupted' AND parent_id IS NULL AND owner IS NULL"
                f" AND trigger IN ({','.join('?' * len(unless))}))"
            )
        return self.db.execute(
            f"UPDATE runs SET {sets} WHERE id IN (SELECT id FROM runs INDEXED BY runs_queue"
            f" WHERE status=? AND parent_id IS NULL AND owner IS NULL{waiting}"
            f" ORDER BY created, id LIMIT ?) RETURNING {_RETURNED}",
            (*values.values(), status, *unless, limit),
        ).fetchall()

    def active_counts(self, statuses: Sequence[str]) -> dict[str, int]:
        marks = ",".join("?" * len(statuses))
        rows = self.db.execute(
            f"SELECT runbook, count(*) FROM runs WHERE status IN ({marks})"
            " AND parent_id IS NULL GROUP BY runbook",
            tuple(statuses),
        )
        return {str(runbook): int(n) for runbook, n in rows}

    def count(self, status: str) -> int:
        row = self.db.execute("SELECT count(*) FROM runs WHERE status=?", (status,)).fetchone()
        return int(row[0])

    def delete_finished(self, before: float, limit: int) -> int:
        ids = [
            row[0]
            for row in self.db.execute(
                "SELECT id FROM runs WHERE created < ? AND status IN ('success', 'failure')"
                " AND finished < ?"
                " LIMIT ?",
                (before, before, limit),
            )
        ]
        for table, column in (("exchanges", "run_id"), ("steps", "run_id"), ("runs", "id")):
            self.db.executemany(f"DELETE FROM {table} WHERE {column}=?", [(i,) for i in ids])
        return len(ids)

    # -- steps and exchanges ---------------------------------------------------------
    def insert_step(self, values: Row) -> None:
        self.db.execute(
            "INSERT INTO steps (run_id, seq, step, kind, base, vars, unset, loops, started)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            values,
        )

    def finish_step(self, run_id: str, seq: int, values: Mapping[str, Any]) -> None:
        names = tuple(values)
        statement = self._finish_statements.get(names)
        if statement is None:  # written once per set of columns (one, in practice)
            sets = ", ".join(f"{name}=?" for name in names)
            statement = f"UPDATE steps SET {sets} WHERE run_id=? AND seq=?"
            self._finish_statements[names] = statement
        self.db.execute(statement, (*values.values(), run_id, seq))

    def steps(self, run_id: str) -> list[Row]:
        return self.db.execute(f"{_STEP} WHERE run_id=? ORDER BY seq", (run_id,)).fetchall()

    def last_step(self, run_id: str) -> Row | None:
        row: Row | None = self.db.execute(
            f"{_STEP} WHERE run_id=? ORDER BY seq DESC LIMIT 1", (run_id,)
        ).fetchone()
        return row

    def insert_exchange(self, values: Row) -> None:
        self.db.execute(
            "INSERT INTO exchanges (run_id, step_seq, step, attempt, request, response, error,"
            " elapsed_ms) VALUES (?,?,?,?,?,?,?,?)",
            values,
        )

    def exchanges(self, run_id: str) -> list[Row]:
        return self.db.execute(
            "SELECT run_id, step_seq, step, attempt, request, response, error, elapsed_ms"
            " FROM exchanges WHERE run_id=? ORDER BY step_seq, attempt",
            (run_id,),
        ).fetchall()


__all__ = ["SqliteBackend"]
