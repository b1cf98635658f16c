"""Opening the PostgreSQL journal: the connection, the schema and its versions.

Versions are rows of ``runbench_schema`` (one per migration applied, with when), and
each step up is a function in ``MIGRATIONS``, as ``PRAGMA user_version`` and its
migrations are for SQLite. Opening takes a transaction-scoped advisory lock first, so
several instances starting at once migrate once: the others wait, then find the
version current. A database written by a newer runbench is refused, not guessed at.

The DSN is shown without its password in every message (``shown``); a failure to
connect or a lost connection becomes a one-line ``JournalError`` saying what to check.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from runbench.core.errors import JournalError
from runbench.core.journal._sqlite_schema import delivery_key

SCHEMA_VERSION = 4
"""The first PostgreSQL format was the SQLite journal's format 2 (leases, delivery keys,
per-step changes); 3 is 2 with fewer index entries per run (``_lean_indexes``), a change
of PostgreSQL's alone; 4 has SQLite's format 3 delivery keys (``_ordered_delivery_keys``)."""
SCHEMA_LOCK = 0x72756E62  # "runb": held while the schema is checked or migrated
CLAIM_LOCK = 0x72756E63  # held by a claim while it counts active runs (max_concurrent)

QUEUE_STATUSES = ("queued", "interrupted")
"""The statuses a claim looks for; only runs in them (top-level, nobody's) are in the
queue's indexes (a literal in the claim's SQL, so the planner can use them)."""
_QUEUE = (
    f"status IN ({', '.join(repr(s) for s in QUEUE_STATUSES)})"
    " AND parent_id IS NULL AND owner IS NULL"
)
_LEAN = (
    f"CREATE INDEX IF NOT EXISTS runs_queue ON runs(status, created, id) WHERE {_QUEUE}",
    "CREATE INDEX IF NOT EXISTS runs_queue_by_runbook ON runs(status, runbook, created, id)"
    f" WHERE {_QUEUE}",
    "CREATE UNIQUE INDEX IF NOT EXISTS runs_delivery ON runs(delivery_key)"
    " WHERE delivery_key IS NOT NULL",
)
"""The indexes of format 3 that format 2 had wider."""
_TABLES = (
    """CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, runbook TEXT NOT NULL, trigger TEXT NOT NULL DEFAULT 'cli',
    inputs TEXT NOT NULL DEFAULT '{}', context TEXT NOT NULL DEFAULT '{}',
    overrides TEXT NOT NULL DEFAULT '{}', status TEXT NOT NULL, error TEXT, message TEXT,
    current_step TEXT, parent_id TEXT, delivery_id TEXT, delivery_key TEXT,
    created DOUBLE PRECISION NOT NULL, started DOUBLE PRECISION, finished DOUBLE PRECISION,
    owner TEXT, lease_until DOUBLE PRECISION, crashes INTEGER NOT NULL DEFAULT 0)""",
    *_LEAN,
    "CREATE INDEX IF NOT EXISTS runs_created ON runs(created)",
    "CREATE INDEX IF NOT EXISTS runs_runbook ON runs(runbook, created)",
    "CREATE INDEX IF NOT EXISTS runs_parent ON runs(parent_id) WHERE parent_id IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS runs_owner ON runs(owner) WHERE owner IS NOT NULL",
    """CREATE TABLE IF NOT EXISTS steps (
    run_id TEXT NOT NULL, seq INTEGER NOT NULL, step TEXT NOT NULL, kind TEXT NOT NULL,
    base INTEGER NOT NULL DEFAULT 0, vars TEXT NOT NULL DEFAULT '{}', unset TEXT,
    loops TEXT NOT NULL DEFAULT '{}', outputs TEXT, loops_after TEXT, edge TEXT,
    target TEXT, started DOUBLE PRECISION NOT NULL, duration_ms DOUBLE PRECISION,
    error TEXT, finished INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (run_id, seq))""",
    """CREATE TABLE IF NOT EXISTS exchanges (
    run_id TEXT NOT NULL, step_seq INTEGER NOT NULL, attempt INTEGER NOT NULL,
    request TEXT, response TEXT, error TEXT, elapsed_ms DOUBLE PRECISION, step TEXT,
    PRIMARY KEY (run_id, step_seq, attempt))""",
)


def shown(dsn: str) -> str:
    """``dsn`` fit to print: the password of a URL or a ``password=`` pair blanked."""
    text = re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", dsn)
    return re.sub(r"(password\s*=\s*)\S+", r"\1***", text)


def connect(dsn: str, location: str, timeout: float) -> Any:
    """An autocommit connection (the journal issues BEGIN/COMMIT itself)."""
    try:
        import psycopg
    except ImportError:
        raise JournalError(
            f"journal {location}: PostgreSQL needs the psycopg driver; "
            "pip install 'runbench[postgres]'"
        ) from None
    try:
        return psycopg.connect(dsn, autocommit=True, connect_timeout=max(1, int(timeout)))
    except psycopg.Error as exc:
        raise explain(exc, location) from None


def raw_cursor(conn: Any) -> Any:
    """A cursor for statements written with PostgreSQL's own ``$1`` markers: psycopg
    sends them as they are, where it parses a ``%s`` statement for its markers, in
    Python, each time one is longer than 4 KiB or has over 50 parameters (a batch's
    merged writes: that parse was a sixth of the worker process's time)."""
    import psycopg

    return psycopg.RawCursor(conn)


def explain(exc: BaseException, location: str) -> JournalError:
    """A one-line JournalError for a PostgreSQL failure."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    low = text.lower()
    if "password" in low or "authentication" in low or "role" in low:
        why = f"refused the login ({text}); check the user and password in the URL"
    elif "does not exist" in low and "database" in low:
        why = f"{text}; create it (createdb) or fix the URL"
    elif "permission denied" in low:
        why = f"{text}; grant this user rights on the journal's tables"
    elif "connect" in low or "closed" in low or "terminat" in low or "timeout" in low:
        why = f"cannot be reached ({text}); check the server is up and the host and port"
    else:
        why = f"{text}; check the server's log"
    return JournalError(f"journal {location}: {why}")


def ensure_schema(conn: Any, location: str, readonly: bool) -> None:
    """Create or migrate the tables to ``SCHEMA_VERSION``, once, under the schema lock."""
    import psycopg

    try:
        conn.execute("BEGIN")
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        version = _version(conn)
        if version > SCHEMA_VERSION:
            raise JournalError(
                f"journal {location}: written by a newer runbench (format {version}, this one "
                f"reads {SCHEMA_VERSION}); upgrade runbench"
            )
        if version < SCHEMA_VERSION and readonly:
            raise JournalError(
                f"journal {location}: format {version}, and opened read-only; open it once "
                "with write access (any runbench command) to upgrade it"
            )
        while version < SCHEMA_VERSION:
            version = MIGRATIONS[version](conn)
            conn.execute(
                "INSERT INTO runbench_schema (version, applied) VALUES (%s, now())", (version,)
            )
        conn.execute("COMMIT")
    except JournalError:
        conn.execute("ROLLBACK")
        raise
    except psycopg.Error as exc:
        if not conn.closed and not conn.broken:
            conn.execute("ROLLBACK")
        raise explain(exc, location) from None


def _version(conn: Any) -> int:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS runbench_schema"
        " (version INTEGER PRIMARY KEY, applied TIMESTAMPTZ NOT NULL)"
    )
    row = conn.execute("SELECT max(version) FROM runbench_schema").fetchone()
    return 0 if row is None or row[0] is None else int(row[0])


def _create(conn: Any) -> int:
    """An empty database: the current tables."""
    for statement in _TABLES:
        conn.execute(statement)
    return SCHEMA_VERSION


def _lean_indexes(conn: Any) -> int:
    """2 -> 3: fewer index entries per run. Every claim and every end of a run changes
    its status and owner, so PostgreSQL writes a new entry in each index of ``runs``
    (no HOT update can apply); the queue's two indexes now hold only the runs a claim
    can take (not every finished run), and delivery keys only the rows that have one."""
    conn.execute("DROP INDEX IF EXISTS runs_queue")
    conn.execute("DROP INDEX IF EXISTS runs_queue_by_runbook")
    conn.execute("ALTER TABLE runs DROP CONSTRAINT IF EXISTS runs_delivery_key_key")
    for statement in _LEAN:
        conn.execute(statement)
    return 3


def _ordered_delivery_keys(conn: Any) -> int:
    """3 -> 4: delivery keys as ``delivery_key`` makes them now (the id itself where short,
    so ids made in order append to the unique index), recomputed in Python, by pages."""
    after = ""
    while True:
        rows = conn.execute(
            "SELECT id, runbook, delivery_id FROM runs WHERE delivery_key IS NOT NULL"
            " AND id > %s ORDER BY id LIMIT 5000",
            (after,),
        ).fetchall()
        if not rows:
            return 4
        with conn.cursor() as cursor:
            cursor.executemany(
                "UPDATE runs SET delivery_key=%s WHERE id=%s",
                [
                    (delivery_key(runbook, delivery_id), run_id)
                    for run_id, runbook, delivery_id in rows
                ],
            )
        after = rows[-1][0]


MIGRATIONS: dict[int, Callable[[Any], int]] = {
    0: _create,
    2: _lean_indexes,
    3: _ordered_delivery_keys,
}
"""From a version to the next one it reaches (each returns it). A new format adds a
function here, e.g. ``2: _add_column`` returning 3, and raises SCHEMA_VERSION."""

__all__ = [
    "CLAIM_LOCK",
    "MIGRATIONS",
    "QUEUE_STATUSES",
    "SCHEMA_VERSION",
    "connect",
    "ensure_schema",
    "explain",
    "raw_cursor",
    "shown",
]
