"""Rebuilding a run from its rows: each step's variables and loops, and where it goes on.

Step rows store changes (see ``_values``), so a step's variables are the previous
step's variables, plus what that step output, plus its own changes (a "base" row
restarts from its full snapshot). One pass over a run's rows rebuilds them all, in time
and memory linear in what was stored; values are shared between steps, not copied.

A stored value that does not decode (a row changed outside runbench, a damaged disk)
never escapes as a bare JSON error: a run row says so in ``RunRow.damaged`` (it can
still be listed and shown; claims and resume end it as failed), a step or exchange row
raises ``DamagedRowError`` naming the run, the step, the column and the journal.
"""

from __future__ import annotations

from typing import Any

from runbench.core.errors import DamagedRowError, RunError
from runbench.core.journal._backend import Row
from runbench.core.journal._rows import (
    INTERRUPTED_STEP,
    ExchangeRow,
    ResumePoint,
    RunRow,
    StepRow,
)
from runbench.core.journal._values import apply_loops, apply_map, loads, truncated_names

_OBJECT_COLUMNS = ((3, "inputs"), (4, "context"), (5, "overrides"))
_TODO = (
    "The row was changed outside runbench (or the disk damaged it), so the run cannot go "
    "on; start a new run with the same inputs (or send the delivery again with a new id)"
)


def run_row(row: Row, where: str = "") -> RunRow:
    """A run as stored; a column that does not decode is left empty and named in
    ``damaged`` (with ``where``, the journal's location, and what to do)."""
    found: list[str] = []
    inputs, context, overrides = (_object(row[i], name, found) for i, name in _OBJECT_COLUMNS)
    crashes = _count(row[15], found)
    return RunRow(
        row[0],
        row[1],
        row[2],
        inputs,
        context,
        overrides,
        row[6],
        row[7],
        row[8],
        row[9],
        row[10],
        row[11],
        row[12],
        row[13],
        row[14],
        crashes,
        damaged=damaged_text(row[0], found, where) if found else None,
    )


def damaged_text(run_id: str, found: list[str], where: str) -> str:
    return f"run {run_id} is damaged: its stored {'; '.join(found)}{_place(where)}. {_TODO}"


def _object(text: Any, column: str, found: list[str]) -> dict[str, Any]:
    """A stored JSON object; {} and a note in ``found`` if it is not one."""
    try:
        value = loads(text, {})
    except (ValueError, TypeError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        found.append(f"{column} do not decode as JSON ({_short(exc)})")
        return {}
    if not isinstance(value, dict):
        found.append(f"{column} are not a JSON object (a {type(value).__name__})")
        return {}
    return value


def _count(value: Any, found: list[str]) -> int:
    try:
        return int(value or 0)
    except (ValueError, TypeError):
        found.append(f"crash count is not a number ({str(value)[:40]!r})")
        return 0


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _strict(text: Any, empty: Any, what: str, where: str) -> Any:
    """A step's or an exchange's stored JSON; DamagedRowError naming ``what`` if it does
    not decode."""
    try:
        return loads(text, empty)
    except (ValueError, TypeError, RecursionError) as exc:
        raise DamagedRowError(
            f"{what}{_place(where)} does not decode as JSON ({_short(exc)}). {_TODO}"
        ) from None


def _place(where: str) -> str:
    return f" in the journal {where}" if where else ""


def exchange_row(row: Row, where: str = "") -> ExchangeRow:
    what = f"run {row[0]}: the exchange of step {row[1]} (attempt {row[3]})"
    request = _strict(row[4], None, f"{what}: its stored request", where)
    response = _strict(row[5], None, f"{what}: its stored response", where)
    return ExchangeRow(row[0], row[1], row[2] or "", row[3], request, response, row[6], row[7])


def step_rows(rows: list[Row], where: str = "") -> list[StepRow]:
    """Whole StepRows from stored rows in seq order (DamagedRowError: one does not
    decode, ``where`` names the journal in its message)."""
    found: list[StepRow] = []
    variables: dict[str, Any] = {}
    loops: dict[str, Any] = {}
    for row in rows:
        try:
            found.append(_step_row(row, variables, loops, where))
        except (AttributeError, TypeError, ValueError) as exc:  # decodes, but not as written
            what = f"run {row[0]}: step {row[1]} ({row[2]}): its stored changes"
            raise DamagedRowError(
                f"{what} are not what runbench writes ({_short(exc)}){_place(where)}. {_TODO}"
            ) from None
        variables, loops = found[-1].variables_after, found[-1].loops_after_step
    return found


def _step_row(row: Row, variables: dict[str, Any], loops: dict[str, Any], where: str) -> StepRow:
    what = f"run {row[0]}: step {row[1]} ({row[2]}): its stored"
    changed = _strict(row[5], {}, f"{what} variables", where)
    loop_changes = _strict(row[7], {}, f"{what} loops", where)
    if bool(row[4]):
        variables, loops = dict(changed), dict(loop_changes)
    else:
        unset = _strict(row[6], [], f"{what} unset names", where)
        variables = apply_map(variables, changed, unset)
        loops = apply_loops(loops, loop_changes)
    outputs = dict(_strict(row[8], {}, f"{what} outputs", where))
    after_delta = _strict(row[9], None, f"{what} loops after", where)
    after = None if after_delta is None else apply_loops(loops, after_delta)
    return StepRow(
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


def resume_point(run_id: str, steps: list[StepRow]) -> ResumePoint:
    """Where an interrupted run goes on (step None: from the runbook's start).

    A last step that finished with no next step ended the run (``ResumePoint.ended``),
    unless resume closed it as interrupted: the one kind of finished step without a next
    step the journal writes apart from the run's end (the others go with it)."""
    if not steps:
        return ResumePoint(None, {}, {}, 1)
    last = steps[-1]
    after, loops = last.variables_after, last.loops_after_step
    if last.finished and not last.target and last.error != INTERRUPTED_STEP:
        return ResumePoint(last.step, after, loops, last.seq + 1, ended=last)
    if not last.finished or not last.target:
        point = ResumePoint(last.step, last.variables_before, last.loops_before, last.seq + 1)
    else:
        point = ResumePoint(last.target, after, loops, last.seq + 1)
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
