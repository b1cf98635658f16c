"""From a runbook (and what a run did) to what the flowchart view draws.

Pure functions, no widgets: the graph of a runbook (boxes = steps, edges from
``EDGE_KEYS`` with their labels), the steps in flow order (what up/down walks through),
the problems that concern each step, and the two-column mark each box gets. Marks are
text, not only colour, so the chart reads the same on a monochrome SSH session:

* first column, what the (shown) run did there: ``▶`` running or paused before it,
  ``✘`` failed, ``✔`` done, else ``!`` when the step has a validation problem;
* second column: ``●`` a breakpoint, else ``!`` for a problem hidden by a run mark.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from runbench.core.flowchart import Edge, Graph, Node
from runbench.core.workspace import EDGE_KEYS, Problem, Runbook, successors

RUNNING, DONE, FAILED, BREAKPOINT, PROBLEM = "▶", "✔", "✘", "●", "!"


def runbook_graph(runbook: Runbook) -> Graph:
    """Boxes for the steps (in file order) and one labelled edge per set edge key."""
    nodes = tuple(
        Node(step.id, step.title or step.id, step.kind) for step in runbook.steps.values()
    )
    edges = tuple(
        Edge(step.id, target, label)
        for step in runbook.steps.values()
        for key, label in EDGE_KEYS.get(step.kind, ())
        if (target := step.edge(key))
    )
    return Graph(nodes, edges, runbook.start)


def edge_label(kind: str, key: str | None) -> str:
    """The chart label of edge ``key`` of a ``kind`` step ("on_true" -> "met")."""
    for edge_key, label in EDGE_KEYS.get(kind, ()):
        if edge_key == key:
            return label
    return key or ""


def flow_order(runbook: Runbook) -> list[str]:
    """Step ids as the flow goes from the start: each step, then where its first edge
    leads (success, met, item...), then its other edges' branches; unreachable steps
    last. So down walks ask -> check -> post_back -> done -> failed, the way a run would
    read, not level by level."""
    order: list[str] = []
    todo = [runbook.start] if runbook.start in runbook.steps else []
    while todo:
        current = todo.pop()
        if current in order or current not in runbook.steps:
            continue
        order.append(current)
        todo.extend(reversed(successors(runbook.steps[current])))
    return order + [name for name in runbook.steps if name not in order]


def step_problems(problems: Iterable[Problem], runbook: str) -> dict[str, list[Problem]]:
    """Problems under ``runbooks.<runbook>.steps.<step>``, per step; "" holds the
    runbook's own (start missing, no steps, ...)."""
    found: dict[str, list[Problem]] = {}
    for problem in problems:
        keys = problem.keys
        if len(keys) < 2 or keys[0] != "runbooks" or keys[1] != runbook:
            continue
        step = keys[3] if len(keys) >= 4 and keys[2] == "steps" else ""
        found.setdefault(step, []).append(problem)
    return found


@dataclass(frozen=True)
class StepState:
    """What the shown run did at one step (its last visit)."""

    status: str  # running | paused | done | failed
    edge: str | None = None
    target: str | None = None
    duration_ms: float | None = None
    error: str | None = None
    visits: int = 1


def chart_marks(
    steps: Iterable[str],
    states: Mapping[str, StepState],
    breakpoints: Collection[str],
    problems: Mapping[str, Sequence[Problem]],
) -> dict[str, str]:
    """The two-column mark of every step that has one (see the module docstring)."""
    marks: dict[str, str] = {}
    for step in steps:
        state = states.get(step)
        first = {"running": RUNNING, "paused": RUNNING, "done": DONE, "failed": FAILED}.get(
            state.status if state else "", ""
        )
        has_problem = bool(problems.get(step))
        if not first and has_problem:
            first, has_problem = PROBLEM, False
        second = BREAKPOINT if step in breakpoints else (PROBLEM if has_problem else "")
        if first or second:
            marks[step] = (first or " ") + (second or " ")
    return marks


def problem_lines(problems: Mapping[str, Sequence[Problem]]) -> list[tuple[str, str]]:
    """(severity, "step: message") lines for the list under the chart, errors first."""
    rows = [(p.severity, p.message) for items in problems.values() for p in items]
    rows.sort(key=lambda row: row[0] != "error")
    return [(severity, _short_message(message)) for severity, message in rows]


def _short_message(message: str) -> str:
    """Drop the ``runbooks.ID.steps.`` prefix validation puts in front of messages."""
    head, sep, rest = message.partition(": ")
    if sep and head.startswith("runbooks."):
        parts = head.split(".")
        where = (
            ".".join(parts[3:]) if len(parts) > 3 and parts[2] == "steps" else ".".join(parts[2:])
        )
        return f"{where or parts[1]}: {rest}"
    return message


__all__ = [
    "BREAKPOINT",
    "DONE",
    "FAILED",
    "PROBLEM",
    "RUNNING",
    "StepState",
    "chart_marks",
    "edge_label",
    "flow_order",
    "problem_lines",
    "runbook_graph",
    "step_problems",
]
