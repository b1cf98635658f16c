"""The suite runs its longest tests first (tests/ordering.py, issue 13.8)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from ordering import COSTS, longest_first, read_costs, write_costs


@dataclass
class Item:
    nodeid: str


def test_recorded_tests_come_first_longest_first_and_the_rest_keep_their_order() -> None:
    items = [Item(name) for name in ("a", "b", "c", "d", "e")]
    costs = {"d": 3.0, "b": 9.0, "x": 50.0}  # x: recorded, no longer collected
    assert [item.nodeid for item in longest_first(items, costs)] == ["b", "d", "a", "c", "e"]


def test_equal_costs_keep_the_collected_order() -> None:
    items = [Item(name) for name in ("a", "b", "c")]
    assert [i.nodeid for i in longest_first(items, {"c": 1.0, "a": 1.0})] == ["a", "c", "b"]


def test_costs_round_trip_and_short_tests_are_not_recorded(tmp_path: Path) -> None:
    path = tmp_path / "costs.tsv"
    kept = write_costs([(0.1, "short"), (2.5, "t::long"), (0.75, "t::mid[a\tb]")], path)
    assert kept == 2
    assert read_costs(path) == {"t::long": 2.5, "t::mid[a\tb]": 0.75}


def test_a_missing_or_damaged_costs_file_only_loses_the_order(tmp_path: Path) -> None:
    assert read_costs(tmp_path / "absent.tsv") == {}
    damaged = tmp_path / "damaged.tsv"
    damaged.write_text("not a number\tt::a\n1.5\tt::b\n\n", encoding="utf-8")
    assert read_costs(damaged) == {"t::b": 1.5}


def test_this_session_runs_in_the_recorded_order(request: pytest.FixtureRequest) -> None:
    """The conftest hook is wired: the session's items start with the recorded ones."""
    if os.environ.get("RUNBENCH_TEST_ORDER") == "collected":
        pytest.skip("RUNBENCH_TEST_ORDER=collected: this run keeps pytest's order on purpose")
    costs = read_costs()
    assert costs, f"{COSTS} records no test: run `make test-cpu RECORD=1`"
    ids = [item.nodeid for item in request.session.items]
    recorded = [nodeid for nodeid in ids if nodeid in costs]
    assert ids[: len(recorded)] == recorded
    assert [costs[n] for n in recorded] == sorted((costs[n] for n in recorded), reverse=True)
