"""Condition operators, match all/any, typing of sides, has_value on unset variables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runbench.core.engine import Renderer
from runbench.core.engine import evaluate_rules as evaluate
from runbench.core.workspace import Rule
from test_engine_support import engine, workspace

VARS: dict[str, Any] = {
    "n": 10,
    "s": "10",
    "name": "Ada Lovelace",
    "tags": ["a", "b"],
    "empty": "",
    "none": None,
    "email": "ada@example.com",
    "obj": {"k": 1},
    "flag": True,
    "list": [],
}


@pytest.mark.parametrize(
    ("left", "op", "right", "met"),
    [
        ("<<n>>", "equals", "10", True),
        ("<<s>>", "equals", 10.0, True),
        ("<<name>>", "equals", "ada lovelace", True),  # case-insensitive
        ("<<name>>", "equals", "Ada", False),
        ("<<name>>", "not_equals", "Ada", True),
        ("<<flag>>", "equals", "TRUE", True),
        ("<<obj>>", "equals", {"k": 1}, True),
        ("<<name>>", "contains", "LOVE", True),
        ("<<name>>", "not_contains", "grace", True),
        ("<<tags>>", "contains", "b", True),
        ("<<n>>", "greater_than", 9, True),
        ("<<s>>", "greater_than", "9", True),  # numeric strings compare as numbers
        ("<<n>>", "greater_than", 10, False),
        ("<<n>>", "greater_or_equal", 10, True),
        ("<<n>>", "less_than", "11", True),
        ("<<n>>", "less_or_equal", 9, False),
        ("b", "greater_than", "a", True),  # text ordering when not numbers
        ("<<name>>", "includes", "Grace, ada lovelace ,Bob", True),
        ("<<n>>", "includes", [1, 10, 100], True),
        ("<<n>>", "includes", "[1, 2]", False),
        ("<<tags>>", "includes", "x,b", True),
        ("<<name>>", "not_includes", "a,b", True),
        ("<<name>>", "has_value", None, True),
        ("<<empty>>", "has_value", None, False),
        ("<<none>>", "no_value", None, True),
        ("<<list>>", "no_value", None, True),
        ("<<unset>>", "no_value", None, True),  # an unset variable has no value, no error
        ("<<unset>>", "has_value", None, False),
        ("<<obj^missing>>", "no_value", None, True),
        ("<<email>>", "matches", r"@example\.com$", True),
        ("<<email>>", "matches", r"^example", False),  # search, anchored: no
        ("<<email>>", "matches", "EXAMPLE", False),  # regex is case-sensitive
        ("<<n>>", "equals", "<<s>>", True),  # both sides variables
        ("prefix <<n>>", "equals", "prefix 10", True),  # mixed template renders to text
    ],
)
def test_operator(left: str, op: str, right: Any, met: bool) -> None:
    outcome, rows = evaluate((Rule(left, op, right),), "all", VARS, Renderer())
    assert outcome is met, rows[0].describe()


def test_match_all_any_and_no_rows() -> None:
    yes, no = Rule("1", "equals", "1"), Rule("1", "equals", "2")
    renderer = Renderer()
    assert evaluate((yes, no), "all", {}, renderer)[0] is False
    assert evaluate((no, yes), "any", {}, renderer)[0] is True
    assert evaluate((no, no), "any", {}, renderer)[0] is False
    assert evaluate((), "all", {}, renderer)[0] is True
    assert evaluate((), "any", {}, renderer)[0] is True


def test_unset_variable_in_binary_operator_raises() -> None:
    from runbench.core.errors import UnknownVariableError

    with pytest.raises(UnknownVariableError):
        evaluate((Rule("<<unset>>", "equals", "x"),), "all", {}, Renderer())


def test_bad_regex_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="bad regular expression"):
        evaluate((Rule("x", "matches", "("),), "all", {}, Renderer())


async def test_condition_step_with_no_rows_is_met(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "c"
        [runbooks.r.steps.c]
        kind = "condition"
        on_true = "yes"
        on_false = "no"
        [runbooks.r.steps.yes]
        kind = "end"
        message = "met"
        [runbooks.r.steps.no]
        kind = "end"
        message = "not met"
    """,
    )
    result = await engine(ws).run("r")
    assert result.message == "met"
    assert result.steps[0].edge == "on_true"
