"""`runbench run`/`resume` progress and every command's error line on a terminal: an upstream answer's control characters
(in a step's error, an output shown) are printed as ``\\xNN``, not obeyed by the terminal
(``ESC ] 52`` set the clipboard, ``ESC [ 2 J`` cleared the screen). Into a file or a pipe
the text is written as it was; newlines and tabs are kept either way."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from runbench.cli.cmd_run import Terminal
from runbench.cli.cmd_test import Printer
from runbench.cli.controls import ShownStream, shown_controls
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


END_ONLY = """name = "controls"
[runbooks.r]
start = "done"
[runbooks.r.steps.done]
kind = "end"
result = "success"
message = "got \\u001b]0;title\\u0007 \\u001b[2J cleared \\u009b"
"""


def test_every_commands_output_shows_controls_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`runs WS ID` printed a run's end message as it was (a template over an answer: here
    a literal), and the terminal cleared itself; main now writes every command's output
    through ``cli.controls.ShownStream`` on a terminal, and gives the streams back."""
    workspace = tmp_path / "ws.toml"
    workspace.write_text(END_ONLY)
    out, err = Tty(), Tty()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    assert main(["run", str(workspace), "r"]) == 0
    run_id = err.getvalue().split("run ")[-1].split()[0]
    assert main(["runs", str(workspace), run_id]) == 0
    assert sys.stdout is out
    assert sys.stderr is err
    written = out.getvalue() + err.getvalue()
    for control in ("\x1b", "\x07", "\x9b"):
        assert written.count(control) == written.count("\r\x1b[K") * (control == "\x1b")
    assert "message: got \\x1b]0;title\\x07 \\x1b[2J cleared \\x9b" in out.getvalue()


def test_a_commands_output_into_a_pipe_is_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = tmp_path / "ws.toml"
    workspace.write_text(END_ONLY)
    assert main(["run", str(workspace), "r"]) == 0
    assert "got \x1b]0;title\x07 \x1b[2J cleared \x9b" in capsys.readouterr().err


def test_a_coloured_body_keeps_its_colours_and_shows_the_answers_controls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = Tty()
    monkeypatch.setattr(sys, "stdout", ShownStream(out))
    Printer(Redactor(), color=True).body('{"text": "csi\\u009b2J esc\\u001b[2J"}')
    written = out.getvalue()
    assert "\x9b" not in written
    assert "csi\\x9b2J" in written
    assert "\x1b[" in written  # the colours themselves
