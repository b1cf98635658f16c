"""Damaged and hostile input to the commands: a clear one-line message and an exit code,
never a traceback, and nothing changed that was not runbench's to change."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from runbench.cli.main import main

WORKSPACE = """
[runbooks.r]
start = "done"
[runbooks.r.steps.done]
kind = "end"
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "ws.toml"
    path.write_text(WORKSPACE)
    return path


@pytest.mark.parametrize("command", ["runs", "run", "resume"])
def test_a_journal_that_is_not_sqlite_is_refused_and_left_as_it_was(
    workspace: Path, tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--journal /etc/passwd`` as root used to chmod the file 0600 before SQLite said
    it was not a database: the mode of a file that is not a journal is not touched."""
    other = tmp_path / "passwd"
    other.write_text("root:x:0:0:root:/root:/bin/bash\n")
    other.chmod(0o644)
    args = {"runs": [], "run": ["r"], "resume": ["0123"]}[command]
    assert main([command, str(workspace), *args, "--journal", str(other)]) == 2
    err = capsys.readouterr().err
    assert "not a runbench journal" in err
    assert stat.S_IMODE(other.stat().st_mode) == 0o644
    assert not Path(f"{other}-wal").exists()


def test_a_journal_left_open_to_others_is_still_tightened(workspace: Path, tmp_path: Path) -> None:
    journal = tmp_path / "runs.db"
    assert main(["run", str(workspace), "r", "--journal", str(journal)]) == 0
    journal.chmod(0o644)
    assert main(["runs", str(workspace), "--journal", str(journal)]) == 0
    assert stat.S_IMODE(journal.stat().st_mode) == 0o600


@pytest.mark.parametrize("odd", ["folder", "device"])
def test_a_journal_that_is_a_folder_or_a_device_says_so(
    workspace: Path, tmp_path: Path, odd: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "journal-folder"
    if odd == "folder":
        target.mkdir()
    else:
        target = Path(os.devnull)
    assert main(["runs", str(workspace), "--journal", str(target)]) == 2
    err = capsys.readouterr().err
    assert "not a journal file" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b'{"n": ' + b"9" * 5000 + b"}", "a number of more than 4,300 digits; send it as a string"),
        (
            b'{"a": 1,}',
            "not valid JSON (Expecting property name enclosed in double quotes at line 1",
        ),
        (b'{"a": [1, 2}', "not valid JSON (Expecting ',' delimiter at line 1 column 12)"),
        (b"[" * 200_000, "nested deeper than 64 levels"),
    ],
)
def test_a_webhook_body_the_parser_refuses_says_why_and_where(body: bytes, said: str) -> None:
    """A 400 said "not valid JSON" for a valid body with a 5,000-digit number too; now
    the sender learns what to change (where in the body, never its content)."""
    from runbench.core.intake import Refusal, parse_payload

    refused = parse_payload(body, "application/json")
    assert isinstance(refused, Refusal)
    assert refused.status == 400
    assert said in refused.message
