"""The PostgreSQL backend of the journal: many `serve` instances, one queue.

``--journal postgresql://user@host/db`` puts the journal in PostgreSQL instead of a
SQLite file beside the workspace, so several `serve` processes (on one machine or many)
share runs, the queue and delivery ids. The semantics are the SQLite backend's, through
the same ``Backend`` seam; how statements travel (pipelines, held writes, early commits,
reconnecting) is ``_postgres_batch``'s, and this module says what they are.

What differs is how concurrent writers are kept apart. SQLite has one write lock;
here the claim reads its candidates with ``FOR UPDATE SKIP LOCKED`` (two instances
never wait on, or take, the same queued run) and the update that holds a run repeats
the status it expects, so a run is held by one instance at a time. Counting active runs
for ``max_concurrent`` takes a transaction-scoped advisory lock, so two claims cannot
both see room for the last slot. A delivery id is a unique key: the second instance's
insert waits for the first's commit and then does nothing, and gets the first run's id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from runbench.core.journal._backend import RUN_UPDATABLE, SELECT_RUNS, SELECT_STEPS, Row
from runbench.core.journal._postgres_batch import PostgresBatch
from runbench.core.journal._postgres_schema import CLAIM_LOCK, QUEUE_STATUSES
from runbench.core.journal._postgres_writes import TAKEN, give_back, insert_rows

_RUN = SELECT_RUNS
_ON_KEY = "ON CONFLICT (delivery_key) WHERE delivery_key IS NOT NULL DO NOTHING"
"""The unique index of delivery keys holds only rows that have one (format 3)."""


def _on_key(rows: Sequence[Mapping[str, Any]]) -> str:
    """``_ON_KEY`` for rows of which one has a delivery key, else nothing: with ON
    CONFLICT, PostgreSQL inserts every row speculatively (a check of the index first,
    then a confirming WAL record per row), a row without a key too, though none can
    conflict. Runs without a delivery id (a flood of plain webhooks, ``run``, most
    schedules) are then a plain INSERT: a WAL record per run less."""
    return _ON_KEY if any(row.get("delivery_key") is not None for row in rows) else ""


_STEP = SELECT_STEPS


def _marks(n: int) -> str:
    return ",".join(["%s"] * n)


def _queue_status(status: str) -> str:
    """A queue status as a literal: only then can the planner use the queue's partial
    indexes (they hold queued and interrupted runs only) in a prepared statement."""
    if status not in QUEUE_STATUSES:
        raise ValueError(f"not a queue status: {status!r}")
    return f"'{status}'"


class PostgresBackend(PostgresBatch):
    """The journal's storage in a PostgreSQL database (see the module docstring)."""

    COUNT_QUEUED = (
        "SELECT count(*) FROM runs WHERE status='queued' AND parent_id IS NULL AND owner IS NULL"
    )
    """Queued runs, counted from the queue's partial index (``runs_queue``): its predicate
    spelt out, so the planner may use it; with ``status=%s`` it read the whole table,
    every few seconds per instance (serve's backlog and queue-depth metric). Exact: a run
    is queued top-level with no owner, and a take given back clears its owner."""

    # -- runs -----------------------------------------------------------------------------
    def insert_run(self, values: Mapping[str, Any]) -> bool:
        names = ", ".join(values)
        inserted = self._count(
            f"INSERT INTO runs ({names}) VALUES ({_marks(len(values))}) {_on_key([values])}",
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
            found = self._last_write(f"{sql} {_on_key(rows)} RETURNING id", params)
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
        if status == "queued":  # the queue's partial index answers; not a scan of every run
            row = self._one(self.COUNT_QUEUED)
        else:
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
