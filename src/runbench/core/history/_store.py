"""Request history: every test of a method (`runbench test`, the workbench's ctrl+t), kept.

Users compare today's answer with yesterday's, re-open a response after restarting the
workbench, and want to know when an API started failing. The run journal records runs of
runbooks; single tests are not runs, so they live in their own file,
``.runbench/history.db`` beside the workspace (or ``--state-dir``), with a schema of their
own that the run journal never has to carry.

Nothing here is ever in clear: an entry is the redacted ``Exchange.to_dict()`` passed once
more through the test's ``Redactor`` (outputs included), and the file is created 0600 in
a 0700 folder. A body is kept up to ``BODY_CAP`` bytes (marked ``truncated``) so a 50 MiB
answer does not make every later read slow. Each operation opens its own short
connection, so a worker thread may record while the UI thread lists.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runbench.core.errors import HistoryError
from runbench.core.files import private_folder
from runbench.core.secrets import Redactor

DB_NAME = "history.db"
BODY_CAP = 4 * 1024 * 1024
"""Characters of a response body kept per entry."""
KEEP = 500
"""Entries kept per method; older ones are dropped as new ones come."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    method TEXT NOT NULL,
    source TEXT NOT NULL,
    status INTEGER,
    ok INTEGER NOT NULL,
    elapsed_ms REAL NOT NULL,
    size INTEGER NOT NULL,
    error_kind TEXT,
    exchange TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tests_by_method ON tests (method, id);
"""


@dataclass(frozen=True)
class HistoryEntry:
    """One test, without its exchange (see :meth:`MethodTestHistory.exchange`)."""

    id: int
    at: float
    method: str
    source: str
    status: int | None
    ok: bool
    elapsed_ms: float
    size: int
    error_kind: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "method": self.method,
            "source": self.source,
            "status": self.status,
            "ok": self.ok,
            "elapsed_ms": round(self.elapsed_ms, 3),
            "size": self.size,
            "error_kind": self.error_kind,
        }


class MethodTestHistory:
    """The tests recorded in ``path``; see the module docstring."""

    def __init__(
        self, path: str | Path, *, clock: Callable[[], float] = time.time, keep: int = KEEP
    ) -> None:
        self.path = Path(path)
        self.clock = clock
        self.keep = keep
        self._ready = False

    @classmethod
    def for_workspace(
        cls, workspace_path: str | Path, state_dir: str | Path | None = None
    ) -> MethodTestHistory:
        """``.runbench/history.db`` beside the workspace (or in ``state_dir``)."""
        folder = (
            Path(state_dir) if state_dir else Path(workspace_path).resolve().parent / ".runbench"
        )
        return cls(folder / DB_NAME)

    @contextmanager
    def _connect(self, *, create: bool) -> Iterator[sqlite3.Connection]:
        try:
            if create and not self.path.exists():
                private_folder(self.path.parent)
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            with closing(sqlite3.connect(self.path, timeout=5)) as db:
                if create and not self._ready:
                    db.executescript(_SCHEMA)
                    self._ready = True
                with db:
                    yield db
        except (sqlite3.Error, OSError) as exc:
            raise HistoryError(
                f"request history {self.path}: {exc}; check the folder's permissions "
                "(or move it with --state-dir)"
            ) from None

    def record(self, ref: str, exchange: dict[str, Any], redactor: Redactor, source: str) -> int:
        """Keep one test of ``ref``: ``exchange`` is ``Exchange.to_dict()``; returns its id."""
        safe = dict(redactor.value(exchange))
        safe["outputs"] = redactor.variables(exchange.get("outputs") or {})  # secret = true
        response = safe["response"] = dict(safe.get("response") or {})
        body = response.get("body")
        if isinstance(body, str) and len(body) > BODY_CAP:
            response["body"] = body[:BODY_CAP]
            response["truncated"] = True
        text = redactor.text(json.dumps(safe, ensure_ascii=False))
        if not response:
            safe["response"] = None
        status = response.get("status")
        ok = safe.get("error") is None and isinstance(status, int) and 200 <= status < 300
        row = (
            self.clock(),
            ref,
            source,
            status,
            int(ok),
            float(safe.get("elapsed_ms") or 0.0),
            int(response.get("size") or 0),
            safe.get("error_kind"),
            text,
        )
        with self._connect(create=True) as db:
            cursor = db.execute(
                "INSERT INTO tests (at, method, source, status, ok, elapsed_ms, size, "
                "error_kind, exchange) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            db.execute(
                "DELETE FROM tests WHERE method = ? AND id <= "
                "(SELECT id FROM tests WHERE method = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (ref, ref, self.keep),
            )
            return int(cursor.lastrowid or 0)

    def entries(self, ref: str | None = None, *, limit: int = 100) -> list[HistoryEntry]:
        """The latest tests, newest first (of ``ref`` only, when given)."""
        if not self.path.exists():
            return []
        where, params = ("WHERE method = ?", (ref,)) if ref else ("", ())
        with self._connect(create=False) as db:
            rows = db.execute(
                "SELECT id, at, method, source, status, ok, elapsed_ms, size, error_kind "
                f"FROM tests {where} ORDER BY id DESC LIMIT ?",
                (*params, limit),
            ).fetchall()
        return [
            HistoryEntry(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7], r[8]) for r in rows
        ]

    def exchange(self, entry_id: int) -> dict[str, Any]:
        """The recorded exchange of one entry (redacted, as ``Exchange.to_dict()``)."""
        if self.path.exists():
            with self._connect(create=False) as db:
                row = db.execute("SELECT exchange FROM tests WHERE id = ?", (entry_id,)).fetchone()
            if row is not None:
                found: dict[str, Any] = json.loads(row[0])
                return found
        raise HistoryError(
            f"no test #{entry_id} in {self.path}; `runbench history WORKSPACE` lists them"
        )


__all__ = ["BODY_CAP", "DB_NAME", "HistoryEntry", "HistoryError", "MethodTestHistory"]
