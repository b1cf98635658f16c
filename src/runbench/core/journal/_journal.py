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
queue of `serve` (claims, leases, recovery) is in ``_queue``.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from runbench.core.errors import JournalError, RunError
from runbench.core.journal import _history as history
from runbench.core.journal._admissions import Admissions
from runbench.core.journal._backend import Backend
from runbench.core.journal._ids import RunIds
from runbench.core.journal._owner import Owner
from runbench.core.journal._queue import QueueMixin
from runbench.core.journal._retention import RetentionMixin
from runbench.core.journal._rows import ExchangeRow, ResumePoint, RunRow, StepRow
from runbench.core.journal._sqlite import SqliteBackend
from runbench.core.journal._sqlite_schema import delivery_key
from runbench.core.journal._thread import JournalThread
from runbench.core.journal._values import (
    DEFAULT_CAP,
    Redacts,
    Tracker,
    capped_map,
    dumps,
    redacted_loops,
    redacted_map,
)

DB_NAME = "runs.db"
BUSY_TIMEOUT = 5.0
"""Seconds to wait for another process's write lock before a write fails (the
environment variable RUNBENCH_BUSY_TIMEOUT overrides it)."""
T = TypeVar("T")
StepEnd = Callable[[Backend], None]
"""A step's end, built and not yet written (see :meth:`Journal.step_end`)."""


def new_run_id(clock: Callable[[], float] = time.time) -> str:
    """Sortable by creation time: 12 hex digits of milliseconds, then 20 random ones."""
    return f"{int(clock() * 1000):012x}{uuid.uuid4().hex[:20]}"


