"""The command registry: a command module that fails to import is an error, not a missing
subcommand (it used to show as argparse's "invalid choice"); a command registered before
its module lands says so."""

from __future__ import annotations

import io
import sys

import pytest

from runbench.cli.main import build_parser, main


def break_eval(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``runbench.cli.cmd_eval`` fail to import the way a bug inside it would."""
    monkeypatch.delitem(sys.modules, "runbench.cli.cmd_eval", raising=False)
    monkeypatch.setitem(sys.modules, "runbench.core.expressions", None)


def test_a_broken_command_import_surfaces(monkeypatch: pytest.MonkeyPatch) -> None:
    break_eval(monkeypatch)
    with pytest.raises(ModuleNotFoundError, match=r"runbench\.core\.expressions"):
        main(["eval", "response"])


def test_the_full_parser_surfaces_a_broken_import(monkeypatch: pytest.MonkeyPatch) -> None:
    build_parser(full=True)
    break_eval(monkeypatch)
    with pytest.raises(ModuleNotFoundError, match=r"runbench\.core\.expressions"):
        build_parser(full=True)


def test_a_command_not_landed_yet_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "runbench.cli.cmd_eval", None)  # as if no such module
    assert main(["eval", "response"]) == 2
    assert "runbench eval: not in this version of runbench yet" in capsys.readouterr().err


def test_other_commands_do_not_import_a_broken_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "runbench.cli.cmd_tui", None)
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"a": [1, 2]}'))
    assert main(["eval", "response^a[-1]"]) == 0
    assert capsys.readouterr().out == "2\n"
