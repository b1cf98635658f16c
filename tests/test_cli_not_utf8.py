"""An argument that is not UTF-8 (a byte the shell passed as it is, kept by Python as a lone
surrogate) is a usage error naming it, before any command runs: written into a workspace
or a journal it raised UnicodeEncodeError (``import-halo --name``, ``import-curl``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbench.cli.main import main

NOT_UTF8 = "n\udcff"  # what Python makes of the bytes b"n\xff" in sys.argv


@pytest.mark.parametrize(
    "args",
    [
        ["import-halo", "one.json", "--name", NOT_UTF8, "-o", "new.toml"],
        ["import-curl", "--workspace", "ws.toml", f"curl https://x.test/{NOT_UTF8}"],
        ["run", "ws.toml", "r", "--input", f"question={NOT_UTF8}"],
    ],
)
def test_an_argument_that_is_not_utf8_is_a_usage_error(
    args: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "one.json").write_text('{"name": "r", "steps": []}')
    (tmp_path / "ws.toml").write_text(
        '[runbooks.r]\nstart = "e"\n[runbooks.r.steps.e]\nkind = "end"\n'
    )
    before = (tmp_path / "ws.toml").read_text()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "is not UTF-8 text" in err
    assert "n\\xff" in err  # the byte shown as it came
    assert not (tmp_path / "new.toml").exists()
    assert (tmp_path / "ws.toml").read_text() == before


@pytest.mark.parametrize("arg", ["\ud800", "a\udcff\udfff"])
def test_a_lone_surrogate_that_is_no_byte_is_named_too(
    arg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A surrogate that surrogateescape cannot turn back into a byte (not from a shell: a
    caller of main) is shown escaped; before, showing it raised UnicodeEncodeError."""
    assert main(["check", arg]) == 2
    err = capsys.readouterr().err
    assert "argument 2" in err
    assert "is not UTF-8 text" in err
    assert "\\ud800" in err or "\\udfff" in err
