"""The command registry: a command whose module cannot be imported is an error, not a
missing subcommand (it used to show as argparse's "invalid choice")."""

from __future__ import annotations

import io
import sys

import pytest

from runbench.cli.main import main


def test_a_broken_command_import_surfaces(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes the import fail as a missing or broken module does
    monkeypatch.setitem(sys.modules, "runbench.cli.cmd_eval", None)
    with pytest.raises(ModuleNotFoundError, match=r"runbench\.cli\.cmd_eval"):
        main(["eval", "response"])


def test_help_lists_every_command_or_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "import-curl" in capsys.readouterr().out
    monkeypatch.setitem(sys.modules, "runbench.cli.cmd_tui", None)
    with pytest.raises(ModuleNotFoundError, match=r"runbench\.cli\.cmd_tui"):
        main(["--help"])


def test_other_commands_do_not_import_a_broken_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "runbench.cli.cmd_tui", None)
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"a": [1, 2]}'))
    assert main(["eval", "response^a[-1]"]) == 0
    assert capsys.readouterr().out == "2\n"