class Journal(QueueMixin, RetentionMixin):
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
        self, fn: Callable[[Backend], Any], run_id: str | None = None, *, later: bool = False
    ) -> None:
        self._thread.submit(fn, writes=True, run_id=run_id, later=later)

    def flush(self) -> None:
        """Hand the writes made with ``later=True`` to the journal's thread now (before a
        wait that is not a journal wait: a retry's back-off, say)."""
        self._thread.flush()

    @property
    def held_writes(self) -> int:
        """Writes made with ``later=True`` not handed to the journal's thread yet."""
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
        """The row's values, encoded later on the journal thread."""
        now = self.clock()
        held = status != "queued"
        inputs, context, overrides = dict(inputs or {}), dict(context or {}), dict(overrides or {})
        cap = self.value_cap

        def encode() -> dict[str, Any]:
            return {
                "id": run_id,
                "runbook": runbook,
                "trigger": trigger,
                "inputs": capped_map(inputs, cap),
                "context": capped_map(context, cap),
                "overrides": capped_map(overrides, cap),
                "status": status,
                "parent_id": parent_id,
                "delivery_id": delivery_id or None,
                "delivery_key": delivery_key(runbook, delivery_id) if delivery_id else None,
                "created": now,
                "started": now if held else None,
                "owner": self._owner_text if held else None,
                "lease_until": now + self.lease if held else None,
            }

        return encode

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
        return None if row is None else history.run_row(row)

    def find_run(self, prefix: str) -> RunRow:
        """The run whose id is (or starts with) ``prefix``; RunError otherwise."""
        found = self.run(prefix)
        if found is not None:
            return found
        rows = self._read(lambda b: b.runs_like(prefix, 2))
        if len(rows) == 1:
            return history.run_row(rows[0])
        why = "is ambiguous" if rows else "is not in the journal"
        raise RunError(f"run '{prefix}' {why} ({self.path}); list runs with `runbench runs`")

    def runs(
        self, limit: int = 50, *, runbook: str | None = None, top_level: bool = False
    ) -> list[RunRow]:
        """Newest first; only runs of ``runbook`` if given; ``top_level`` leaves out the
        child runs that `runbook` steps started."""
        rows = self._read(lambda b: b.runs(limit, runbook, top_level))
        return [history.run_row(row) for row in rows]

    def children(self, run_id: str) -> list[RunRow]:
        return [history.run_row(row) for row in self._read(lambda b: b.children(run_id))]

    # -- steps -------------------------------------------------------------------------------
    def start_step(
        self,
        run_id: str,
        seq: int,
        step: str,
        kind: str,
        variables: Mapping[str, Any],
        loops: Mapping[str, Any],
        *,
        redact: Redacts | None = None,
        later: bool = False,
    ) -> None:
        """Record that ``step`` starts, with the variables it starts from (as changes).

        ``redact`` blanks secrets in what is stored; pass the run's *real* variables and
        loops: changes are found by identity, and only the changed values are redacted
        (redacting the whole map first would copy every value at every step). ``later``
        as for :meth:`finish_step`."""
        row = self._step_row(run_id, seq, step, kind, variables, loops, redact)
        self._write(row, run_id, later=later)

    async def begin_step(
        self,
        run_id: str,
        seq: int,
        step: str,
        kind: str,
        variables: Mapping[str, Any],
        loops: Mapping[str, Any],
        *,
        redact: Redacts | None = None,
    ) -> None:
        """:meth:`start_step`, then wait until it (and all before it) is committed: one
        trip to the journal's thread instead of two (the engine's step barrier), or none
        when no other run is being written (see ``_thread``: a lone run's commit is
        quicker here than a hand-over)."""
        insert = self._step_row(run_id, seq, step, kind, variables, loops, redact)
        await self._thread.acall(insert, writes=True, now=self._tracker.runs <= 1)
        self._raise_failure(run_id)

    def _step_row(
        self,
        run_id: str,
        seq: int,
        step: str,
        kind: str,
        variables: Mapping[str, Any],
        loops: Mapping[str, Any],
        redact: Redacts | None,
    ) -> Callable[[Backend], None]:
        change = self._tracker.step_started(run_id, variables, loops)
        now = self.clock()
        cap = self.value_cap

        def insert(b: Backend) -> None:  # redacted here, off the event loop
            variables: Mapping[str, Any] = change.variables
            loops: Mapping[str, Any] = change.loops
            if redact is not None:
                variables = redacted_map(variables, redact) if variables else variables
                loops = redacted_loops(loops, redact) if loops else loops
            unset = dumps(change.unset) if change.unset else None
            b.insert_step(
                (
                    run_id,
                    seq,
                    step,
                    kind,
                    int(change.base),
                    capped_map(variables, cap),
                    unset,
                    _capped_loops(loops, cap) if loops else "{}",
                    now,
                )
            )

        return insert

    def finish_step(self, run_id: str, seq: int, *, later: bool = False, **end: Any) -> None:
        """Record how step ``seq`` ended: :meth:`step_end`'s arguments (``end``), written
        now. A run's current step is derived from its last step row, so this is the only
        write a step end needs. ``later``: hand it over with the next journal operation (a
        wait for a commit follows: see ``_thread``)."""
        self.write_step_end(run_id, self.step_end(run_id, seq, **end), later=later)

    def write_step_end(self, run_id: str, end: StepEnd, *, later: bool = False) -> None:
        """Write a step's end built by :meth:`step_end` (``later`` as for finish_step)."""
        self._write(end, run_id, later=later)

    def step_end(
        self,
        run_id: str,
        seq: int,
        *,
        edge: str | None,
        target: str | None,
        duration_ms: float,
        outputs: Mapping[str, Any],
        error: str | None,
        loops: Mapping[str, Any] | None = None,
        redact: Redacts | None = None,
        redacted: Mapping[str, Any] | None = None,
    ) -> StepEnd:
        """A step's end, not written yet (real ``outputs`` and ``loops``, as for
        :meth:`start_step`; ``redacted``: the outputs as ``redact`` blanks them, if the
        caller made that already): :meth:`finish_step` writes it; for the step that ends a
        run it goes with the run's end (see :meth:`finish_run`). The run's change tracker takes
        the step in now, as the write is built; a run whose end then fails to be written
        is abandoned (``finish_run`` forgets its tracker), so that loses nothing."""
        outputs = dict(outputs)
        loops_delta: Mapping[str, Any] | None = self._tracker.step_finished(run_id, outputs, loops)
        cap = self.value_cap
        stored: Mapping[str, Any] = outputs
        if redact is not None:  # outputs are few: redacted now (unless they were already)
            stored = redacted if redacted is not None else redacted_map(outputs, redact)
            if loops_delta is not None:
                loops_delta = redacted_loops(loops_delta, redact)

        def update(b: Backend) -> None:
            b.finish_step(
                run_id,
                seq,
                {
                    "edge": edge,
                    "target": target,
                    "duration_ms": duration_ms,
                    "outputs": capped_map(stored, cap),
                    "error": error,
                    "loops_after": None if loops_delta is None else _capped_loops(loops_delta, cap),
                    "finished": 1,
                },
            )

        return update

    def steps(self, run_id: str) -> list[StepRow]:
        return history.step_rows(self._read(lambda b: b.steps(run_id)))

    def add_exchange(
        self,
        run_id: str,
        step_seq: int,
        step: str,
        attempt: int,
        record: Mapping[str, Any],
        *,
        later: bool = False,
    ) -> None:
        """One HTTP attempt; ``record`` is Exchange.to_dict() (already redacted);
        ``later`` as for :meth:`finish_step`."""
        request, response = record.get("request"), record.get("response")
        error, elapsed = record.get("error"), record.get("elapsed_ms")
        cap = self.value_cap

        def insert(b: Backend) -> None:
            b.insert_exchange(
                (
                    run_id,
                    step_seq,
                    step,
                    attempt,
                    dumps(_capped_body(request, cap)),
                    dumps(_capped_body(response, cap)),
                    error,
                    elapsed,
                )
            )

        self._write(insert, run_id, later=later)

    def exchanges(self, run_id: str) -> list[ExchangeRow]:
        return [history.exchange_row(row) for row in self._read(lambda b: b.exchanges(run_id))]

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


def _capped_loops(loops: Mapping[str, Any], cap: int) -> str:
    """Loop states (or their changes) with each value capped; None: the loop ended."""
    parts = [
        f"{dumps(str(name))}:{'null' if state is None else capped_map(state, cap)}"
        for name, state in loops.items()
    ]
    return "{" + ",".join(parts) + "}"


def _capped_body(part: Any, cap: int) -> Any:
    """A request/response record with its body cut at ``cap`` (and the original size)."""
    if not isinstance(part, dict) and not isinstance(part, Mapping):  # dict: no ABC check
        return part
    body = part.get("body")
    if not isinstance(body, str) or len(body) <= cap:
        return part
    return {**part, "body": body[:cap], "body_truncated": len(body)}


__all__ = ["DB_NAME", "Journal", "journal_path", "new_run_id"]
