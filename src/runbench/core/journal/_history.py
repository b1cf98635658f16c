"""Rebuilding a run from its rows: each step's variables and loops, and where it goes on.

Step rows store changes (see ``_values``), so a step's variables are the previous
step's variables, plus what that step output, plus its own changes (a "base" row
restarts from its full snapshot). One pass over a run's rows rebuilds them all, in time
and memory linear in what was stored; values are shared between steps, not copied.
"""

from __future__ import annotations

from typing import Any

from runbench.core.errors import RunError
from runbench.core.journal._backend import Row
from runbench.core.journal._rows import ExchangeRow, ResumePoint, RunRow, StepRow
from runbench.core.journal._values import apply_loops, apply_map, loads, truncated_names


def run_row(row: Row) -> RunRow:
    return RunRow(
        row[0],
        row[1],
        row[2],
        loads(row[3], {}),
        loads(row[4], {}),
        loads(row[5], {}),
        row[6],
        row[7],
        row[8],
        row[9],
        row[10],
        row[11],
        row[12],
        row[13],
        row[14],
        int(row[15] or 0),
    )


def exchange_row(row: Row) -> ExchangeRow:
    return ExchangeRow(
        row[0], row[1], row[2] or "", row[3], loads(row[4]), loads(row[5]), row[6], row[7]
    )


def step_rows(rows: list[Row]) -> list[StepRow]:
    """Whole StepRows from stored rows in seq order."""
    found: list[StepRow] = []
    variables: dict[str, Any] = {}
    loops: dict[str, Any] = {}
    for row in rows:
        base = bool(row[4])
        changed = loads(row[5], {})
        if base:
            variables = changed
            loops = loads(row[7], {})
        else:
            variables = apply_map(variables, changed, loads(row[6], []))
            loops = apply_loops(loops, loads(row[7], {}))
        outputs = loads(row[8], {})
        after_delta = loads(row[9])
        after = None if after_delta is None else apply_loops(loops, after_delta)
        found.append(
            StepRow(
                row[0],
                row[1],
                row[2],
                row[3],
                variables,
                loops,
                outputs,
                after,
                row[10],
                row[11],
                row[12],
                row[13],
                row[14],
                bool(row[15]),
            )
        )
        variables = {**variables, **outputs}
        if after is not None:
            loops = after
    return found


def resume_point(run_id: str, steps: list[StepRow]) -> ResumePoint:
    """Where an interrupted run goes on (step None: from the runbook's start)."""
    if not steps:
        return ResumePoint(None, {}, {}, 1)
    last = steps[-1]
    if not last.finished or not last.target:
        point = ResumePoint(last.step, last.variables_before, last.loops_before, last.seq + 1)
    else:
        variables = {**last.variables_before, **last.outputs}
        loops = last.loops_after if last.loops_after is not None else last.loops_before
        point = ResumePoint(last.target, variables, loops, last.seq + 1)
    refuse_truncated(run_id, point)
    return point


def before_step(run_id: str, steps: list[StepRow], step: str) -> ResumePoint:
    """The variables a run had just before it first ran ``step`` (for rerun from step)."""
    for row in steps:
        if row.step == step:
            point = ResumePoint(step, row.variables_before, row.loops_before, 1)
            refuse_truncated(run_id, point)
            return point
    raise RunError(f"run '{run_id}' never reached step '{step}'; pick a step it ran")


def refuse_truncated(run_id: str, point: ResumePoint) -> None:
    names = [f"variable '{name}'" for name in truncated_names(point.variables)]
    names += [f"loop '{n}'" for n, state in point.loops.items() if truncated_names(state)]
    if names:
        raise RunError(
            f"run {run_id} cannot go on from the journal: {', '.join(names)} "
            f"{'was' if len(names) == 1 else 'were'} over the journal's size cap per value "
            "when recorded; start a new run instead"
        )


__all__ = [
    "before_step",
    "exchange_row",
    "refuse_truncated",
    "resume_point",
    "run_row",
    "step_rows",
]
