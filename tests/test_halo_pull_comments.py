"""A pull that replaces a step whose kind changed keeps the comments after it (found in
use: the step was replaced through tomlkit, which took the comment lines that follow a
table with it). Workspaces are saved without losing comments; everything else in the file
must come out byte for byte as it was."""

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
title = "A"  # a comment on a line goes with the table
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
title = "A"
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
    path.write_text(text)
    document = WorkspaceDocument(path)
    merge_plan(_plan(), document)
    return document.text()


def test_a_step_whose_kind_changed_keeps_the_comments_after_it(tmp_path: Path) -> None:
    assert _pulled(tmp_path / "w.toml", BEFORE.format(sub="")) == AFTER


def test_the_replaced_steps_header_sub_tables_go_and_the_comments_stay(tmp_path: Path) -> None:
    pulled = _pulled(tmp_path / "w.toml", BEFORE.format(sub=OUTPUTS))
    assert pulled == AFTER
    assert "outputs" not in tomllib.loads(pulled)["runbooks"]["rb"]["steps"]["a"]
