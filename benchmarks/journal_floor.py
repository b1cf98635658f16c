"""A floor for the journal's cost per step, measured beside the engine in bench_engine.

Bare httpx's 20 requests with, before each, what a journal on SQLite cannot avoid for a
step: one transaction (BEGIN IMMEDIATE .. COMMIT, WAL, synchronous=NORMAL, as the
journal's) holding the previous step's end (its outputs) and this step's start (its
variables), in the journal's own file format; and the exchanges (request and response,
one JSON encode each) as the journal writes them since they were deferred past the step
barriers: 16 in a transaction of their own, the rest after the last request (here on
the same thread, so their CPU counts wherever the journal's thread would run them).
Until then the floor held each exchange in its step's transaction (its definition
changed with the journal's: comparing floors across that change compares two designs).
No change tracking, no redaction, no thread, no caps: raw statements. The
journal's cost per step (engine with it - without it) against this floor's (floor - bare
httpx) says how much of it is the database and how much is runbench around it; both are
paid between requests, with the caches the requests leave, so they compare fairly.

Not imported by the package: benchmarks run as scripts with this folder on sys.path.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from runbench.core.journal import DEFERRED_MAX, SqliteBackend

_EXCHANGE = (
    "INSERT INTO exchanges (run_id, step_seq, step, attempt, request, response, error,"
    " elapsed_ms) VALUES (?,?,?,?,?,?,?,?)"
)
_END = (
    "UPDATE steps SET edge=?, target=?, duration_ms=?, outputs=?, error=?, loops_after=?,"
    " finished=? WHERE run_id=? AND seq=?"
)
_START = (
    "INSERT INTO steps (run_id, seq, step, kind, base, vars, unset, loops, started)"
    " VALUES (?,?,?,?,?,?,?,?,?)"
)
_RUN = "INSERT INTO runs (id, runbook, status, created, started) VALUES (?,?,?,?,?)"
Previous = tuple[dict[str, Any], dict[str, Any], dict[str, Any]]


class JournalFloor:
    """Raw SQLite statements per step in a journal file at ``path`` (see the docstring);
    :meth:`reopen` before each round, as bench_engine reopens the journal."""

    def __init__(self, path: Path) -> None:
        self.path = path
        SqliteBackend(path).close()  # the journal's schema, made once
        self.db: sqlite3.Connection | None = None

    def reopen(self) -> None:
        self.close()
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=0"):
            db.execute(f"PRAGMA {pragma}")
        db.execute("PRAGMA wal_autocheckpoint=0")  # as the journal's commits made in place
        self.db = db

    def close(self) -> None:
        if self.db is not None:
            self.db.close()  # the last connection checkpoints: outside the timed rounds
            self.db = None

    async def twenty(self, url: str, tls: object) -> None:
        """bare_twenty with a step's journal transaction before each request and the
        last step's end after the last."""
        run_id = uuid.uuid4().hex
        previous: Previous | None = None
        exchanges: list[tuple[int, dict[str, Any]]] = []
        async with httpx.AsyncClient(verify=tls) as client:  # type: ignore[arg-type]
            for n in range(1, 21):
                self._step(run_id, n, previous)
                if len(exchanges) >= DEFERRED_MAX:
                    self._exchanges(run_id, exchanges)
                response = await client.get(f"{url}/item/{n}")
                body = response.json()
                previous = _records(response), {"Value": body["value"], "Name": body["name"]}, {}
                exchanges.append((n, previous[0]))
        self._step(run_id, 21, previous)
        self._exchanges(run_id, exchanges)

    def _step(self, run_id: str, seq: int, previous: Previous | None) -> None:
        db = self.db
        assert db is not None, "reopen() first"
        now = time.time()
        db.execute("BEGIN IMMEDIATE")
        if previous is None:
            db.execute(_RUN, (run_id, "twenty", "running", now, now))
        else:
            _, outputs, _ = previous
            end = ("on_success", f"s{seq}", 1.0, json.dumps(outputs), None, None, 1)
            db.execute(_END, (*end, run_id, seq - 1))
        variables = json.dumps({} if previous is None else previous[1])
        db.execute(_START, (run_id, seq, f"s{seq}", "method", 0, variables, None, "{}", now))
        db.execute("COMMIT")

    def _exchanges(self, run_id: str, exchanges: list[tuple[int, dict[str, Any]]]) -> None:
        """The exchanges waiting, in one transaction (and none waiting after)."""
        db = self.db
        assert db is not None, "reopen() first"
        db.execute("BEGIN IMMEDIATE")
        for seq, exchange in exchanges:
            request, response = json.dumps(exchange["request"]), json.dumps(exchange["response"])
            db.execute(_EXCHANGE, (run_id, seq, f"s{seq}", 1, request, response, None, 1.0))
        db.execute("COMMIT")
        exchanges.clear()


def _records(response: httpx.Response) -> dict[str, Any]:
    request = response.request
    return {
        "request": {
            "method": request.method,
            "url": str(request.url),
            "headers": dict(request.headers),
            "body": "",
        },
        "response": {
            "status": response.status_code,
            "reason": response.reason_phrase,
            "headers": dict(response.headers),
            "body": response.text,
            "size": len(response.content),
            "elapsed_ms": 1.0,
        },
    }


__all__ = ["JournalFloor"]
