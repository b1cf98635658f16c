"""A floor for the journal's cost per step, measured beside the engine in bench_engine.

Bare httpx's 20 requests with, before each, what a journal on SQLite cannot avoid for a
step: one transaction (BEGIN IMMEDIATE .. COMMIT, WAL, synchronous=NORMAL, as the
journal's) holding the previous step's exchange (request and response, one JSON encode
each), its end (its outputs) and this step's start (its variables), in the journal's own
file format. No change tracking, no redaction, no thread, no caps: raw statements. The
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

from runbench.core.journal import SqliteBackend

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
        async with httpx.AsyncClient(verify=tls) as client:  # type: ignore[arg-type]
            for n in range(1, 21):
                self._step(run_id, n, previous)
                response = await client.get(f"{url}/item/{n}")
                body = response.json()
                previous = _records(response), {"Value": body["value"], "Name": body["name"]}, {}
        self._step(run_id, 21, previous)

    def _step(self, run_id: str, seq: int, previous: Previous | None) -> None:
        db = self.db
        assert db is not None, "reopen() first"
        now = time.time()
        db.execute("BEGIN IMMEDIATE")
        if previous is None:
            db.execute(_RUN, (run_id, "twenty", "running", now, now))
        else:
            exchange, outputs, _ = previous
            request, response = json.dumps(exchange["request"]), json.dumps(exchange["response"])
            db.execute(_EXCHANGE, (run_id, seq - 1, f"s{seq - 1}", 1, request, response, None, 1.0))
            end = ("on_success", f"s{seq}", 1.0, json.dumps(outputs), None, None, 1)
            db.execute(_END, (*end, run_id, seq - 1))
        variables = json.dumps({} if previous is None else previous[1])
        db.execute(_START, (run_id, seq, f"s{seq}", "method", 0, variables, None, "{}", now))
        db.execute("COMMIT")


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
