"""An answer holding ``NaN``, ``Infinity`` or ``1e999`` (valid for JavaScript and Python,
not for strict JSON): a run whose end message used such a value reported success with the
message unrendered ("message not rendered: ... cannot write a number as JSON (Out of range
float values are not JSON compliant)"), and ``eval`` refused to print one. Such a value is
shown as JavaScript writes it (``NaN``, ``Infinity``, ``-Infinity``) wherever text is
made of it; only a bare JSON value in a request body refuses it, naming the variable."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from runbench.cli.main import main
from runbench.core.errors import RenderError
from runbench.core.expressions import Context, parse_template, to_text

ANSWER = '{"n": NaN, "i": Infinity, "low": -Infinity, "big": 1e999, "name": "x"}'
WORKSPACE = """\
[variables]
base = "{base}"

[integrations.api]
base_url = "<<base>>"

[integrations.api.methods.odd]
path = "/encoded"
query = {{ as = "odd" }}
outputs = {{ N = "response^n", I = "response^i", Low = "response^low", Big = "response^big" }}

[runbooks.r]
start = "call"

[runbooks.r.steps.call]
kind = "method"
method = "api.odd"
on_success = "done"

[runbooks.r.steps.done]
kind = "end"
message = "got <<N>>, <<I>>, <<Low>> and <<Big>>"
"""
SAID = "got NaN, Infinity, -Infinity and Infinity"
VALUES = {"N": math.nan, "O": {"x": -math.inf}}


def test_text_writes_them_as_javascript_does() -> None:
    assert to_text(math.nan) == "NaN"
    assert to_text([math.inf, -math.inf]) == "[Infinity, -Infinity]"
    assert parse_template("a <<N>> <<O>>").render(VALUES) == 'a NaN {"x": -Infinity}'
    in_string = parse_template('{"s": "<<N>> <<O>>"}').render(VALUES, Context.JSON)
    assert json.loads(in_string) == {"s": 'NaN {"x": -Infinity}'}
    assert parse_template("/a/<<N>>").render(VALUES, Context.PATH) == "/a/NaN"


@pytest.mark.parametrize(
    ("name", "said"),
    [("N", "the number NaN"), ("O", "an object holding NaN or Infinity")],
)
def test_a_bare_json_value_refuses_them_naming_the_variable(name: str, said: str) -> None:
    with pytest.raises(RenderError) as caught:
        parse_template('{"n": <<' + name + ">>}").render(VALUES, Context.JSON)
    assert str(caught.value) == (
        f"variable '{name}' at position 7: cannot write {said} as JSON (JSON has no NaN or"
        " Infinity); put the reference in quotes to send it as text"
    )


def test_a_run_renders_its_message_and_the_journal_keeps_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from servers import FakeApi, local_server

    api = FakeApi(encoders={"odd": lambda _echoed: ANSWER})
    with local_server(api) as (base, _api):
        ws = tmp_path / "ws.toml"
        ws.write_text(WORKSPACE.format(base=base))
        assert main(["test", str(ws), "api.odd"]) == 0
        out = capsys.readouterr().out
        assert "N   = NaN" in out
        assert "Low = -Infinity" in out
        assert main(["run", str(ws), "r"]) == 0
        out, err = capsys.readouterr()  # progress lines and the result go to stderr
        assert f"succeeded: {SAID}\n" in out + err
        assert "not rendered" not in out + err
    assert main(["runs", str(ws), "--json"]) == 0
    run_id = json.loads(capsys.readouterr().out)[0]["id"]
    assert main(["runs", str(ws), run_id]) == 0
    out = capsys.readouterr().out
    assert f"message: {SAID}\n" in out
    assert "error" not in out


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("response^n", "NaN"),
        ("response^low", "-Infinity"),
        ("response", '{"n": NaN, "i": Infinity, "low": -Infinity, "big": Infinity, "name": "x"}'),
    ],
)
def test_eval_prints_them(
    path: str, shown: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "odd.json"
    data.write_text(ANSWER)
    assert main(["eval", "--data", str(data), path]) == 0
    assert capsys.readouterr().out == shown + "\n"
