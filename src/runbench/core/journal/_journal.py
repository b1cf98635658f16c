"""The run journal: every run, step and HTTP exchange, recorded where a crash keeps it.

Halo's complaint list starts with "step variables cannot be inspected after a run" and
"running and failed look alike". The journal answers both: each step is committed (with
the variables it started from) before the next one starts, so a killed process leaves a
run that shows as *interrupted* at the exact step, and ``runbench resume`` goes on from
there.

Writes never block the caller: they go to the journal's thread (``_thread``), which
commits whatever has queued up as one transaction. A caller that needs a write to be
durable awaits :meth:`Journal.committed` (the engine does before each step), which also
raises the failure of any earlier write of that run. Reads wait for the thread, so they
see every write submitted before them. Storage sits behind the ``Backend`` seam; the
queue of `serve` (claims, leases, recovery) is in ``_queue``, the writes every step
makes (its start, its end, its exchanges) in ``_steps``.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from runbench.core.errors import JournalError, RunError
from runbench.core.journal import _history as history
from runbench.core.journal._admissions import Admissions
from runbench.core.journal._backend import Backend
from runbench.core.journal._deliveries import DeliveriesMixin
from runbench.core.journal._ids import RunIds
from runbench.core.journal._owner import Owner
from runbench.core.journal._queue import QueueMixin
from runbench.core.journal._retention import RetentionMixin
from runbench.core.journal._rows import ResumePoint, RunRow
from runbench.core.journal._sqlite import SqliteBackend
from runbench.core.journal._sqlite_schema import delivery_key
from runbench.core.journal._steps import StepEnd, StepsMixin
from runbench.core.journal._thread import JournalThread
from runbench.core.journal._values import (
    DEFAULT_CAP,
    Tracker,
    capped_map,
)

DB_NAME = "runs.db"
BUSY_TIMEOUT = 5.0
"""Seconds to wait for another process's write lock before a write fails (the
environment variable RUNBENCH_BUSY_TIMEOUT overrides it)."""
T = TypeVar("T")


def new_run_id(clock: Callable[[], float] = time.time) -> str:
    """Sortable by creation time: 12 hex digits of milliseconds, then 20 random ones
    (``os.urandom``, not ``uuid``: importing uuid imports ``platform``, ~5 ms of every
    `runbench run`'s start-up)."""
    return f"{int(clock() * 1000):012x}{os.urandom(10).hex()}"


class Journal(QueueMixin, DeliveriesMixin, RetentionMixin, StepsMixin):
    """Runs, steps and exchanges in ``path`` (use :meth:`for_workspace` for the default).

    ``readonly`` opens without writing anything (``runs`` on read-only media); ``lease``
    is how long a run stays held without a renewal; ``value_cap`` caps each stored
    value; ``backend`` replaces SQLite (a callable opening a Backend)."""

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Callable[[], float] = time.time,
        durable: bool = False,
        pid: int | None = None,
        host: str | None = None,
        recover: bool = True,
        readonly: bool = False,
        busy_timeout: float | None = None,
        lease: float = 30.0,
        value_cap: int = DEFAULT_CAP,
        backend: Callable[[], Backend] | None = None,
        owner: str | None = None,
    ) -> None:
        self.path = Path(path)
        self._where = str(path)  # a database URL as given (a Path folds its "//")
        self.clock = clock
        self.readonly = readonly
        self.lease = lease
        self.value_cap = value_cap
        # ``owner``: hold runs as that process (`serve`'s worker process holds them as its server)
        self.owner = Owner.parse(owner) or Owner.current(pid, host)
        self._owner_text = self.owner.text()
        self._tracker = Tracker()

        busy = busy_timeout if busy_timeout is not None else _busy_timeout()

        def open_sqlite() -> Backend:
            return SqliteBackend(self.path, durable=durable, readonly=readonly, busy_timeout=busy)

        self._thread = JournalThread(
            backend or open_sqlite,
            name=f"runbench-journal-{self.path.name}",
            idle=None if readonly else self._renew,
            idle_every=max(0.05, lease / 3),
        )
        self._ids = RunIds(clock)
        self._admissions = Admissions(self._thread, self._admit_rows)
        if recover and not readonly:
            self.mark_interrupted()

    @classmethod
    def for_workspace(
        cls, workspace_path: str | Path, state_dir: str | Path | None = None, **kwargs: Any
    ) -> Journal:
        """The journal at ``.runbench/runs.db`` beside the workspace (or in ``state_dir``)."""
        return cls(journal_path(workspace_path, state_dir), **kwargs)

    @classmethod
    def for_reading(cls, path: str | Path, **kwargs: Any) -> Journal:
        """Open to read: normally (recovering dead runs), or read-only when the file or
        its folder cannot be written (read-only media, another user's journal)."""
        try:
            return cls(path, **kwargs)
        except JournalError as exc:
            text = str(exc)
            if "read-only" not in text and "cannot be opened" not in text:
                raise
        return cls(path, readonly=True, **kwargs)

    def close(self) -> None:
        """Commit what is pending and stop the thread."""
        self._thread.close()

    @property
    def where(self) -> str:
        """The journal's location, for messages (a database URL without its password)."""
        return self._where

    @property
    def problem(self) -> JournalError | None:
        """Why the last write batch failed, until one succeeds again (health checks)."""
        return self._thread.problem

    # -- waiting -----------------------------------------------------------------------------
    async def committed(self, run_id: str | None = None) -> None:
        """Wait until everything submitted so far is committed; raise the failure of any
        earlier write of ``run_id`` (a JournalError). With no other run being written, the
        commit may happen right here (see ``_thread``)."""
        await self._thread.acall(_nothing, now=self._tracker.runs <= 1)
        self._raise_failure(run_id)

    def sync(self, run_id: str | None = None) -> None:
        """:meth:`committed` for code without an event loop (blocks)."""
        self._thread.call(_nothing)
        self._raise_failure(run_id)

    async def call(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a method of this journal on its thread and await it (serve uses this so
        the event loop never waits on storage). Writes in it commit before it returns."""
        return await self._thread.acall(lambda _b: method(*args, **kwargs), writes=True)

    def _raise_failure(self, run_id: str | None) -> None:
        failed = self._thread.failure(run_id) if run_id is not None else None
        if failed is None:
            return
        if isinstance(failed, JournalError):
            raise failed
        raise JournalError(f"journal {self.path}: a write of run {run_id} failed: {failed}")

    def _write(
        self,
        fn: Callable[[Backend], Any],
        run_id: str | None = None,
        *,
        later: bool = False,
        deferred: bool = False,
        size: int = 0,
    ) -> None:
        self._thread.submit(
            fn, writes=True, run_id=run_id, later=later, deferred=deferred, size=size
        )

    def flush(self) -> None:
        """Hand the writes made with ``later=True`` (and deferred exchanges) to the
        journal's thread now (before a wait that is not a journal wait: a retry's back-off,
        say)."""
        self._thread.flush()

    @property
    def held_writes(self) -> int:
        """Writes made with ``later=True`` (and deferred exchanges) not handed to the
        journal's thread yet."""
        return self._thread.held

    def _read(self, fn: Callable[[Backend], T]) -> T:
        return self._thread.call(fn)

    def _change(self, fn: Callable[[Backend], T], *, atomic: bool = True) -> T:
        """A write whose result the caller needs (waits for the commit); ``atomic``: it
        takes several statements that must all happen or none."""
        return self._thread.call(fn, writes=True, atomic=atomic)

    def _lease_until(self) -> float:
        return self.clock() + self.lease

    # -- runs ------------------------------------------------------------------------------
    def create_run(
        self,
        runbook: str,
        *,
        run_id: str | None = None,
        trigger: str = "cli",
        inputs: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
        overrides: Mapping[str, Any] | None = None,
        parent_id: str | None = None,
        status: str = "running",
        delivery_id: str | None = None,
        later: bool = False,
    ) -> str:
        """A new run; ``later`` as for :meth:`finish_step` (the engine's run commits it
        with its first step's start)."""
        run_id = run_id or self._ids.new()
        values = self._new_run(
            run_id, runbook, trigger, inputs, context, overrides, parent_id, status, delivery_id
        )
        self._write(lambda b: b.insert_run(values()), run_id, later=later)
        return run_id

    def _new_run(
        self,
        run_id: str,
        runbook: str,
        trigger: str,
        inputs: Mapping[str, Any] | None,
        context: Mapping[str, Any] | None,
        overrides: Mapping[str, Any] | None,
        parent_id: str | None,
        status: str,
        delivery_id: str | None,
    ) -> Callable[[], dict[str, Any]]:
        """The row's values, encoded later on the journal thread (from copies of the
        mappings, which the caller may change meanwhile)."""
        copies = dict(inputs or {}), dict(context or {}), dict(overrides or {})
        return functools.partial(
            self._run_row,
            run_id,
            runbook,
            trigger,
            *copies,
            parent_id,
            status,
            delivery_id,
            self.clock(),
        )

    def _run_row(
        self,
        run_id: str,
        runbook: str,
        trigger: str,
        inputs: Mapping[str, Any],
        context: Mapping[str, Any],
        overrides: Mapping[str, Any],
        parent_id: str | None,
        status: str,
        delivery_id: str | None,
        now: float,
    ) -> dict[str, Any]:
        """A new run's row, encoded (on the journal thread). Columns whose value is their
        default (no overrides, no parent, a queued run's start, owner and lease) are left
        out: a batch of queued deliveries binds and copies 9 values a row, not 14 (a
        third of the journal's time per row). Rows alike leave out the same columns."""
        cap = self.value_cap
        row = {
            "id": run_id,
            "runbook": runbook,
            "trigger": trigger,
            "inputs": capped_map(inputs, cap),
            "context": capped_map(context, cap),
            "status": status,
            "delivery_id": delivery_id or None,
            "delivery_key": delivery_key(runbook, delivery_id) if delivery_id else None,
            "created": now,
        }
        if overrides:
            row["overrides"] = capped_map(overrides, cap)
        if parent_id is not None:
            row["parent_id"] = parent_id
        if status != "queued":  # held by this process from the start
            row.update(started=now, owner=self._owner_text, lease_until=now + self.lease)
        return row

    def set_status(self, run_id: str, status: str, *, current_step: str | None = None) -> None:
        """A status change by this process, which then holds the run (its lease)."""
        values: dict[str, Any] = {"status": status}
        if current_step is not None:
            values["current_step"] = current_step
        if status in ("queued", "running", "paused"):
            values.update(owner=self._owner_text, lease_until=self._lease_until())
        else:
            values.update(owner=None, lease_until=None)
        self._write(lambda b: b.set_run(run_id, values), run_id)

    def finish_run(
        self,
        run_id: str,
        status: str,
        error: str | None,
        message: str,
        *,
        later: bool = False,
        last_step: StepEnd | None = None,
    ) -> None:
        """How a run ended; ``later`` as for :meth:`finish_step`. ``last_step``: the end
        of the step that ended the run (from :meth:`step_end`), written in the same
        operation, so one commit holds both. Committed apart, a crash between them would
        leave a running run whose last step is finished with nowhere to go, and resume
        would run that step again (an end step twice, or a failed call's side effect)."""
        self._tracker.forget(run_id)
        values = {
            "status": status,
            "error": error,
            "message": message,
            "finished": self.clock(),
            "owner": None,
            "lease_until": None,
        }

        def write(b: Backend) -> None:
            if last_step is not None:
                last_step(b)
            b.set_run(run_id, values)

        self._write(write, run_id, later=later)

    def run(self, run_id: str) -> RunRow | None:
        row = self._read(lambda b: b.run(run_id))
        return None if row is None else history.run_row(row, self._where)

    def find_run(self, prefix: str) -> RunRow:
        """The run whose id is (or starts with) ``prefix``; RunError otherwise."""
        found = self.run(prefix)
        if found is not None:
            return found
        rows = self._read(lambda b: b.runs_like(prefix, 2))
        if len(rows) == 1:
            return history.run_row(rows[0], self._where)
        why = "is ambiguous" if rows else "is not in the journal"
        raise RunError(f"run '{prefix}' {why} ({self.path}); list runs with `runbench runs`")

    def runs(
        self, limit: int = 50, *, runbook: str | None = None, top_level: bool = False
    ) -> list[RunRow]:
        """Newest first; only runs of ``runbook`` if given; ``top_level`` leaves out the
        child runs that `runbook` steps started."""
        rows = self._read(lambda b: b.runs(limit, runbook, top_level))
        return [history.run_row(row, self._where) for row in rows]

    def children(self, run_id: str) -> list[RunRow]:
        rows = self._read(lambda b: b.children(run_id))
        return [history.run_row(row, self._where) for row in rows]

    # -- resume ------------------------------------------------------------------------------
    def resume_point(self, run_id: str) -> ResumePoint:
        """Where an interrupted run goes on (step None: from the runbook's start)."""
        return history.resume_point(run_id, self.steps(run_id))

    def before_step(self, run_id: str, step: str) -> ResumePoint:
        """The variables a run had just before it first ran ``step`` (for rerun from step)."""
        return history.before_step(run_id, self.steps(run_id), step)


def _busy_timeout() -> float:
    try:
        return max(0.0, float(os.environ.get("RUNBENCH_BUSY_TIMEOUT", BUSY_TIMEOUT)))
    except ValueError:
        return BUSY_TIMEOUT


def journal_path(workspace_path: str | Path, state_dir: str | Path | None = None) -> Path:
    folder = Path(state_dir) if state_dir else Path(workspace_path).resolve().parent / ".runbench"
    return folder / DB_NAME


def _nothing(_backend: Backend) -> None:
    return None


__all__ = ["DB_NAME", "Journal", "journal_path", "new_run_id"]
