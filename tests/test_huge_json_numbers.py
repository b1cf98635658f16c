"""A JSON number longer than Python converts (over ``sys.get_int_max_str_digits()``, 4,300
digits) in an answer, a file, a command-line value or a run's variable. ``json.loads`` raises
a plain ValueError for it though the text is valid JSON: first that ended ``import-halo``,
``eval`` and ``run --ticket-json`` in a traceback, then an answer holding one was "response
body is not JSON" with no reason to ``runbench test``, a run and the workbench. It is read
as a float now, as JavaScript reads it (``Infinity``, ``-Infinity`` below zero), the same in
every place JSON comes in (``core.files.load_json_text``)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

from runbench.cli.main import main
from runbench.core.engine import Renderer, evaluate_rules, parse_cli_value
from runbench.core.files import load_json_text
from runbench.core.workspace import Rule
from runbench.tui.state.body_lines import format_body
from servers import FakeApi, local_server
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
ANSWER = '{"n": ' + DIGITS + ', "name": "x"}'
CALLING = """\
[variables]
base = "{base}"

[integrations.api]
base_url = "<<base>>"

[integrations.api.methods.huge]
path = "/encoded"
query = {{ as = "huge" }}
outputs = {{ N = "response^n", Name = "response^name!" }}

[runbooks.r]
start = "call"

[runbooks.r.steps.call]
kind = "method"
method = "api.huge"
on_success = "done"

[runbooks.r.steps.done]
kind = "end"
message = "got <<N>> for <<Name>>"
"""


def test_a_huge_integer_reads_as_infinity_as_javascript_reads_it() -> None:
    value = load_json_text('{\n  "id": ' + DIGITS + ', "low": -' + DIGITS + ', "n": 12}')
    assert value == {"id": math.inf, "low": -math.inf, "n": 12}
    assert type(value["n"]) is int  # shorter integers stay exact
    assert load_json_text(("[" + DIGITS + "]").encode()) == [math.inf]
    with pytest.raises(json.JSONDecodeError, match="can't decode byte 0xff"):
        load_json_text(b'"\xff"')  # bytes that are not UTF-8 are still not JSON


def test_an_answer_holding_one_is_json_to_test_run_and_the_viewer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api = FakeApi(encoders={"huge": lambda _echoed: ANSWER})
    with local_server(api) as (base, _api):
        ws = tmp_path / "ws.toml"
        ws.write_text(CALLING.format(base=base))
        assert main(["test", str(ws), "api.huge"]) == 0
        out, err = capsys.readouterr()
        assert "N    = Infinity" in out
        assert 'Name = "x"' in out
        assert "not JSON" not in out + err
        assert main(["run", str(ws), "r", "--json"]) == 0
        run = json.loads(capsys.readouterr().out)
        assert run["status"] == "success"
        assert (run["variables"]["N"], run["variables"]["Name"]) == (math.inf, "x")
    shown = format_body(ANSWER, "application/json")
    assert shown.json
    assert '"n": Infinity' in shown.data


@pytest.mark.parametrize("command", ["import-halo", "eval", "run"])
def test_a_file_holding_a_huge_number_is_read(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "huge.json"
    runbook = '{"id": ' + DIGITS + ', "name": "r", "steps": []}'
    data.write_text(runbook if command == "run" else f"[{runbook}]")  # a ticket is an object
    ws = tmp_path / "ws.toml"
    ws.write_text(WORKSPACE)
    args = {
        "import-halo": [str(data), "--out", str(tmp_path / "new.toml")],
        "eval": ["--data", str(data), "response[0]^name!"],
        "run": [str(ws), "r", "--ticket-json", str(data)],
    }[command]
    assert main([command, *args]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert "digits" not in err
    if command == "eval":
        assert out == "r\n"


def test_a_huge_number_on_the_command_line_is_a_number_too() -> None:
    assert parse_cli_value(DIGITS) == math.inf
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


async def test_foreach_over_a_huge_number_walks_it(tmp_path: Path) -> None:
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
    assert (result.status, result.error) == ("success", None)
