"""`runbench eval`: exit codes, stdout/stderr, input handling."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from runbench.cli.main import main

DOC = {
    "choices": [{"index": 0, "text": 'say "hi"\nbye', "finish_reason": "stop"}],
    "customfields": [{"id": 1, "value": 10}, {"id": 2, "value": 20}],
    "n": 3,
}


@pytest.fixture
def doc_file(tmp_path: Path) -> Path:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(DOC), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["eval", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_prints_json_value(capsys: pytest.CaptureFixture[str], doc_file: Path) -> None:
    code, out, err = run(capsys, "response^choices[0]^text", "--data", str(doc_file))
    assert (code, err) == (0, "")
    assert json.loads(out) == DOC["choices"][0]["text"]  # type: ignore[index]
    assert out == '"say \\"hi\\"\\nbye"\n'


def test_raw_string(capsys: pytest.CaptureFixture[str], doc_file: Path) -> None:
    code, out, _ = run(capsys, "response^choices[0]^text!", "--data", str(doc_file))
    assert (code, out) == (0, 'say "hi"\nbye\n')


def test_whole_document_and_filter(capsys: pytest.CaptureFixture[str], doc_file: Path) -> None:
    assert run(capsys, "response^customfields[id=2]^value", "--data", str(doc_file))[:2] == (
        0,
        "20\n",
    )
    code, out, _ = run(capsys, "response", "--data", str(doc_file))
    assert code == 0
    assert json.loads(out) == DOC


def test_reads_stdin_by_default(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"a": [1, 2]}'))
    assert run(capsys, "response^a[-1]")[:2] == (0, "2\n")
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"a": "x"}'))
    assert run(capsys, "response^a!", "--data", "-")[:2] == (0, "x\n")


def test_no_match_exits_1(capsys: pytest.CaptureFixture[str], doc_file: Path) -> None:
    code, out, err = run(capsys, "response^customfields[id=7]", "--data", str(doc_file))
    assert (code, out) == (1, "")
    assert "no element with id=7 in response^customfields (2 elements, ids 1, 2)" in err


def test_syntax_error_exits_2_with_caret(
    capsys: pytest.CaptureFixture[str], doc_file: Path
) -> None:
    code, out, err = run(capsys, "response^choices[0", "--data", str(doc_file))
    assert (code, out) == (2, "")
    lines = err.rstrip("\n").split("\n")
    assert "expected" in lines[0]
    assert "position" in lines[0]
    assert lines[1] == "  response^choices[0"
    assert lines[2].index("^") == 2 + len("response^choices[0")


@pytest.mark.parametrize("root", ["status", "headers^Content-Type"])
def test_live_only_roots(capsys: pytest.CaptureFixture[str], doc_file: Path, root: str) -> None:
    code, _, err = run(capsys, root, "--data", str(doc_file))
    assert code == 2
    assert "only available on a live response" in err


def test_bad_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "a": 1,\n  oops\n}', encoding="utf-8")
    code, _, err = run(capsys, "response", "--data", str(bad))
    assert code == 2
    assert f"{bad}:3:3: invalid JSON: " in err


def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "response", "--data", str(tmp_path / "nope.json"))
    assert code == 2
    assert "nope.json" in err
    assert "No such file" in err


def test_console_script(doc_file: Path) -> None:
    exe = Path(sys.executable).with_name("runbench")
    if not exe.exists():
        exe = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "runbench"
    done = subprocess.run(
        [str(exe), "eval", "response^customfields[id=1]^value", "--data", str(doc_file)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "10\n")
    piped = subprocess.run(
        [str(exe), "eval", "response^nope"],
        input='{"yes": 1}',
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert piped.returncode == 1
    assert "no key 'nope' in response (keys: yes)" in piped.stderr
