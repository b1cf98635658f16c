"""Opening the SQLite journal: file modes, pragmas, the schema and its versions.

The journal holds request and response records, so its folder is created 0700 (with a
``.gitignore`` that ignores everything: a workspace is usually a git checkout) and the
database 0600 before SQLite first opens it; SQLite gives the -wal and -shm files the
mode of the database. Versions live in ``PRAGMA user_version``: 0 with tables is the
first format (whole variable maps per step, pid+host owners, global delivery ids), 2
keyed deliveries by a SHA-256 of runbook and id, 3 (this one) by the id itself where it
is short (``delivery_key``); each step up is a function in ``MIGRATIONS``.

Any SQLite failure here becomes a one-line ``JournalError`` naming the file and what
to do (corrupt, locked, read-only, newer format).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from runbench.core.errors import JournalError
from runbench.core.journal import _values as values

SCHEMA_VERSION = 3
SQLITE_HEADER = b"SQLite format 3\x00"
_TABLES = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, runbook TEXT NOT NULL, trigger TEXT NOT NULL DEFAULT 'cli',
    inputs TEXT NOT NULL DEFAULT '{}', context TEXT NOT NULL DEFAULT '{}',
    overrides TEXT NOT NULL DEFAULT '{}', status TEXT NOT NULL, error TEXT, message TEXT,
    current_step TEXT, parent_id TEXT, delivery_id TEXT, delivery_key TEXT UNIQUE,
    created REAL NOT NULL, started REAL, finished REAL,
    owner TEXT, lease_until REAL, crashes INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS runs_queue ON runs(status, created, id);
CREATE INDEX IF NOT EXISTS runs_queue_by_runbook ON runs(status, runbook, created, id);
CREATE INDEX IF NOT EXISTS runs_created ON runs(created);
CREATE INDEX IF NOT EXISTS runs_runbook ON runs(runbook, created);
CREATE INDEX IF NOT EXISTS runs_parent ON runs(parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS runs_owner ON runs(owner) WHERE owner IS NOT NULL;
CREATE TABLE IF NOT EXISTS steps (
    run_id TEXT NOT NULL, seq INTEGER NOT NULL, step TEXT NOT NULL, kind TEXT NOT NULL,
    base INTEGER NOT NULL DEFAULT 0, vars TEXT NOT NULL DEFAULT '{}', unset TEXT,
    loops TEXT NOT NULL DEFAULT '{}', outputs TEXT, loops_after TEXT, edge TEXT,
    target TEXT, started REAL NOT NULL, duration_ms REAL, error TEXT,
    finished INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS exchanges (
    run_id TEXT NOT NULL, step_seq INTEGER NOT NULL, attempt INTEGER NOT NULL,
    request TEXT, response TEXT, error TEXT, elapsed_ms REAL, step TEXT,
    PRIMARY KEY (run_id, step_seq, attempt)
) WITHOUT ROWID;
"""


LITERAL_KEY_LENGTH = 64
"""Delivery ids up to this many characters (and printable) are kept in their key as they
are; longer ones by their SHA-256, so any length fits an index."""


