"""import-halo and export-halo: Halo JSON built by hand (tests/halo_samples.py) becomes a
workspace that passes check, and comes back from export as the same workspace."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from halo_samples import (
    ALL_OPERATORS,
    FOLLOW_UP_GUID,
    follow_up_runbook,
    integrations,
    triage_runbook,
)
from runbench.cli.main import main
from runbench.core.halojson import export_integrations, export_runbooks, import_halo, write_plan
from runbench.core.workspace import Workspace, check_workspace, load_workspace

DEMO = Path(__file__).resolve().parents[1] / "workspaces" / "demo.toml"


Imported = tuple[Workspace, list[str]]


def import_samples(tmp_path: Path, name: str = "ws.toml") -> Imported:
    plan = import_halo([triage_runbook(), follow_up_runbook()], integrations())
    path = tmp_path / name
    warnings = [str(w) for w in write_plan(plan, path, "imported")]
    return load_workspace(path), warnings


@pytest.fixture(scope="module")
def imported_once(tmp_path_factory: pytest.TempPathFactory) -> Imported:
    """The samples imported once for the tests that only read the result (half a second
    of CPU each time); the workspace is frozen, the warnings are copied for each test."""
    return import_samples(tmp_path_factory.mktemp("halo"))


@pytest.fixture
def imported(imported_once: Imported) -> Imported:
    ws, warnings = imported_once
    return ws, list(warnings)


def comparable(ws: Workspace) -> Workspace:
    return dataclasses.replace(ws, path="", lines={}, name="")


def test_import_passes_check_with_no_error(imported: Imported) -> None:
    ws, _ = imported
    errors = [p for p in check_workspace(ws) if p.is_error]
    assert errors == []


def test_every_step_kind_and_edge_is_converted(imported: Imported) -> None:
    ws, _ = imported
    book = ws.runbooks["triage_tickets"]
    kinds = {s.id: s.kind for s in book.steps.values()}
    assert kinds == {
        "any_tickets": "condition",
        "loop_tickets": "foreach",
        "ask_ai": "ai",
        "get_details": "method",
        "is_incident": "condition",
        "update_ticket": "halo",
        "next_ticket": "next",
        "count": "sql",
        "wait": "sleep",
        "agent": "ai",
        "hand_over": "runbook",
        "nothing_to_do": "end",
        "failed": "end",
        "failed_agent": "end",
    }
    assert book.start == "any_tickets"  # the isstart step, not the first id
    steps = book.steps
    assert steps["any_tickets"].edges == {"on_true": "loop_tickets", "on_false": "nothing_to_do"}
    assert steps["loop_tickets"].edges == {"on_item": "ask_ai", "on_empty": "nothing_to_do"}
    assert steps["next_ticket"].edges == {"on_done": "count", "loop": "loop_tickets"}
    assert steps["wait"].edges == {"next": "agent"}
    assert steps["wait"].seconds == 2
    assert steps["get_details"].method == "ticketing_api.get_ticket"
    assert steps["update_ticket"].action == "update_ticket"
    assert "$ALLNONSYSACTIONS" in (steps["update_ticket"].body or "")
    assert steps["count"].query.startswith("SELECT COUNT(*)")
    assert [(o.name, o.path, o.type) for o in steps["count"].outputs] == [
        ("Count", "response[0]^n", "int")
    ]
    assert (steps["ask_ai"].ai_type, steps["agent"].ai_type) == ("ability", "agent")
    assert steps["ask_ai"].args == {"Summary": "<<ticket^summary!>>"}
    assert steps["ask_ai"].halo == {"step_id": 12, "ai_ability_id": 7, "auto_action_type": 44}
    assert steps["hand_over"].runbook == "follow_up"
    assert (steps["failed"].result, steps["failed_agent"].result) == ("failure", "failure")
    assert steps["nothing_to_do"].message == "<<report_data>>"


def test_condition_operators_by_halo_id(imported: Imported) -> None:
    ws, _ = imported
    rules = ws.runbooks["triage_tickets"].steps["is_incident"].rules
    ops = [r.op for r in rules[: len(ALL_OPERATORS)]]
    assert ops == [
        "equals",
        "not_equals",
        "contains",
        "not_contains",
        "greater_than",
        "greater_or_equal",
        "less_than",
        "less_or_equal",
        "includes",
        "not_includes",
        "has_value",
        "no_value",
        "any_value",
    ]
    assert (rules[4].left, rules[4].right) == ("<<Tickets>>", 0)  # array has elements
    assert rules[-2].left == "<<CFPriorityReason>>"  # a ticket custom field
    assert rules[-2].right == "VIP <<<<>>not a variable>>"  # Halo's value side is literal
    assert (rules[-1].left, rules[-1].op, rules[-1].right) == (
        "<<ticket^status_id>>",
        "not_equals",
        9,
    )


def test_approximations_are_warned_with_their_lines(imported: Imported) -> None:
    ws, warnings = imported
    text = Path(ws.path).read_text().splitlines()

    def line_of(warning: str) -> str:
        return text[int(warning.split(":")[1]) - 1]

    stub = next(w for w in warnings if "slack.post_message is a stub" in w)
    assert line_of(stub) == 'method = "slack.post_message"'
    dollar = next(w for w in warnings if "$ALLNONSYSACTIONS" in w)
    assert line_of(dollar).startswith("body = ")
    assert any("Next step not found" in w for w in warnings)
    assert any("Halo API action 26 (post chat message)" in w for w in warnings)
    assert any("action 99 is not a step runbench knows" in w for w in warnings)
    assert all(": warning: " in w for w in warnings)
    follow = ws.runbooks["follow_up"]
    assert follow.steps["has_note"].edge("on_false") == "next_step_not_found"
    assert follow.public
    assert follow.inputs["note_text"].default == "hi"


def test_round_trip_gives_the_same_workspace(imported: Imported, tmp_path: Path) -> None:
    first, _ = imported
    books = export_runbooks(first)
    custom = export_integrations(first)
    plan = import_halo(
        json.loads(json.dumps(books.objects)), json.loads(json.dumps(custom.objects))
    )
    write_plan(plan, tmp_path / "again.toml", "imported")
    second = load_workspace(tmp_path / "again.toml")
    assert comparable(second) == comparable(first)


def _by_id(steps: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {s["step_id"]: s for s in steps}


def _edges(step: dict[str, Any]) -> list[tuple[int, int, int, int]]:
    return sorted(
        (e["action_type"], e["seq"], e["end_step"], e["approval_result"]) for e in step["actions"]
    )


def test_export_gives_back_halo_numbers(imported: Imported) -> None:
    ws, _ = imported
    exported = {b["name"]: b for b in export_runbooks(ws).objects}
    for original in (triage_runbook(), follow_up_runbook()):
        steps = _by_id(exported[original["name"]]["steps"])
        assert exported[original["name"]]["id"] == original["id"]
        for number, step in _by_id(original["steps"]).items():
            out = steps[number]
            for key in ("steptype", "auto_action_type", "ai_ability_id", "duration", "isstart"):
                if key in step:
                    assert out.get(key) == step[key], (number, key)
            assert out.get("auto_action", 0) == step.get("auto_action", 0) or step["steptype"] == 1
            if step.get("isend"):
                assert out["isend"] is True
            else:
                assert _edges(out) == _edges(step), number
            for key in ("output_variables", "runbook_variable_mappings"):
                if key in step:
                    wanted = {(r["key"], r["value"]) for r in step[key]}
                    assert {(r["key"], r["value"]) for r in out[key]} == wanted
    conditions = _by_id(exported["Triage tickets"]["steps"])[14]["step_conditions"]
    original = _by_id(triage_runbook()["steps"])[14]["step_conditions"]
    assert [c["type"] for c in conditions] == [c["type"] for c in original]
    assert conditions[-2]["value_string"] == "VIP <<not a variable>>"
    assert conditions[-1] == {
        "type": 1,
        "tablename": "faults",
        "fieldname": "status_id",
        "value_type": "int",
        "value_int": 9,
    }


def test_export_of_a_runbench_workspace_says_what_halo_cannot_hold() -> None:
    ws = load_workspace(DEMO)
    out = export_runbooks(ws)
    messages = [n.message for n in out.notes]
    assert any("no Halo method id yet" in m for m in messages)
    assert any("Halo steps read runbook variables by name" in m for m in messages)
    halo_steps = [s for b in out.objects for s in b["steps"] if s.get("auto_action") == 8]
    assert halo_steps
    assert all("auto_action_type" in s for s in halo_steps)


# ------------------------------------------------------------------ the commands


def write_json(path: Path, data: Any) -> str:
    path.write_text(json.dumps(data))
    return str(path)


def test_cli_import_then_check_then_export_and_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    books = write_json(tmp_path / "books.json", [triage_runbook(), follow_up_runbook()])
    custom = write_json(tmp_path / "custom.json", {"integrations": integrations()})
    out = tmp_path / "ws.toml"
    assert main(["import-halo", books, "--integrations", custom, "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert all(line.startswith(f"{out}:") for line in printed.out.splitlines())
    assert "set HALO_CLIENT_SECRET" in printed.err
    assert main(["check", str(out), "-q"]) == 0
    capsys.readouterr()
    assert (
        main(
            [
                "export-halo",
                str(out),
                "--out",
                str(tmp_path / "back.json"),
                "--integrations-out",
                str(tmp_path / "back-custom.json"),
            ]
        )
        == 0
    )
    again = tmp_path / "again.toml"
    args = [str(tmp_path / "back.json"), "--integrations", str(tmp_path / "back-custom.json")]
    assert main(["import-halo", *args, "--out", str(again), "--name", "imported"]) == 0
    one, two = load_workspace(out), load_workspace(again)
    assert comparable(one) == comparable(two)


def test_cli_reads_a_bundle_and_a_single_object(tmp_path: Path) -> None:
    bundle = {
        "rows": [{"id": FOLLOW_UP_GUID, "name": "Follow up", "type": 1}],
        "details": {FOLLOW_UP_GUID: {"name": "Follow up", "steps": follow_up_runbook()["steps"]}},
    }
    one = write_json(tmp_path / "bundle.json", bundle)
    two = write_json(tmp_path / "single.json", triage_runbook())
    out = tmp_path / "ws.toml"
    assert main(["import-halo", one, two, "--out", str(out)]) == 0
    ws = load_workspace(out)
    assert set(ws.runbooks) == {"follow_up", "triage_tickets"}
    assert ws.runbooks["follow_up"].halo["id"] == FOLLOW_UP_GUID
    assert ws.runbooks["triage_tickets"].steps["hand_over"].runbook == "follow_up"
    assert [p for p in check_workspace(ws) if p.is_error] == []


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_json(tmp_path / "good.json", triage_runbook())
    (tmp_path / "bad.json").write_text("{not json")
    out = tmp_path / "ws.toml"
    assert main(["import-halo", str(tmp_path / "bad.json"), "--out", str(out)]) == 2
    assert "bad.json:1:2: not JSON" in capsys.readouterr().err
    assert main(["import-halo", str(tmp_path / "missing.json"), "--out", str(out)]) == 2
    assert not out.exists()
    shape = write_json(tmp_path / "shape.json", {"name": "x"})
    assert main(["import-halo", shape, "--out", str(out)]) == 2
    assert "item 0 is an object without steps; a Halo runbook is an object with" in (
        capsys.readouterr().err
    )
    steps = write_json(tmp_path / "steps.json", [{"name": "x", "steps": "all of them"}])
    assert main(["import-halo", steps, "--out", str(out)]) == 2
    assert 'item 0 is an object whose "steps" is a string, not an array' in (
        capsys.readouterr().err
    )
    numbers = write_json(tmp_path / "numbers.json", [7])
    assert main(["import-halo", numbers, "--out", str(out)]) == 2
    assert "item 0 is a number, not an object" in capsys.readouterr().err
    out.write_text("# mine\n")
    assert main(["import-halo", good, "--out", str(out)]) == 2
    assert out.read_text() == "# mine\n"  # never overwritten
    assert main(["export-halo", str(DEMO), "nope", "--out", "-"]) == 2


# ------------------------------------------------------------------ anything Halo might send

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-100, 1000),
    st.text(max_size=12),
    st.sampled_from(["<<x>>", "<<ticket^id>>", "<<bad", "{{a b}}", "$ALLNONSYSACTIONS", "-98"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
STEP_KEYS = st.sampled_from(
    [
        "step_id",
        "name",
        "steptype",
        "auto_action",
        "auto_action_type",
        "isstart",
        "isend",
        "message",
        "message3",
        "actions",
        "step_conditions",
        "output_variables",
        "duration",
        "runbook_variable_mappings",
        "input_values",
        "start_new_runbook_id",
        "ai_ability_id",
    ]
)
EDGE = st.fixed_dictionaries(
    {
        "seq": st.integers(0, 3),
        "end_step": st.integers(-99, 5),
        "approval_result": st.integers(0, 1),
    }
)
STEP = st.dictionaries(STEP_KEYS, VALUES | st.lists(EDGE, max_size=3), max_size=10)
RUNBOOK = st.fixed_dictionaries(
    {"name": st.text(max_size=10), "steps": st.lists(STEP, max_size=6)},
    optional={"id": SCALARS, "input_variables": VALUES, "inbound_authentication_type": SCALARS},
)
INTEGRATION = st.fixed_dictionaries(
    {"name": st.text(max_size=10)},
    optional={
        "id": SCALARS,
        "authorizationtype": SCALARS,
        "granttype": SCALARS,
        "resourcebaseurl": SCALARS,
        "methods": st.lists(
            st.dictionaries(
                st.sampled_from(
                    [
                        "id",
                        "guid",
                        "name",
                        "method",
                        "path",
                        "requestbody",
                        "headers",
                        "uri_params",
                        "output_variables",
                    ]
                ),
                VALUES,
                max_size=6,
            ),
            max_size=3,
        ),
    },
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(books=st.lists(RUNBOOK, min_size=1, max_size=3), custom=st.lists(INTEGRATION, max_size=2))
def test_any_halo_shaped_input_imports_and_exports_without_a_traceback(
    tmp_path_factory: pytest.TempPathFactory, books: list[Any], custom: list[Any]
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "ws.toml"
    plan = import_halo(books, custom)
    write_plan(plan, path, "fuzz")
    ws = load_workspace(path)
    check_workspace(ws)
    export_runbooks(ws)
    export_integrations(ws)


@pytest.mark.parametrize("number", ["²", "--5", "٣"])
def test_an_id_of_digits_int_cannot_read_imports_without_a_traceback(
    tmp_path: Path, number: str
) -> None:
    """Found by the property test above: "²" passes str.isdigit() but not int()."""
    path = tmp_path / "ws.toml"
    plan = import_halo([{"name": "", "steps": []}], [{"name": "", "id": number}])
    write_plan(plan, path, "fuzz")
    check_workspace(load_workspace(path))
