"""Deeply nested input (item 10): a workspace, an eval document, a --ticket-json file or a
--var value nested thousands of levels deep is refused with a message and exit code 2
(usage or workspace error), never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbench.cli.main import main

TOO_DEEP_FOR_THE_PARSER = "a = " + "[" * 5000 + "]" * 5000 + "\n"
PARSED_BUT_DEEP = "x = 1\na = " + "{ b = " * 200 + "1" + " }" * 200 + "\n"
DEEP_JSON = "[" * 100_000 + "]" * 100_000


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, err


@pytest.mark.parametrize(
    "text", [TOO_DEEP_FOR_THE_PARSER, PARSED_BUT_DEEP], ids=["tomllib", "ours"]
)
@pytest.mark.parametrize("command", [["check"], ["run", "_", "r"], ["runs"]])
def test_a_deep_workspace_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, command: list[str]
) -> None:
    workspace = tmp_path / "deep.toml"
    workspace.write_text(text, encoding="utf-8")
    args = [command[0], str(workspace), *command[2:]]
    code, err = run(capsys, *args)
    assert code == 2
    assert "nested more than 64 levels deep" in err


def test_a_deep_eval_document_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = tmp_path / "deep.json"
    document.write_text(DEEP_JSON, encoding="utf-8")
    code, err = run(capsys, "eval", "response[0]", "--data", str(document))
    assert code == 2
    assert "nested too deeply" in err


def test_a_deep_context_file_and_var_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = tmp_path / "ws.toml"
    workspace.write_text(
        '[runbooks.r]\nstart = "e"\n[runbooks.r.steps.e]\nkind = "end"\n', encoding="utf-8"
    )
    document = tmp_path / "deep.json"
    document.write_text(DEEP_JSON, encoding="utf-8")
    code, err = run(capsys, "run", str(workspace), "r", "--action-json", str(document))
    assert code == 2
    assert "nested too deeply" in err
    code, err = run(capsys, "run", str(workspace), "r", "--var", f"x={DEEP_JSON}")
    assert code == 2
    assert "nested too deeply" in err
