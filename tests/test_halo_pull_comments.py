"""A pull that changes a step whose kind changed keeps the comments after it (found in
use: the step was replaced through tomlkit, which took the comment lines that follow a
table with it) and the same-line comments of the keys it keeps (review: the step was
replaced as text, every line of it new). Workspaces are saved without losing comments;
everything else in the file must come out byte for byte as it was."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from runbench.core.halojson import ImportPlan, merge_plan
from runbench.core.workspace import WorkspaceDocument

BEFORE = """\
# top of the file
name = "pulled"

[runbooks.rb]
title = "RB"
start = "a"

[runbooks.rb.steps.a]
kind = "end"
title = "A"  # a comment on a line stays with its key
{sub}
# after a: stays where it is
[runbooks.rb.steps.b]
kind = "end"
title = "B"

# after b: stays too
"""

AFTER = """\
# top of the file
name = "pulled"

[runbooks.rb]
title = "RB"
start = "a"

[runbooks.rb.steps.a]
kind = "sleep"
title = "A"  # a comment on a line stays with its key
seconds = 5

# after a: stays where it is
[runbooks.rb.steps.b]
kind = "end"
title = "B"

# after b: stays too
"""

OUTPUTS = """
[runbooks.rb.steps.a.outputs]
Old = "response^old"
"""


def _plan() -> ImportPlan:
    plan = ImportPlan()
    steps: dict[str, Any] = {
        "a": {"kind": "sleep", "title": "A", "seconds": 5},
        "b": {"kind": "end", "title": "B"},
    }
    plan.runbooks["rb"] = {"title": "RB", "start": "a", "steps": steps}
    return plan


def _pulled(path: Path, text: str) -> str:
    """``text`` after a pull of ``_plan()``, saved and read back."""
    path.write_text(text)
    document = WorkspaceDocument(path)
    merge_plan(_plan(), document)
    document.save()
    return path.read_text()


def test_a_step_whose_kind_changed_keeps_the_comments_after_it(tmp_path: Path) -> None:
    assert _pulled(tmp_path / "w.toml", BEFORE.format(sub="")) == AFTER


def test_the_replaced_steps_header_sub_tables_go_and_the_comments_stay(tmp_path: Path) -> None:
    pulled = _pulled(tmp_path / "w.toml", BEFORE.format(sub=OUTPUTS))
    assert pulled == AFTER
    assert "outputs" not in tomllib.loads(pulled)["runbooks"]["rb"]["steps"]["a"]


def test_a_step_whose_kind_changed_keeps_what_only_runbench_has(tmp_path: Path) -> None:
    """Its notes, timeout and retry (Halo has none of them) stay, with their comments; the
    old kind's own keys (a method step's method and args) go."""
    local = BEFORE.format(
        sub='timeout = 30  # the API is slow\nnotes = "ask Sam first"\n'
        'method = "api.post"\nargs = { x = 1 }'
    )
    pulled = _pulled(tmp_path / "w.toml", local.replace('kind = "end"', 'kind = "method"', 1))
    assert 'timeout = 30  # the API is slow\nnotes = "ask Sam first"\n' in pulled
    step = tomllib.loads(pulled)["runbooks"]["rb"]["steps"]["a"]
    assert step == {
        "kind": "sleep",
        "title": "A",
        "seconds": 5,
        "timeout": 30,
        "notes": "ask Sam first",
    }