def delivery_key(runbook: str, delivery_id: str) -> str:
    """A delivery id is unique per runbook, compared whole: the runbook (its length first,
    so no name can run into the id) and then the id as it is (``=``) or its SHA-256 (``#``).

    The id is kept in order rather than hashed because the key's unique index is written
    on every delivery: ids a sender makes in order (counters, timestamps, ULIDs, the
    schedule's ticks) then append at the right edge of the B-tree, about 4x cheaper per
    row than a random hash scattered over its pages. Random ids (UUID v4) cost what a
    hash did. A repeat computes the same key from its runbook and id alone."""
    if len(delivery_id) <= LITERAL_KEY_LENGTH and delivery_id.isprintable():
        return f"{len(runbook)}:{runbook}={delivery_id}"
    digest = hashlib.sha256(delivery_id.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{len(runbook)}:{runbook}#{digest}"


# -- files -----------------------------------------------------------------------------
def prepare_file(path: Path) -> None:
    """Create the database 0600 before SQLite does (its -wal/-shm copy that mode).

    An existing file is tightened only if it is a SQLite database (or empty): ``--journal``
    pointed at any other file (``/etc/passwd``, run as root) must get an error that it is
    not a journal, not a new mode."""
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    if not _is_database(path):
        return
    for found in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if found.exists():
            _tighten(found, 0o600)


def refuse_odd_file(path: Path) -> None:
    """JournalError if ``path`` is there but not a regular file (a folder, a device, a
    pipe): SQLite's own words for those ("unable to open", "cannot rollback") mislead."""
    if path.exists() and not path.is_file():
        kind = "a folder" if path.is_dir() else "not a regular file (a device or a pipe)"
        raise JournalError(
            f"journal {path}: is {kind}, not a journal file; move it away, or give "
            "--journal the path of a file"
        )


def _is_database(path: Path) -> bool:
    """An empty regular file or one that starts with SQLite's header."""
    try:
        if not path.is_file():
            return False
        with path.open("rb") as stream:
            head = stream.read(len(SQLITE_HEADER))
    except OSError:
        return False
    return head in (b"", SQLITE_HEADER)


def _tighten(path: Path, mode: int) -> None:
    try:
        info = path.stat()
        if info.st_uid == os.getuid() and info.st_mode & 0o777 & ~mode:
            path.chmod(mode)
    except OSError:
        return  # not ours to change (or gone): leave it


# -- errors -----------------------------------------------------------------------------
def explain(exc: BaseException, location: str, busy_seconds: float) -> JournalError:
    """A one-line JournalError for a SQLite failure."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    low = text.lower()
    if "locked" in low or "busy" in low:
        why = (
            f"locked by another process for over {busy_seconds:g} s ({text}); "
            "wait for it to finish or stop it"
        )
    elif "readonly" in low or "read-only" in low or "permission" in low:
        why = f"read-only ({text}); give this user write access, or use --state-dir"
    elif "full" in low:
        why = f"the disk is full ({text}); free some space"
    elif "not a database" in low or "malformed" in low or "corrupt" in low:
        why = (
            f"not a runbench journal, or corrupt ({text}); move it away to start a new "
            "one, or restore it from a backup"
        )
    elif "unable to open" in low:
        why = f"cannot be opened ({text}); check the folder exists and is writable"
    else:
        why = f"{text}; check the file and the disk"
    return JournalError(f"journal {location}: {why}")


# -- schema ------------------------------------------------------------------------------
def ensure_schema(db: sqlite3.Connection, location: str, readonly: bool) -> None:
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise JournalError(
            f"journal {location}: written by a newer runbench (format {version}, this one "
            f"reads {SCHEMA_VERSION}); upgrade runbench"
        )
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if readonly:
        if tables:
            raise JournalError(
                f"journal {location}: an older format and read-only; open it once with "
                "write access (any runbench command) to upgrade it"
            )
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        version = int(db.execute("PRAGMA user_version").fetchone()[0])  # under the lock
        while "runs" in tables and version < SCHEMA_VERSION:
            version = MIGRATIONS[version](db)
        create_tables(db)
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def create_tables(db: sqlite3.Connection) -> None:
    """The current tables (no executescript: it would commit the open transaction)."""
    for statement in _TABLES.split(";"):
        if statement.strip():
            db.execute(statement)


def _from_first_format(db: sqlite3.Connection) -> int:
    """v0 -> v2: owners become leases, delivery ids get per-runbook keys (this format's
    keys already, which v2 -> v3 leaves as they are), and steps keep their whole maps as
    "base" rows (loops_after turned into changes)."""
    db.create_function("delivery_key", 2, delivery_key, deterministic=True)
    db.execute("ALTER TABLE runs RENAME TO runs_v0")
    db.execute("ALTER TABLE steps RENAME TO steps_v0")
    for index in ("runs_status", "runs_created", "runs_runbook"):
        db.execute(f"DROP INDEX IF EXISTS {index}")
    create_tables(db)
    db.execute(
        "INSERT INTO runs (id, runbook, trigger, inputs, context, overrides, status, error,"
        " message, current_step, parent_id, delivery_id, delivery_key, created, started,"
        " finished, owner, lease_until, crashes)"
        " SELECT id, runbook, trigger, inputs, context, overrides, status, error, message,"
        " current_step, parent_id, delivery_id,"
        " CASE WHEN delivery_id IS NULL THEN NULL ELSE delivery_key(runbook, delivery_id) END,"
        " created, started, finished,"
        " CASE WHEN owner_pid IS NULL OR status NOT IN ('running', 'paused') THEN NULL"
        "  ELSE COALESCE(owner_host, '') || '||' || owner_pid || '||' END,"
        " NULL, 0 FROM runs_v0"
    )
    rows = db.execute(
        "SELECT run_id, seq, step, kind, variables_before, loops_before, outputs, loops_after,"
        " edge, target, started, duration_ms, error, finished FROM steps_v0"
    )
    for row in rows.fetchall():
        after = row[7]
        if after is not None:
            before = values.loads(row[5], {})
            after = values.dumps(values.diff_loops(before, values.loads(after, {})))
        db.execute(
            "INSERT INTO steps (run_id, seq, step, kind, base, vars, unset, loops, outputs,"
            " loops_after, edge, target, started, duration_ms, error, finished)"
            " VALUES (?,?,?,?,1,?,NULL,?,?,?,?,?,?,?,?,?)",
            (*row[:4], row[4], row[5], row[6], after, *row[8:]),
        )
    db.execute("DROP TABLE runs_v0")
    db.execute("DROP TABLE steps_v0")
    return 2


def _ordered_delivery_keys(db: sqlite3.Connection) -> int:
    """v2 -> v3: delivery keys from the hash of runbook and id to ``delivery_key``'s (the
    id itself where short). No new key can equal an old one (64 hex digits, no colon)."""
    db.create_function("delivery_key", 2, delivery_key, deterministic=True)
    db.execute(
        "UPDATE runs SET delivery_key = delivery_key(runbook, delivery_id)"
        " WHERE delivery_id IS NOT NULL"
    )
    return 3


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], int]] = {
    0: _from_first_format,
    2: _ordered_delivery_keys,
}
"""From a format to the next one (each returns the version it reached)."""

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "create_tables",
    "delivery_key",
    "ensure_schema",
    "explain",
    "prepare_file",
    "refuse_odd_file",
]
