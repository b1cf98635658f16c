"""The storage seam: what the journal needs from a database, and nothing more.

``Journal`` owns the semantics (JSON, caps, changes per step, leases, claims, batching
on its own thread); a backend only runs statements. Today that is SQLite
(``_sqlite.SqliteBackend``); PostgreSQL implements the same protocol, with the claim as
``SELECT ... FOR UPDATE SKIP LOCKED`` where SQLite takes the write lock for the batch.

Every method is called from the journal's one thread, inside a transaction the journal
opened with :meth:`Backend.begin` (writes) or outside one (reads). Rows come back as
tuples in the column orders below, with JSON still as text: decoding belongs to the
journal so that every backend hands out the same values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from runbench.core.errors import JournalError

RUN_FIELDS = (
    "id",
    "runbook",
    "trigger",
    "inputs",
    "context",
    "overrides",
    "status",
    "error",
    "message",
    "current_step",
    "parent_id",
    "delivery_id",
    "created",
    "started",
    "finished",
    "crashes",
)
"""Columns of a run row; ``current_step`` is the step of its last step row if it has one."""

STEP_FIELDS = (
    "run_id",
    "seq",
    "step",
    "kind",
    "base",
    "vars",
    "unset",
    "loops",
    "outputs",
    "loops_after",
    "edge",
    "target",
    "started",
    "duration_ms",
    "error",
    "finished",
)
EXCHANGE_FIELDS = (
    "run_id",
    "step_seq",
    "step",
    "attempt",
    "request",
    "response",
    "error",
    "elapsed_ms",
)
RUN_UPDATABLE = frozenset(
    {
        "status",
        "error",
        "message",
        "current_step",
        "started",
        "finished",
        "owner",
        "lease_until",
        "crashes",
    }
)

Row = tuple[Any, ...]

_CURRENT_STEP = (
    "COALESCE((SELECT CASE WHEN s.finished = 1 AND s.target IS NOT NULL THEN s.target"
    " ELSE s.step END FROM steps s WHERE s.run_id = runs.id ORDER BY s.seq DESC LIMIT 1),"
    " current_step)"
)
SELECT_RUNS = (
    "SELECT id, runbook, trigger, inputs, context, overrides, status, error, message, "
    + _CURRENT_STEP
    + ", parent_id, delivery_id, created, started, finished, crashes FROM runs"
)
"""RUN_FIELDS in order, in SQL both backends speak (add WHERE ... in their placeholders)."""
SELECT_STEPS = (
    "SELECT run_id, seq, step, kind, base, vars, unset, loops, outputs, loops_after, edge,"
    " target, started, duration_ms, error, finished FROM steps"
)


class Backend(Protocol):
    """One connection to the journal's storage."""

    location: str
    readonly: bool

    # -- transactions -------------------------------------------------------------------
    def begin(self, alone: bool = False) -> None:
        """Start a write transaction (holding the write lock until commit). ``alone``:
        the batch is one operation, so a write after which that operation writes
        nothing (a claim's ``take``, ``insert_runs``) may be committed as it is made."""

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def savepoint(self) -> None:
        """Mark a point to undo one multi-statement operation without the batch."""

    def release(self) -> None: ...

    def rollback_to(self) -> None: ...

    def storage_error(self, exc: BaseException) -> JournalError | None:
        """``exc`` as a JournalError when the storage failed (locked, full, read-only,
        corrupt): the whole batch fails. None: the operation alone failed."""

    def close(self) -> None: ...

    # -- runs -----------------------------------------------------------------------------
    def insert_run(self, values: Mapping[str, Any]) -> bool:
        """A new run row; False (and nothing written) when its delivery_key exists."""

    def insert_runs(self, rows: Sequence[Mapping[str, Any]]) -> list[str]:
        """Many new run rows (the same columns each) in one statement; the ids of those
        inserted (a row whose delivery_key exists, or repeats an earlier row's, is not).
        If it raises (not a storage error), it wrote nothing and the transaction goes on."""

    def update_run(
        self, run_id: str, values: Mapping[str, Any], statuses: Sequence[str] = ()
    ) -> int:
        """Set RUN_UPDATABLE columns; only if the status is in ``statuses`` when given.
        How many rows changed (a claim or a recovery decides on it)."""

    def set_run(self, run_id: str, values: Mapping[str, Any]) -> None:
        """Set RUN_UPDATABLE columns, whatever the status, and tell nothing back: a
        backend across a network need not wait for the server here (status changes
        and run ends, most of a run's writes)."""

    def renew(self, owner: str, lease_until: float) -> int:
        """Move the lease of every run ``owner`` holds."""

    def run(self, run_id: str) -> Row | None: ...

    def runs_like(self, prefix: str, limit: int) -> list[Row]: ...

    def runs(self, limit: int, runbook: str | None, top_level: bool) -> list[Row]:
        """Newest first."""

    def children(self, run_id: str) -> list[Row]: ...

    def delivery(self, key: str) -> str | None:
        """The id of the run with this delivery key."""

    def deliveries(self, keys: Sequence[str]) -> dict[str, str]:
        """delivery_key -> run id, for those of ``keys`` that exist."""

    def held(self) -> list[Row]:
        """(id, owner, lease_until, status, crashes) of every run someone holds (the few
        active ones: finished, queued-for-anyone and interrupted runs have no owner)."""

    def oldest(
        self, status: str, limit: int, runbook: str | None = None, triggers: Sequence[str] = ()
    ) -> list[Row]:
        """(id, created, runbook, crashes) of top-level runs in ``status`` that nobody
        holds, oldest first, of one runbook if given, of these triggers if given (an
        index serves this)."""

    def take(
        self, status: str, limit: int, values: Mapping[str, Any], unless: Sequence[str] = ()
    ) -> list[Row]:
        """Set ``values`` on the ``limit`` oldest top-level runs in ``status`` that nobody
        holds, and return them (RUN_FIELDS, any order): a claim in one statement.
        ``unless``: take none while an interrupted run of one of these triggers waits
        (it goes first; the caller then claims it the long way)."""

    def active_counts(self, statuses: Sequence[str]) -> dict[str, int]:
        """Top-level runs per runbook in ``statuses``."""

    def count(self, status: str) -> int: ...

    def delete_finished(self, before: float, limit: int) -> int:
        """Delete up to ``limit`` runs that finished (success/failure) before ``before``,
        with their steps and exchanges; how many runs went."""

    # -- steps and exchanges ---------------------------------------------------------
    def insert_step(self, values: Row) -> None:
        """STEP_FIELDS up to ``started`` (run_id .. started)."""

    def finish_step(self, run_id: str, seq: int, values: Mapping[str, Any]) -> None:
        """How a step ended; tells nothing back (see :meth:`set_run`)."""

    def steps(self, run_id: str) -> list[Row]: ...

    def last_step(self, run_id: str) -> Row | None: ...

    def insert_exchange(self, values: Row) -> None: ...

    def exchanges(self, run_id: str) -> list[Row]: ...


@runtime_checkable
class NoWaitBackend(Protocol):
    """A backend whose commits may run on a thread that must not block (SQLite's, in
    process and without an fsync): the journal's thread uses these when it has them."""

    def begin_now(self) -> bool:
        """Begin a write transaction if that needs no wait; False (nothing begun) if not.
        The connection then waits for nothing until :meth:`waits`."""

    def waits(self) -> None:
        """Wait for locks and checkpoint again (the journal's thread's own batches)."""

    def checkpoint_due(self) -> bool:
        """Commits without waiting have grown the log enough for :meth:`checkpoint`."""

    def checkpoint(self) -> None: ...


__all__ = [
    "EXCHANGE_FIELDS",
    "RUN_FIELDS",
    "RUN_UPDATABLE",
    "SELECT_RUNS",
    "SELECT_STEPS",
    "STEP_FIELDS",
    "Backend",
    "NoWaitBackend",
    "Row",
]
