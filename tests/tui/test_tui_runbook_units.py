"""Unit tests of the runbook pieces without a screen: graph, marks, run state, edits."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from runbench.cli.cmd_tui import unicode_terminal
from runbench.core.engine import Engine, Journal
from runbench.core.workspace import (
    Problem,
    RunbookEdits,
    WorkspaceDocument,
    check_workspace,
    load_workspace,
)
from runbench.tui.state.flow_graph import (
    StepState,
    chart_marks,
    flow_order,
    problem_lines,
    runbook_graph,
    step_problems,
)
from runbench.tui.state.run_view import RunView

DEMO = Path(__file__).resolve().parents[2] / "workspaces" / "demo.toml"
SMALL = """
[runbooks.r]
start = "check"

[runbooks.r.inputs]
n = { type = "int", default = 3 }

[runbooks.r.steps.check]
kind = "condition"
rules = [ { left = "<<n>>", op = "greater_than", right = 2 } ]
on_true = "big"
on_false = "small"

[runbooks.r.steps.big]
kind = "end"
result = "success"
message = "big <<n>>"

[runbooks.r.steps.small]
kind = "end"
result = "failure"
message = "small <<n>>"
"""


def test_graph_of_a_runbook_has_every_edge_with_its_label() -> None:
    workspace = load_workspace(DEMO)
    graph = runbook_graph(workspace.runbooks["onboard_users"])
    edges = {(e.source, e.label, e.target) for e in graph.edges}
    assert ("each_user", "item", "company_email") in edges
    assert ("company_email", "not met", "next_user") in edges
    assert ("next_user", "loop", "each_user") in edges
    assert ("next_user", "done", "done") in edges
    assert graph.start == "each_user"
    assert [n.kind for n in graph.nodes if n.id == "create_user"] == ["halo"]
    assert flow_order(workspace.runbooks["onboard_users"]) == [  # as a run would go
        "each_user",
        "company_email",
        "create_user",
        "next_user",
        "done",
        "failed",
    ]


def test_marks_combine_run_state_breakpoints_and_problems() -> None:
    problem = Problem(
        "w.toml",
        3,
        "error",
        "runbooks.r.steps.b.on_true: no step 'x'",
        ("runbooks", "r", "steps", "b", "on_true"),
    )
    other = Problem(
        "w.toml", 1, "warning", "runbooks.q.steps.b: elsewhere", ("runbooks", "q", "steps", "b")
    )
    own = Problem("w.toml", 1, "error", "runbooks.r: missing start", ("runbooks", "r"))
    problems = step_problems([problem, other, own], "r")
    assert set(problems) == {"b", ""}
    states = {"a": StepState("done"), "b": StepState("running"), "c": StepState("failed")}
    marks = chart_marks(["a", "b", "c", "d", "e"], states, {"b", "d"}, problems)
    assert marks == {"a": "✔ ", "b": "▶●", "c": "✘ ", "d": " ●"}
    marks = chart_marks(
        ["a", "b"], {"a": StepState("done")}, set(), {"a": [problem], "b": [problem]}
    )
    assert marks == {"a": "✔!", "b": "! "}
    assert problem_lines(problems) == [
        ("error", "b.on_true: no step 'x'"),
        ("error", "r: missing start"),
    ]


@pytest.mark.parametrize(("n", "status", "end"), [(3, "success", "big"), (1, "failure", "small")])
async def test_run_view_from_events_matches_the_journal(
    tmp_path: Path, n: int, status: str, end: str
) -> None:
    path = tmp_path / "w.toml"
    path.write_text(SMALL, encoding="utf-8")
    workspace = load_workspace(path)
    journal = Journal.for_workspace(path)
    engine = Engine(workspace, journal=journal, environ={})
    stream = engine.subscribe()
    handle = engine.start("r", inputs={"n": n})
    view = RunView(handle.run_id, "r")
    result = await handle.result()
    stream.close()
    async for event in stream:
        view.apply(event)
    assert result.status == status
    row = journal.run(handle.run_id)
    assert row is not None
    past = RunView.from_journal(
        row, journal.steps(row.id), journal.exchanges(row.id), workspace.variables
    )
    journal.close()
    for shown in (view, past):
        assert shown.status == status
        assert not shown.active
        assert shown.message == f"{end} {n}"
        assert shown.taken == {("check", "on_true" if n > 2 else "on_false")}
        assert shown.steps["check"].status == "done"
        assert shown.steps[end].status == ("done" if status == "success" else "failed")
        assert f"run {status}: {end} {n}" in [line.text for line in shown.log]
    assert past.variables["n"].value == n
    assert past.variables["n"].source == "input"
    assert [r.step for r in past.rows] == ["check", end]


def test_rename_step_repoints_edges_start_and_self_loops(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text(SMALL.replace('on_false = "small"', 'on_false = "check"'), encoding="utf-8")
    document = WorkspaceDocument(path)
    edits = RunbookEdits(document)
    workspace, _ = document.model()
    assert edits.rename_step(workspace, "r", "check", "decide") == 2  # start + its own on_false
    data = tomllib.loads(document.text())["runbooks"]["r"]
    assert data["start"] == "decide"
    assert data["steps"]["decide"]["on_false"] == "decide"
    assert "check" not in data["steps"]


def test_step_edits_keep_inline_tables(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text(SMALL, encoding="utf-8")
    document = WorkspaceDocument(path)
    edits = RunbookEdits(document)
    keys = ("runbooks", "r", "steps", "check")
    edits.set_rules(
        keys + ("rules",),
        [
            {"left": "<<n>>", "op": "has_value", "right": None},
            {"left": "<<n>>", "op": "less_than", "right": 9},
        ],
    )
    edits.set_retry(keys, "attempts", 3)
    edits.set_retry(keys, "delay", 0.5)
    edits.set_value(keys + ("on_false",), None)
    text = document.text()
    assert '  { left = "<<n>>", op = "has_value" },\n' in text  # one rule a line
    assert "retry = { attempts = 3, delay = 0.5 }" in text
    assert "[runbooks.r.steps.check.retry]" not in text
    workspace, problems = document.model()
    step = workspace.runbooks["r"].steps["check"]
    assert [r.op for r in step.rules] == ["has_value", "less_than"]
    assert not problems
    assert step.edge("on_false") is None
    assert any("no 'on_false' edge" in p.message for p in check_workspace(workspace))
    edits.set_retry(keys, "attempts", None)
    assert "retry" not in document.text()
    workspace, _ = document.model()
    assert edits.add_step(workspace, "r", "wait", "sleep") == "wait"
    assert tomllib.loads(document.text())["runbooks"]["r"]["steps"]["wait"] == {
        "kind": "sleep",
        "seconds": 1,
    }


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, True),
        ({"LANG": "en_US.UTF-8"}, True),
        ({"LANG": "C.utf8"}, True),
        ({"LANG": "C"}, False),
        ({"LC_ALL": "POSIX", "LANG": "en_US.UTF-8"}, False),
        ({"LC_CTYPE": "en_US.ISO-8859-1"}, False),
        ({"LANG": "C", "LC_CTYPE": "C.UTF-8"}, False),  # Python's own C-locale coercion
        ({"LANG": "en_GB.UTF-8", "LC_CTYPE": "C.UTF-8"}, True),
    ],
)
def test_unicode_terminal_follows_the_locale(environ: dict[str, str], expected: bool) -> None:
    assert unicode_terminal(environ) is expected
