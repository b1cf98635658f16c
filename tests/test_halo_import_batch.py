"""import-halo and pull add a runbook's new steps and an integration's new methods in one
edit (red-team finding: 500 steps took 31 s of CPU, the file re-parsed three times per
step). The text must be byte for byte what adding them one at a time gives, and the number
of whole-file parses must not grow with the number of steps."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from halo_samples import many_step_plan
from runbench.core.halojson import merge_plan, write_plan
from runbench.core.workspace import WorkspaceDocument


def _one_at_a_time(self: WorkspaceDocument, tables: Sequence[tuple[Any, Any]]) -> None:
    for keys, values in tables:
        self.add_table(keys, values)


def test_import_is_byte_identical_to_adding_one_table_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batched = tmp_path / "batched.toml"
    write_plan(many_step_plan(30, 12), batched, "fixture")
    monkeypatch.setattr(WorkspaceDocument, "add_tables", _one_at_a_time)
    single = tmp_path / "single.toml"
    write_plan(many_step_plan(30, 12), single, "fixture")
    assert batched.read_bytes() == single.read_bytes()
    assert len(tomllib.loads(batched.read_text())["runbooks"]["big"]["steps"]) == 30


PULLED_INTO = """\
# kept: a comment at the top
name = "pulled"

[integrations.api]
title = "API"
base_url = "https://example.invalid"

[integrations.api.methods.m0]
title = "old title"  # kept: a comment on a line
path = "/x/0"

# kept: a comment before the runbooks
[runbooks.big]
title = "Big"
start = "step_0"

[runbooks.big.steps.step_0]
kind = "method"
title = "Step 0"
retry = 3

[runbooks.big.steps.step_1]
kind = "end"

# kept: a comment at the end
"""


def _pull(path: Path) -> str:
    path.write_text(PULLED_INTO)
    document = WorkspaceDocument(path)
    merge_plan(many_step_plan(30, 12), document)
    return document.text()


def test_pull_is_byte_identical_to_adding_one_table_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batched = _pull(tmp_path / "batched.toml")
    monkeypatch.setattr(WorkspaceDocument, "add_tables", _one_at_a_time)
    assert batched == _pull(tmp_path / "single.toml")
    for comment in ("at the top", "on a line", "before the runbooks"):
        assert f"# kept: a comment {comment}" in batched
    data = tomllib.loads(batched)
    assert data["runbooks"]["big"]["steps"]["step_0"]["retry"] == 3  # runbench's own key
    assert data["runbooks"]["big"]["steps"]["step_1"]["kind"] == "method"  # a new kind
    assert list(data["integrations"]["api"]["methods"]) == [f"m{i}" for i in range(12)]


def _counting_loads(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    real = tomllib.loads
    calls: list[int] = []

    def loads(text: str, /, **kwargs: Any) -> dict[str, Any]:
        calls.append(len(text))
        return real(text, **kwargs)

    monkeypatch.setattr(tomllib, "loads", loads)
    return lambda: len(calls)


@pytest.mark.parametrize("into_existing", [False, True])
def test_whole_file_parses_do_not_grow_with_the_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, into_existing: bool
) -> None:
    parses = _counting_loads(monkeypatch)
    counts = []
    for steps in (5, 60):
        path = tmp_path / f"{steps}.toml"
        before = parses()
        if into_existing:
            path.write_text(PULLED_INTO)
            merge_plan(many_step_plan(steps, steps, prefix="new"), WorkspaceDocument(path))
        else:
            write_plan(many_step_plan(steps, steps), path, "counted")
        counts.append(parses() - before)
    assert counts[0] == counts[1], f"tomllib.loads calls for 5 and 60 steps: {counts}"
    assert counts[1] < 30
