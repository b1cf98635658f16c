"""A workspace's line map is scanned only when a problem needs a line, and then it is
the same map the scanner gives (so every problem keeps its line)."""

from __future__ import annotations

from pathlib import Path

from runbench.core.workspace import check_workspace, read_workspace

TEXT = """
[variables]
base = "http://127.0.0.1:1"

[integrations.api]
base_url = "<<base>>"

[integrations.api.methods.get]
path = "/item"
"""


def test_the_line_map_of_a_read_workspace(tmp_path: Path) -> None:
    path = tmp_path / "ws.toml"
    path.write_text(TEXT)
    lines = read_workspace(path)[0].lines
    assert lines[("integrations", "api", "methods", "get", "path")] == 9
    assert ("variables", "base") in lines
    assert lines.get(("nowhere",)) is None
    assert dict(lines)[("integrations", "api", "base_url")] == 6
    assert len(lines) == len(dict(lines))


def test_a_problem_still_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "ws.toml"
    path.write_text(TEXT + 'verb = "FETCH"\n')
    workspace, problems = read_workspace(path)
    found = problems + check_workspace(workspace)
    assert [problem.line for problem in found if "FETCH" in problem.message] == [10]


def test_errors_only_reports_no_warning_and_scans_nothing_for_one(tmp_path: Path) -> None:
    """What runs a workspace asks only for errors: a warning elsewhere (a step without an
    on_failure edge) neither shows nor costs the scan its line would."""
    path = tmp_path / "ws.toml"
    runbook = '[runbooks.r]\nstart = "a"\n[runbooks.r.steps.a]\nkind = "method"\n'
    runbook += 'method = "api.get"\non_success = "done"\n[runbooks.r.steps.done]\nkind = "end"\n'
    path.write_text(TEXT + runbook)
    workspace = read_workspace(path)[0]
    assert check_workspace(workspace, errors_only=True) == []
    assert workspace.lines._lines is None  # type: ignore[attr-defined]  # never scanned
    warnings = check_workspace(workspace)
    assert [(p.severity, p.line) for p in warnings] == [("warning", 12)]
