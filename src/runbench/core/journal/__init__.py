"""The run journal: every run, step and HTTP exchange, and the queue of `serve`.

Its own room because three layers lean on it (the engine records into it, `serve` uses
it as its queue, the CLI and the TUI read it) and because its storage is meant to be
swappable. Import from here, never from the private modules.
"""

from runbench.core.journal._journal import (
    ACTIVE,
    DB_NAME,
    ExchangeRow,
    Journal,
    QueuedRun,
    ResumePoint,
    RunRow,
    StepRow,
    new_run_id,
)

__all__ = [
    "ACTIVE",
    "DB_NAME",
    "ExchangeRow",
    "Journal",
    "QueuedRun",
    "ResumePoint",
    "RunRow",
    "StepRow",
    "new_run_id",
]
