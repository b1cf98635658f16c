"""Scheduled runbooks: the ticks `serve` fires, and exactly one run per tick however many
instances share the journal (the tick is the run's delivery id)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from runbench.core.journal import Journal
from runbench.core.schedule import cron_problem, next_tick, tick_id
from runbench.core.workspace import load_workspace
from runbench.serve import Scheduler

WORKSPACE = """
[runbooks.tidy]
start = "done"
schedule = "*/15 * * * *"
[runbooks.tidy.inputs]
days = { type = "int", default = 7 }
[runbooks.tidy.steps.done]
kind = "end"
message = "tidied <<days>> days"

[runbooks.hourly]
start = "done"
schedule = "0 * * * *"
[runbooks.hourly.steps.done]
kind = "end"

[runbooks.manual]
start = "done"
[runbooks.manual.steps.done]
kind = "end"
"""


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_cron_expressions_in_utc() -> None:
    assert cron_problem("*/15 * * * *") is None
    assert cron_problem("every hour") is not None
    assert next_tick("*/15 * * * *", at("2026-12-01T12:44:59")) == at("2026-12-01T12:45:00")
    assert next_tick("*/15 * * * *", at("2026-12-01T12:45:00")) == at("2026-12-01T13:00:00")
    assert tick_id("tidy", at("2026-12-01T12:45:00")) == "schedule:tidy:2026-12-01T12:45:00+00:00"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "ws.toml"
    path.write_text(WORKSPACE)
    return path


def scheduler(path: Path, journal: Journal, clock: Clock, fired: list[int]) -> Scheduler:
    return Scheduler(
        load_workspace(path), journal, lambda: fired.append(1), clock=clock, log=lambda _: None
    )


def test_due_fires_each_passed_tick_once_and_skips_missed_ones(
    workspace: Path, tmp_path: Path
) -> None:
    clock = Clock(at("2026-12-01T12:40:00"))
    journal = Journal(tmp_path / "runs.db")
    plan = scheduler(workspace, journal, clock, [])
    assert set(plan.next_at) == {"tidy", "hourly"}  # manual has no schedule
    assert plan.due(at("2026-12-01T12:44:59")) == []
    assert plan.due(at("2026-12-01T12:45:00")) == [("tidy", at("2026-12-01T12:45:00"))]
    assert plan.due(at("2026-12-01T12:45:30")) == []
    # asleep for an hour and a half: the latest tick of each, not every missed one
    late = plan.due(at("2026-12-01T14:20:00"))
    assert sorted(late) == [
        ("hourly", at("2026-12-01T14:00:00")),
        ("tidy", at("2026-12-01T14:15:00")),
    ]
    assert plan.next_at == {"tidy": at("2026-12-01T14:30:00"), "hourly": at("2026-12-01T15:00:00")}
    journal.close()


def test_two_instances_queue_one_run_per_tick(workspace: Path, tmp_path: Path) -> None:
    clock = Clock(at("2026-12-01T12:40:00"))
    journals = [Journal(tmp_path / "runs.db") for _ in range(2)]
    woken: list[int] = []
    instances = [scheduler(workspace, j, clock, woken) for j in journals]
    tick = at("2026-12-01T12:45:00")
    made = [s.fire(rb, t) for s in instances for rb, t in s.due(tick)]
    assert len([m for m in made if m]) == 1
    assert woken == [1]
    rows = journals[0].runs(10)
    assert [(r.runbook, r.status, r.trigger) for r in rows] == [("tidy", "queued", "schedule")]
    assert rows[0].delivery_id == tick_id("tidy", tick)
    # the next tick is a new run
    clock.now = tick
    nxt = at("2026-12-01T13:00:00")
    made = [s.fire(rb, t) for s in reversed(instances) for rb, t in s.due(nxt)]
    assert sorted(r.runbook for r in journals[1].runs(10)) == ["hourly", "tidy", "tidy"]
    assert len([m for m in made if m]) == 2
    for journal in journals:
        journal.close()


def test_the_workbench_status_line_names_the_schedule() -> None:
    from runbench.tui.widgets.runbook_pane import run_status

    text, look = run_status(None, "tidy", "*/15 * * * *")
    assert look == "idle"
    assert text.startswith("tidy · cron */15 * * * * UTC · no run yet")
    assert "cron" not in run_status(None, "manual")[0]
