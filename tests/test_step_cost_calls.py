"""Calls the journal and the redactor make per step, kept from coming back (issue 19.5):
an unchanged variable (the same object, as the engine keeps it) is not compared, and
text is not handed to the redactor's pattern while no secret is known. Counted with
``sys.setprofile`` (Python calls by name): deterministic, unlike time."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from runbench.core.journal import Journal
from runbench.core.secrets import REDACTED, Redactor


def calls_named(names: set[str], action: Callable[[], Any]) -> list[str]:
    """The Python functions called ``names`` that ``action`` calls (on this thread)."""
    seen: list[str] = []

    def profile(frame: FrameType, event: str, _arg: object) -> None:
        if event == "call" and frame.f_code.co_name in names:
            seen.append(frame.f_code.co_name)

    sys.setprofile(profile)
    try:
        action()
    finally:
        sys.setprofile(None)
    return seen


def test_a_step_start_compares_no_variable_that_is_the_same_object(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "runs.db")
    variables: dict[str, object] = {"base": "http://x", "n": 12345, "name": "item 1"}
    try:
        run_id = journal.create_run("r")
        journal.start_step(run_id, 1, "a", "method", variables, {})
        variables["name"] = "item 2"  # a new object: compared, and stored as a change
        compared = calls_named(
            {"same"}, lambda: journal.start_step(run_id, 2, "b", "method", variables, {})
        )
        journal.finish_run(run_id, "success", None, "")
        journal.sync(run_id)
        rows = [row.variables_before for row in journal.steps(run_id)]
    finally:
        journal.close()
    assert compared == ["same"]  # was three: one per variable, the same objects too
    assert rows[1] == {"base": "http://x", "n": 12345, "name": "item 2"}


def test_text_goes_to_no_pattern_while_no_secret_is_known() -> None:
    redactor = Redactor()
    assert calls_named({"_regex"}, lambda: redactor.text("a body")) == []  # was one
    redactor.add("s3cr3t-value")
    assert redactor.text("a s3cr3t-value here") == f"a {REDACTED} here"
