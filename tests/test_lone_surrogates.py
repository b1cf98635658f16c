"""JSON that escapes half a surrogate pair alone (``"\\ud800"``): valid JSON syntax, but no
UTF-8 encoder can write the string ``json.loads`` makes of it. An upstream answer holding
one ended ``runbench test`` in a traceback (the request history's SQLite), failed a run's
journal writes (exit 2, the run's record cut short) and crashed ``eval``'s output. It is
read as U+FFFD everywhere JSON comes in (``core.files.load_json_text``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runbench.cli.main import main
from runbench.core.files import load_json_text
from runbench.tui.state.body_lines import format_body
from servers import local_server

WORKSPACE = """\
[variables]
base = "{base}"

[integrations.api]
base_url = "<<base>>"

[integrations.api.methods.lone]
path = "/lone"
outputs = {{ Text = "response^text!" }}

[runbooks.r]
start = "call"

[runbooks.r.steps.call]
kind = "method"
method = "api.lone"
on_success = "done"

[runbooks.r.steps.done]
kind = "end"
message = "said <<Text>>"
"""


def test_a_lone_half_reads_as_the_replacement_character() -> None:
    text = r'{"a": "x\ud800y", "k\udfff": ["\ud83d\ude00", {"b": "\udc00"}], "c": "\\ud800"}'
    value = load_json_text(text)
    assert value == {"a": "x\ufffdy", "k\ufffd": ["\U0001f600", {"b": "\ufffd"}], "c": "\\ud800"}
    assert list(value) == ["a", "k\ufffd", "c"]  # the repaired key keeps its place
    assert load_json_text(rb'["\ud800"]') == ["\ufffd"]
    assert load_json_text(r'"\udfff"') == "\ufffd"
    deep = "[" * 900 + r'"\ud800"' + "]" * 900  # as deep as the parser goes: no recursion
    inner = load_json_text(deep)
    for _ in range(900):
        inner = inner[0]
    assert inner == "\ufffd"
    json.dumps(value, ensure_ascii=False).encode()  # writable now


def test_runbench_test_shows_and_records_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with local_server() as (base, _api):
        ws = tmp_path / "ws.toml"
        ws.write_text(WORKSPACE.format(base=base))
        assert main(["test", str(ws), "api.lone"]) == 0
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        assert "bad \ufffd here \ufffd" in out
        assert main(["history", str(ws), "--json"]) == 0
        entries = json.loads(capsys.readouterr().out)
        assert [(entry["status"], entry["ok"]) for entry in entries] == [(200, True)]


def test_a_run_journals_it_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with local_server() as (base, _api):
        ws = tmp_path / "ws.toml"
        ws.write_text(WORKSPACE.format(base=base))
        assert main(["run", str(ws), "r", "--json"]) == 0
        run = json.loads(capsys.readouterr().out)
        assert run["variables"]["Text"] == "bad \ufffd here \ufffd"
        assert main(["runs", str(ws), run["run_id"], "--json"]) == 0
        shown = json.loads(capsys.readouterr().out)
        assert shown["run"]["status"] == "success"
        assert shown["variables"]["Text"] == "bad \ufffd here \ufffd"


def test_eval_prints_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "lone.json"
    data.write_text(r'{"a": "x\ud800"}')
    assert main(["eval", "--data", str(data), "response^a!"]) == 0
    assert capsys.readouterr().out == "x\ufffd\n"


def test_the_response_viewer_formats_it() -> None:
    lines = format_body(r'{"a": "x\ud800"}', "application/json")
    assert lines.json
    assert lines.text == '{\n  "a": "x\ufffd"\n}'
