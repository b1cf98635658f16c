"""`runbench run`/`resume` progress and every command's error line on a terminal: an upstream answer's control characters
(in a step's error, an output shown) are printed as ``\\xNN``, not obeyed by the terminal
(``ESC ] 52`` set the clipboard, ``ESC [ 2 J`` cleared the screen). Into a file or a pipe
the text is written as it was; newlines and tabs are kept either way."""

from __future__ import annotations

import io
import sys

import pytest

from runbench.cli.cmd_run import Terminal
from runbench.cli.controls import shown_controls
from runbench.cli.main import main
from runbench.core.secrets import Redactor

HOSTILE = "HTTP 500: clip\x1b]52;c;aGk=\x07 csi\x9b2J del\x7f\nsecond\tline"


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_control_characters_are_shown_not_obeyed_on_a_terminal() -> None:
    out = Tty()
    Terminal(out, sys.stdin, Redactor()).line(HOSTILE)
    written = out.getvalue()
    assert "\x1b]" not in written
    assert "\x07" not in written
    assert "\x9b" not in written
    assert "\x7f" not in written
    assert "clip\\x1b]52;c;aGk=\\x07 csi\\x9b2J del\\x7f\nsecond\tline\n" in written
    assert written.startswith("\r\x1b[K")  # the terminal's own line clearing is kept


def test_into_a_file_the_text_is_kept() -> None:
    out = io.StringIO()
    Terminal(out, sys.stdin, Redactor()).line(HOSTILE)
    assert out.getvalue() == HOSTILE + "\n"


def test_plain_text_is_unchanged() -> None:
    assert shown_controls("ünïcode ✔ line\n\tnext") == "ünïcode ✔ line\n\tnext"


def test_an_error_line_on_a_terminal_shows_controls(monkeypatch: pytest.MonkeyPatch) -> None:
    # an error line quotes what it was given: here a path holding an escape sequence, as a
    # step's error may hold an answer's (main's own print of any command's error, and eval's)
    err = Tty()
    monkeypatch.setattr(sys, "stderr", err)
    assert main(["eval", "response^\x1b]52;c;aGk=\x07[[", "--data", "-"]) in (1, 2)
    written = err.getvalue()
    assert "\x1b" not in written
    assert "\x07" not in written
    assert "response^\\x1b]52;c;aGk=\\x07[[" in written
    assert written.startswith("runbench eval: ")


def test_an_error_line_into_a_file_is_kept(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "response^\x1b[2J[[", "--data", "-"]) in (1, 2)
    assert "response^\x1b[2J[[" in capsys.readouterr().err


def test_main_shows_controls_of_any_commands_error(monkeypatch: pytest.MonkeyPatch) -> None:
    err = Tty()
    monkeypatch.setattr(sys, "stderr", err)
    assert main(["runs", "/nonexistent/\x1b]52;c;aGk=\x07.toml"]) == 2
    assert "\x1b" not in err.getvalue()
    assert "\\x1b]52;c;aGk=\\x07.toml" in err.getvalue()
