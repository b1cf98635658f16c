"""Cron schedules of runbooks: parsing and the ticks to fire.

A tick is a moment the expression names, in UTC (every `serve` replica computes the
same ticks whatever its local zone). Its identity, ``schedule:<runbook>:<ISO time>``, is the
delivery id of the run it starts, so the journal's one-run-per-delivery-id rule lets
exactly one of several instances fire it. Ticks missed while no instance ran are not
made up for (as cron does).
"""

from __future__ import annotations

from datetime import UTC, datetime

from runbench.core.errors import UsageError


def cron_problem(expression: str) -> str | None:
    """Why ``expression`` is not a cron expression runbench fires, or None."""
    from cronsim import CronSim, CronSimError  # only workspaces with schedules pay for it

    try:
        CronSim(expression, datetime(2000, 1, 1, tzinfo=UTC))
    except CronSimError as exc:
        return f"{exc}"
    return None


def next_tick(expression: str, after: float) -> float:
    """The first tick strictly after ``after`` (epoch seconds)."""
    from cronsim import CronSim, CronSimError

    start = datetime.fromtimestamp(after, UTC)
    try:
        return next(iter(CronSim(expression, start))).timestamp()
    except CronSimError as exc:
        raise UsageError(f"schedule {expression!r}: {exc}") from None


def tick_id(runbook: str, tick: float) -> str:
    """The delivery id of the run a tick starts (the same on every instance)."""
    moment = datetime.fromtimestamp(tick, UTC).isoformat(timespec="seconds")
    return f"schedule:{runbook}:{moment}"
