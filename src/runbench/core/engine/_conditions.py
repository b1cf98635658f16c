"""Condition steps: rows of ``left op right`` combined with match = all | any.

Choices (documented in docs/runbooks.md):

* Text comparisons (equals, contains, includes and their negations) ignore case, like
  Halo's own conditions; ``matches`` is a case-sensitive regex *search* (use ``(?i)``).
* When both sides are numbers, or strings that read as numbers, they compare as numbers
  (``"10" > 9``, ``"5" equals 5.0``); ordering operators on non-numbers compare text.
* Either side may be a template; a side that is exactly one ``<<x>>`` keeps x's type.
* ``has_value``/``no_value`` treat an unset variable or a path that finds nothing as no
  value (not an error); empty string, null, [] and {} have no value either.
* ``any_value`` (Halo's "to any value", operator -10) is always met, set or not.
* Ordering operators against a number compare an array (or a string holding a JSON
  array) by its length: Halo's "has elements" idiom is ``greater_than 0`` on an array.
* No rows: the condition is met.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from runbench.core.engine._variables import Renderer
from runbench.core.errors import NoMatchError, UnknownVariableError
from runbench.core.files import load_json_text
from runbench.core.workspace import Rule


@dataclass(frozen=True)
class RuleOutcome:
    """One rule as evaluated: both sides rendered, and whether it was met."""

    rule: Rule
    left: Any
    right: Any
    met: bool

    def describe(self) -> str:
        unary = self.rule.op in ("has_value", "no_value", "any_value")
        right = "" if unary else f" {self.right!r}"
        return f"{self.left!r} {self.rule.op}{right}: {'met' if self.met else 'not met'}"


def evaluate(
    rules: Sequence[Rule], match: str, variables: Mapping[str, Any], renderer: Renderer
) -> tuple[bool, list[RuleOutcome]]:
    """Whether the rows are met; render errors of a side (not has/no_value) propagate."""
    outcomes: list[RuleOutcome] = []
    for rule in rules:
        outcome = evaluate_rule(rule, variables, renderer)
        outcomes.append(outcome)
        if match == "any" and outcome.met:
            return True, outcomes
        if match != "any" and not outcome.met:
            return False, outcomes
    if not rules:
        return True, outcomes
    return match != "any", outcomes


def evaluate_rule(rule: Rule, variables: Mapping[str, Any], renderer: Renderer) -> RuleOutcome:
    if rule.op in ("has_value", "no_value", "any_value"):
        try:
            left = renderer.value(rule.left, variables)
        except (UnknownVariableError, NoMatchError):
            left = None
        present = has_value(left)
        met = {"has_value": present, "no_value": not present}.get(rule.op, True)
        return RuleOutcome(rule, left, None, met)
    left = renderer.value(rule.left, variables)
    right = renderer.value(rule.right, variables)
    operator = OPERATIONS.get(rule.op)
    if operator is None:
        raise ValueError(f"unknown operator '{rule.op}'")
    return RuleOutcome(rule, left, right, operator(left, right))


def has_value(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip() != ""
    if isinstance(value, (list, dict)):
        return len(value) > 0
    return True


def number(value: Any) -> float | None:
    """``value`` as a number, when it is one or a string that reads as one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def equals(left: Any, right: Any) -> bool:
    a, b = number(left), number(right)
    if a is not None and b is not None:
        return a == b
    if isinstance(left, (dict, list)) and isinstance(right, (dict, list)):
        return bool(left == right)
    return text(left).casefold() == text(right).casefold()


def contains(left: Any, right: Any) -> bool:
    if isinstance(left, list):
        return any(equals(item, right) for item in left)
    return text(right).casefold() in text(left).casefold()


def members(right: Any) -> list[Any]:
    """The set of an includes rule: an array, or a comma-separated string."""
    if isinstance(right, list):
        return right
    if isinstance(right, str) and right.strip().startswith("["):
        try:
            parsed = load_json_text(right)
        except ValueError:  # not JSON, or a number too long to read
            parsed = None
        if isinstance(parsed, list):
            return parsed
    return [part.strip() for part in text(right).split(",")]


def includes(left: Any, right: Any) -> bool:
    """``left`` is in the set (an array ``left`` counts when any element is)."""
    pool = members(right)
    lefts = left if isinstance(left, list) else [left]
    return any(equals(item, member) for item in lefts for member in pool)


def sized(value: Any) -> Any:
    """An array or object as its length (also a string holding a JSON array); else as is."""
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:
            value = load_json_text(value)
        except ValueError:  # not JSON, or a number too long to read
            return value
    return len(value) if isinstance(value, (list, dict)) else value


def _order(test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(left: Any, right: Any) -> bool:
        if number(right) is not None:
            left = sized(left)
        if number(left) is not None:
            right = sized(right)
        a, b = number(left), number(right)
        if a is not None and b is not None:
            return test(a, b)
        return test(text(left), text(right))

    return compare


def matches(left: Any, right: Any) -> bool:
    try:
        return re.search(text(right), text(left)) is not None
    except re.error as exc:
        raise ValueError(f"bad regular expression {text(right)!r}: {exc}") from None


OPERATIONS: Mapping[str, Callable[[Any, Any], bool]] = MappingProxyType(
    {
        "equals": equals,
        "not_equals": lambda a, b: not equals(a, b),
        "contains": contains,
        "not_contains": lambda a, b: not contains(a, b),
        "greater_than": _order(lambda a, b: a > b),
        "greater_or_equal": _order(lambda a, b: a >= b),
        "less_than": _order(lambda a, b: a < b),
        "less_or_equal": _order(lambda a, b: a <= b),
        "includes": includes,
        "not_includes": lambda a, b: not includes(a, b),
        "matches": matches,
    }
)

__all__ = ["RuleOutcome", "evaluate", "evaluate_rule", "has_value", "number"]
