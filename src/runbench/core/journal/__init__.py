"""The run journal: every run, step and HTTP exchange, and the queue of `serve`.

Its own room because three layers lean on it (the engine records into it, `serve` uses
it as its queue, the CLI and the TUI read it) and because its storage is swappable:
``Backend`` is the seam (SQLite today). Import from here, never from the private
modules. The PostgreSQL backend is imported on first use of its names (module
``__getattr__``): a run on the SQLite file never loads it.
"""

from typing import TYPE_CHECKING, Any

from runbench.core.journal._backend import Backend
from runbench.core.journal._deferred import DEFERRED_AGE, DEFERRED_BYTES, DEFERRED_MAX
from runbench.core.journal._journal import (
    DB_NAME,
    Journal,
    journal_path,
    new_run_id,
)
from runbench.core.journal._open import (
    ENV as JOURNAL_ENV,
)
from runbench.core.journal._open import (
    is_database_url,
    journal_location,
    open_journal,
    redacted_location,
)
from runbench.core.journal._owner import Owner, pid_alive
from runbench.core.journal._queue import DIED, INTERRUPTED_STEP
from runbench.core.journal._retention import parse_age
from runbench.core.journal._rows import (
    ACTIVE,
    FINAL,
    Claim,
    ExchangeRow,
    QueuedRun,
    ResumePoint,
    RunRow,
    StepRow,
)
from runbench.core.journal._sqlite import SqliteBackend
from runbench.core.journal._sqlite_schema import SCHEMA_VERSION, delivery_key
from runbench.core.journal._steps import StepEnd
from runbench.core.journal._values import DEFAULT_CAP, TRUNCATED, dumps, is_truncated

if TYPE_CHECKING:
    from runbench.core.journal._postgres import PostgresBackend
    from runbench.core.journal._postgres_schema import SCHEMA_VERSION as POSTGRES_SCHEMA_VERSION


def __getattr__(name: str) -> Any:
    """``PostgresBackend`` and ``POSTGRES_SCHEMA_VERSION``, imported when first asked for."""
    if name == "PostgresBackend":
        from runbench.core.journal._postgres import PostgresBackend

        return PostgresBackend
    if name == "POSTGRES_SCHEMA_VERSION":
        from runbench.core.journal._postgres_schema import SCHEMA_VERSION

        return SCHEMA_VERSION
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ACTIVE",
    "DB_NAME",
    "DEFAULT_CAP",
    "DEFERRED_AGE",
    "DEFERRED_BYTES",
    "DEFERRED_MAX",
    "DIED",
    "FINAL",
    "INTERRUPTED_STEP",
    "JOURNAL_ENV",
    "POSTGRES_SCHEMA_VERSION",
    "SCHEMA_VERSION",
    "TRUNCATED",
    "Backend",
    "Claim",
    "ExchangeRow",
    "Journal",
    "Owner",
    "PostgresBackend",
    "QueuedRun",
    "ResumePoint",
    "RunRow",
    "SqliteBackend",
    "StepEnd",
    "StepRow",
    "delivery_key",
    "dumps",
    "is_database_url",
    "is_truncated",
    "journal_location",
    "journal_path",
    "new_run_id",
    "open_journal",
    "parse_age",
    "pid_alive",
    "redacted_location",
]
