"""Cron schedules of runbooks (``schedule = "*/15 * * * *"``), fired by `runbench serve`.

A room of its own so that the workspace checker, `serve` and the TUI agree on one
reading of an expression. Import from here, never from the private module.
"""

from runbench.core.schedule._cron import cron_problem, next_tick, tick_id

__all__ = ["cron_problem", "next_tick", "tick_id"]
