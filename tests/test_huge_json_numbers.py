"""A JSON number longer than Python converts (over ``sys.get_int_max_str_digits()``, 4,300
digits) in a file, a command-line value or a run's variable: a clear message or the text
taken as text, never a traceback. ``json.loads`` raises a plain ValueError for it, not
the JSONDecodeError each of these places caught (found by the red team: ``import-halo``,
``eval``, ``run --ticket-json`` and ``run --input`` ended in a traceback)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from runbench.cli.main import main
from runbench.core.engine import Renderer, evaluate_rules, parse_cli_value
from runbench.core.files import load_json_text
from runbench.core.workspace import Rule
from test_engine_support import engine, workspace

DIGITS = "9" * (sys.get_int_max_str_digits() + 1)
WORKSPACE = """
[runbooks.r]
start = "done"
[runbooks.r.inputs]
n = { type = "string", default = "" }
[runbooks.r.steps.done]
kind = "end"
message = "got it"
"""


def test_a_huge_number_is_a_json_error_at_the_number() -> None:
    with pytest.raises(json.JSONDecodeError, match=f"a number of {len(DIGITS)} digits") as caught:
        load_json_text('{\n  "id": ' + DIGITS + "}")
    assert (caught.value.lineno, caught.value.colno) == (2, 9)
    assert load_json_text('{"id": 12}') == {"id": 12}


@pytest.mark.parametrize("command", ["import-halo", "eval", "run"])
def test_a_file_holding_a_huge_number_is_a_usage_error(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "huge.json"
    data.write_text('{"id": ' + DIGITS + "}")
    ws = tmp_path / "ws.toml"
    ws.write_text(WORKSPACE)
    args = {
        "import-halo": [str(data), "--out", str(tmp_path / "new.toml")],
        "eval": ["--data", str(data), "response^id"],
        "run": [str(ws), "r", "--ticket-json", str(data)],
    }[command]
    assert main([command, *args]) == 2
    err = capsys.readouterr().err
    assert f"a number of {len(DIGITS)} digits" in err
    assert "Traceback" not in err


def test_a_huge_number_on_the_command_line_is_taken_as_text() -> None:
    assert parse_cli_value(DIGITS) == DIGITS
    assert parse_cli_value("12") == 12


def test_conditions_over_a_huge_number_do_not_raise() -> None:
    variables = {"big": f"[{DIGITS}]"}
    met, _ = evaluate_rules(
        (Rule("1", "includes", "<<big>>"), Rule("<<big>>", "greater_than", 0)),
        "any",
        variables,
        Renderer(),
    )
    assert met is True  # compared as text: the string sorts after 0


async def test_foreach_over_a_huge_number_fails_the_run_saying_why(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "each"
        [runbooks.r.inputs]
        items = { type = "string", default = "" }
        [runbooks.r.steps.each]
        kind = "foreach"
        items = "<<items>>"
        on_item = "done"
        [runbooks.r.steps.done]
        kind = "end"
    """,
    )
    result = await engine(ws).run("r", inputs={"items": f"[{DIGITS}]"})
    assert result.status == "failure"
    assert "not a JSON array" in (result.error or "")
