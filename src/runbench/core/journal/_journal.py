"""The run journal: every run, step and HTTP exchange in one SQLite file.

Halo's complaint list starts with "step variables cannot be inspected after a run" and
"running and failed look alike". The journal answers both: each step is committed (with
the variables it started from) before the next one starts, so a killed process leaves a
run that shows as *interrupted* at the exact step, and ``runbench resume`` goes on from
there. WAL mode with synchronous=NORMAL survives a process crash (kill -9) without losing
a committed step; pass ``durable=True`` for synchronous=FULL (power loss too).

One connection, guarded by a lock, serves every thread: writes are single short
transactions, cheap enough to do inline on the event loop (measured in
benchmarks/bench_engine.py).
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runbench.core.errors import RunError

DB_NAME = "runs.db"
ACTIVE = ("running", "paused")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, runbook TEXT NOT NULL, trigger TEXT NOT NULL DEFAULT 'cli',
    inputs TEXT NOT NULL DEFAULT '{}', context TEXT NOT NULL DEFAULT '{}',
    overrides TEXT NOT NULL DEFAULT '{}', status TEXT NOT NULL, error TEXT, message TEXT,
    current_step TEXT, parent_id TEXT, delivery_id TEXT UNIQUE, created REAL NOT NULL,
    started REAL, finished REAL, owner_pid INTEGER, owner_host TEXT
);
CREATE INDEX IF NOT EXISTS runs_status ON runs(status);
CREATE INDEX IF NOT EXISTS runs_created ON runs(created);
CREATE INDEX IF NOT EXISTS runs_runbook ON runs(runbook, created);
CREATE TABLE IF NOT EXISTS steps (
    run_id TEXT NOT NULL, seq INTEGER NOT NULL, step TEXT NOT NULL, kind TEXT NOT NULL,
    variables_before TEXT NOT NULL, loops_before TEXT NOT NULL DEFAULT '{}',
    outputs TEXT, loops_after TEXT, edge TEXT, target TEXT, started REAL NOT NULL,
    duration_ms REAL, error TEXT, finished INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS exchanges (
    run_id TEXT NOT NULL, step_seq INTEGER NOT NULL, attempt INTEGER NOT NULL,
    request TEXT, response TEXT, error TEXT, elapsed_ms REAL, step TEXT,
    PRIMARY KEY (run_id, step_seq, attempt)
) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class RunRow:
    id: str
    runbook: str
    trigger: str
    inputs: dict[str, Any]
    context: dict[str, Any]
    overrides: dict[str, Any]
    status: str
    error: str | None
    message: str | None
    current_step: str | None
    parent_id: str | None
    delivery_id: str | None
    created: float
    started: float | None
    finished: float | None

    @property
    def duration(self) -> float | None:
        if self.started is None or self.finished is None:
            return None
        return self.finished - self.started


QueuedRun = RunRow


@dataclass(frozen=True)
class StepRow:
    run_id: str
    seq: int
    step: str
    kind: str
    variables_before: dict[str, Any]
    loops_before: dict[str, Any]
    outputs: dict[str, Any]
    loops_after: dict[str, Any] | None
    edge: str | None
    target: str | None
    started: float
    duration_ms: float | None
    error: str | None
    finished: bool


@dataclass(frozen=True)
class ExchangeRow:
    run_id: str
    step_seq: int
    step: str
    attempt: int
    request: Any
    response: Any
    error: str | None
    elapsed_ms: float | None


@dataclass(frozen=True)
class ResumePoint:
    """Where a run goes on: the step, the variables and loop state before it, next seq."""

    step: str | None
    variables: dict[str, Any]
    loops: dict[str, Any]
    next_seq: int


def dumps(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"))


def _loads(text: str | None, empty: Any = None) -> Any:
    return empty if text is None else json.loads(text)


def new_run_id(clock: Callable[[], float] = time.time) -> str:
    """Sortable by creation time: 12 hex digits of milliseconds, then 20 random ones."""
    return f"{int(clock() * 1000):012x}{uuid.uuid4().hex[:20]}"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Journal:
    """Runs, steps and exchanges in ``path`` (use :meth:`for_workspace` for the default)."""

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Callable[[], float] = time.time,
        durable: bool = False,
        pid: int | None = None,
        host: str | None = None,
        recover: bool = True,
    ) -> None:
        self.path = Path(path)
        self.clock = clock
        self.pid = os.getpid() if pid is None else pid
        self.host = socket.gethostname() if host is None else host
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)
        if recover:
            self.mark_interrupted()

    @classmethod
    def for_workspace(
        cls, workspace_path: str | Path, state_dir: str | Path | None = None, **kwargs: Any
    ) -> Journal:
        """The journal at ``.runbench/runs.db`` beside the workspace (or in ``state_dir``)."""
        folder = (
            Path(state_dir) if state_dir else Path(workspace_path).resolve().parent / ".runbench"
        )
        return cls(folder / DB_NAME, **kwargs)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _write1(self, sql: str, params: tuple[Any, ...]) -> None:
        """One statement: autocommit makes it its own transaction (fewer round trips)."""
        with self._lock:
            self._db.execute(sql, params)

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # -- runs ------------------------------------------------------------------------
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
    ) -> str:
        run_id = run_id or new_run_id(self.clock)
        now = self.clock()
        with self._write() as db:
            db.execute(
                "INSERT INTO runs (id, runbook, trigger, inputs, context, overrides, status,"
                " parent_id, delivery_id, created, started, owner_pid, owner_host)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    run_id,
                    runbook,
                    trigger,
                    dumps(dict(inputs or {})),
                    dumps(dict(context or {})),
                    dumps(dict(overrides or {})),
                    status,
                    parent_id,
                    delivery_id,
                    now,
                    now if status != "queued" else None,
                    self.pid,
                    self.host,
                ),
            )
        return run_id

    def set_status(self, run_id: str, status: str, *, current_step: str | None = None) -> None:
        self._write1(
            "UPDATE runs SET status=?, current_step=COALESCE(?, current_step),"
            " started=COALESCE(started, ?), owner_pid=?, owner_host=? WHERE id=?",
            (status, current_step, self.clock(), self.pid, self.host, run_id),
        )

    def finish_run(self, run_id: str, status: str, error: str | None, message: str) -> None:
        self._write1(
            "UPDATE runs SET status=?, error=?, message=?, finished=? WHERE id=?",
            (status, error, message, self.clock(), run_id),
        )

    def run(self, run_id: str) -> RunRow | None:
        rows = self._read(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id=?", (run_id,))
        return _run_row(rows[0]) if rows else None

    def find_run(self, prefix: str) -> RunRow:
        """The run whose id is (or starts with) ``prefix``; RunError otherwise."""
        found = self.run(prefix)
        if found is not None:
            return found
        rows = self._read(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE id LIKE ? LIMIT 2",
            (prefix.replace("%", "") + "%",),
        )
        if len(rows) == 1:
            return _run_row(rows[0])
        why = "is ambiguous" if rows else "is not in the journal"
        raise RunError(f"run '{prefix}' {why} ({self.path}); list runs with `runbench runs`")

    def runs(
        self, limit: int = 50, *, runbook: str | None = None, top_level: bool = False
    ) -> list[RunRow]:
        """Newest first; only runs of ``runbook`` if given; ``top_level`` leaves out the
        child runs that `runbook` steps started."""
        where = ["1=1"]
        params: list[Any] = []
        if runbook is not None:
            where.append("runbook=?")
            params.append(runbook)
        if top_level:
            where.append("parent_id IS NULL")
        rows = self._read(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE {' AND '.join(where)} "
            "ORDER BY created DESC, id DESC LIMIT ?",
            (*params, limit),
        )
        return [_run_row(row) for row in rows]

    def children(self, run_id: str) -> list[RunRow]:
        rows = self._read(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE parent_id=? ORDER BY created", (run_id,)
        )
        return [_run_row(row) for row in rows]

    # -- steps -----------------------------------------------------------------------
    def start_step(
        self,
        run_id: str,
        seq: int,
        step: str,
        kind: str,
        variables: Mapping[str, Any],
        loops: Mapping[str, Any],
    ) -> None:
        """Record that ``step`` starts, with the variables it starts from (one commit)."""
        self._write1(
            "INSERT INTO steps (run_id, seq, step, kind, variables_before, loops_before,"
            " started) VALUES (?,?,?,?,?,?,?)",
            (run_id, seq, step, kind, dumps(dict(variables)), dumps(dict(loops)), self.clock()),
        )

    def finish_step(
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
    ) -> None:
        """Record how step ``seq`` ended (one commit). A run's current step is derived
        from its last step row, so this is the only write a step end needs."""
        self._write1(
            "UPDATE steps SET edge=?, target=?, duration_ms=?, outputs=?, error=?,"
            " loops_after=?, finished=1 WHERE run_id=? AND seq=?",
            (
                edge,
                target,
                duration_ms,
                dumps(dict(outputs)),
                error,
                None if loops is None else dumps(dict(loops)),
                run_id,
                seq,
            ),
        )

    def steps(self, run_id: str) -> list[StepRow]:
        rows = self._read(
            f"SELECT {_STEP_COLUMNS} FROM steps WHERE run_id=? ORDER BY seq", (run_id,)
        )
        return [_step_row(row) for row in rows]

    def add_exchange(
        self,
        run_id: str,
        step_seq: int,
        step: str,
        attempt: int,
        record: Mapping[str, Any],
    ) -> None:
        """One HTTP attempt; ``record`` is Exchange.to_dict() (already redacted)."""
        self._write1(
            "INSERT INTO exchanges (run_id, step_seq, step, attempt, request, response,"
            " error, elapsed_ms) VALUES (?,?,?,?,?,?,?,?)",
            (
                run_id,
                step_seq,
                step,
                attempt,
                dumps(record.get("request")),
                dumps(record.get("response")),
                record.get("error"),
                record.get("elapsed_ms"),
            ),
        )

    def exchanges(self, run_id: str) -> list[ExchangeRow]:
        rows = self._read(
            "SELECT run_id, step_seq, step, attempt, request, response, error, elapsed_ms"
            " FROM exchanges WHERE run_id=? ORDER BY step_seq, attempt",
            (run_id,),
        )
        return [
            ExchangeRow(r[0], r[1], r[2] or "", r[3], _loads(r[4]), _loads(r[5]), r[6], r[7])
            for r in rows
        ]

    # -- resume ----------------------------------------------------------------------
    def resume_point(self, run_id: str) -> ResumePoint:
        """Where an interrupted run goes on (step None: from the runbook's start)."""
        steps = self.steps(run_id)
        if not steps:
            return ResumePoint(None, {}, {}, 1)
        last = steps[-1]
        if not last.finished or not last.target:
            return ResumePoint(last.step, last.variables_before, last.loops_before, last.seq + 1)
        variables = {**last.variables_before, **last.outputs}
        loops = last.loops_after if last.loops_after is not None else last.loops_before
        return ResumePoint(last.target, variables, loops, last.seq + 1)

    def before_step(self, run_id: str, step: str) -> ResumePoint:
        """The variables a run had just before it first ran ``step`` (for rerun from step)."""
        for row in self.steps(run_id):
            if row.step == step:
                return ResumePoint(step, row.variables_before, row.loops_before, 1)
        raise RunError(f"run '{run_id}' never reached step '{step}'; pick a step it ran")

    def mark_interrupted(self) -> list[str]:
        """Runs left running/paused by a dead process on this host become interrupted."""
        rows = self._read(
            "SELECT id, owner_pid FROM runs WHERE status IN ('running','paused') AND owner_host=?",
            (self.host,),
        )
        dead = [run_id for run_id, pid in rows if pid is None or not pid_alive(int(pid))]
        if dead:
            with self._write() as db:
                db.executemany(
                    "UPDATE runs SET status='interrupted', error=COALESCE(error, ?) WHERE id=?",
                    [("interrupted: the process running it died", run_id) for run_id in dead],
                )
        return dead

    # -- queue (public endpoint) -----------------------------------------------------
    def enqueue(
        self,
        runbook: str,
        inputs: Mapping[str, Any],
        context: Mapping[str, Any] | None = None,
        trigger: str = "serve",
        delivery_id: str | None = None,
    ) -> tuple[str, bool]:
        """A queued run; with a delivery_id seen before, that run's id and created=False."""
        seen = self.find_delivery(delivery_id) if delivery_id else None
        if seen is not None:
            return seen, False
        try:
            run_id = self.create_run(
                runbook,
                trigger=trigger,
                inputs=inputs,
                context=context,
                status="queued",
                delivery_id=delivery_id or None,
            )
        except sqlite3.IntegrityError:
            rows = self._read("SELECT id FROM runs WHERE delivery_id=?", (delivery_id,))
            return str(rows[0][0]), False
        return run_id, True

    def find_delivery(self, delivery_id: str) -> str | None:
        """The id of the run a delivery id started, if it was seen before."""
        rows = self._read("SELECT id FROM runs WHERE delivery_id=?", (delivery_id,))
        return str(rows[0][0]) if rows else None

    def claim_queued(self, limit: int = 1) -> list[QueuedRun]:
        """Atomically mark up to ``limit`` queued runs as running by this process."""
        with self._write() as db:
            ids = [
                row[0]
                for row in db.execute(
                    "SELECT id FROM runs WHERE status='queued' AND parent_id IS NULL"
                    " ORDER BY created, id LIMIT ?",
                    (limit,),
                )
            ]
            db.executemany(
                "UPDATE runs SET status='running', started=?, owner_pid=?, owner_host=?"
                " WHERE id=? AND status='queued'",
                [(self.clock(), self.pid, self.host, run_id) for run_id in ids],
            )
        return [row for run_id in ids if (row := self.run(run_id)) is not None]

    def recover(self) -> list[str]:
        """Runs to pick up after a restart: queued ones and interrupted ones, oldest first."""
        self.mark_interrupted()
        rows = self._read(
            "SELECT id FROM runs WHERE status IN ('queued','interrupted')"
            " AND parent_id IS NULL ORDER BY created, id"
        )
        return [str(row[0]) for row in rows]


_CURRENT_STEP = (
    "COALESCE((SELECT CASE WHEN s.finished = 1 AND s.target IS NOT NULL THEN s.target"
    " ELSE s.step END FROM steps s WHERE s.run_id = runs.id ORDER BY s.seq DESC LIMIT 1),"
    " current_step)"
)
_RUN_COLUMNS = (
    "id, runbook, trigger, inputs, context, overrides, status, error, message, "
    + _CURRENT_STEP
    + ", parent_id, delivery_id, created, started, finished"
)
_STEP_COLUMNS = (
    "run_id, seq, step, kind, variables_before, loops_before, outputs, loops_after,"
    " edge, target, started, duration_ms, error, finished"
)


def _run_row(row: tuple[Any, ...]) -> RunRow:
    return RunRow(
        row[0],
        row[1],
        row[2],
        _loads(row[3], {}),
        _loads(row[4], {}),
        _loads(row[5], {}),
        row[6],
        row[7],
        row[8],
        row[9],
        row[10],
        row[11],
        row[12],
        row[13],
        row[14],
    )


def _step_row(row: tuple[Any, ...]) -> StepRow:
    return StepRow(
        row[0],
        row[1],
        row[2],
        row[3],
        _loads(row[4], {}),
        _loads(row[5], {}),
        _loads(row[6], {}),
        _loads(row[7]),
        row[8],
        row[9],
        row[10],
        row[11],
        row[12],
        bool(row[13]),
    )


__all__ = [
    "DB_NAME",
    "ExchangeRow",
    "Journal",
    "QueuedRun",
    "ResumePoint",
    "RunRow",
    "StepRow",
    "new_run_id",
]
