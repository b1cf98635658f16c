"""Every local file runbench reads has a size cap, also where ``st_size`` says nothing.

``/dev/zero`` is endless and reports size 0; a sparse file one byte over a cap is large without
costing disk. Each reader must refuse with exit 2, name the file and the cap, and never hang,
read without end, or print a traceback.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
import sys
from pathlib import Path

import pytest

from runbench.cli.main import main
from runbench.core.errors import SecretError, WorkspaceReadError
from runbench.core.files import (
    MAX_INPUT_BYTES,
    MAX_SECRETS_BYTES,
    MAX_WORKSPACE_BYTES,
    FileTooLargeError,
    read_capped_bytes,
    read_capped_text,
    unreadable,
)
from runbench.core.secrets import secret_names, set_secret
from runbench.core.workspace import WorkspaceDocument, read_workspace

DEMO = Path(__file__).resolve().parents[1] / "workspaces" / "demo.toml"
ENDLESS = "/dev/zero"


def sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as stream:
        stream.truncate(size)
    return path


def test_reads_up_to_the_cap_and_refuses_one_byte_more(tmp_path: Path) -> None:
    exact = tmp_path / "exact"
    exact.write_bytes(b"a\r\nb" + b"c" * 96)
    assert read_capped_bytes(exact, 100) == exact.read_bytes()
    assert read_capped_text(exact, 100) == exact.read_text(encoding="utf-8")
    exact.write_bytes(b"c" * 101)
    with pytest.raises(FileTooLargeError) as refused:
        read_capped_bytes(exact, 100)
    assert isinstance(refused.value, OSError)
    assert str(refused.value) == "larger than 0.0976562 KiB; not read (is it the right file?)"
    with pytest.raises(FileTooLargeError, match="larger than 16 MiB"):
        read_capped_text(ENDLESS, MAX_WORKSPACE_BYTES)


def test_workspace_store_refuses_an_endless_file(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceReadError, match=r"/dev/zero: cannot read: larger than 16 MiB"):
        read_workspace(ENDLESS)
    big = sparse(tmp_path / "big.toml", MAX_WORKSPACE_BYTES + 1)
    with pytest.raises(WorkspaceReadError, match="larger than 16 MiB"):
        WorkspaceDocument(big)


def test_a_secrets_file_over_its_cap_is_an_error_naming_it(tmp_path: Path) -> None:
    workspace = tmp_path / "demo.toml"
    shutil.copy(DEMO, workspace)
    private = tmp_path / ".runbench"
    private.mkdir(mode=0o700)
    secrets = sparse(private / "secrets.toml", MAX_SECRETS_BYTES + 1)
    os.chmod(secrets, 0o600)
    names, problem = secret_names(workspace)
    assert names == set()
    assert problem is not None
    assert "larger than 1 MiB" in problem
    assert str(secrets) in problem
    with pytest.raises(SecretError, match="larger than 1 MiB"):
        set_secret(workspace, "api_key", "s3cr3t-value")


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["check", ENDLESS], "/dev/zero: error: cannot read: larger than 16 MiB"),
        (["eval", "response^x", "--data", ENDLESS], "cannot read /dev/zero: larger than 64 MiB"),
        (["import-halo", ENDLESS, "--out", "{tmp}/out.toml"], "larger than 64 MiB"),
        (
            ["import-openapi", ENDLESS, "--workspace", "{tmp}/demo.toml", "--integration", "x"],
            "cannot read the spec /dev/zero: larger than 20 MiB",
        ),
        (
            ["run", "{tmp}/demo.toml", "create_customer", "--ticket-json", ENDLESS],
            "--ticket-json /dev/zero: cannot read: larger than 64 MiB",
        ),
    ],
)
def test_commands_refuse_an_endless_file_with_exit_2(
    argv: list[str], said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(DEMO, tmp_path / "demo.toml")
    code = main([arg.replace("{tmp}", str(tmp_path)) for arg in argv])
    out, err = capsys.readouterr()
    assert code == 2
    assert said in out + err
    assert "Traceback" not in out + err
    assert not (tmp_path / "out.toml").exists()


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["eval", "response^x", "--data", "{gone}"], "cannot read {gone}: "),
        (["import-halo", "{gone}", "--out", "{tmp}/out.toml"], "{gone}: cannot read: "),
        (
            ["import-openapi", "{gone}", "--workspace", "{tmp}/demo.toml", "--integration", "x"],
            "cannot read the spec {gone}: ",
        ),
        (
            ["run", "{tmp}/demo.toml", "create_customer", "--action-json", "{gone}"],
            "--action-json {gone}: cannot read: ",
        ),
    ],
)
@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("missing.json", "No such file or directory (check the path)"),
        ("", "Is a directory (give a file, not a folder)"),
    ],
)
def test_a_file_that_is_not_there_is_named_with_what_to_do(
    argv: list[str],
    said: str,
    name: str,
    why: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shutil.copy(DEMO, tmp_path / "demo.toml")
    gone = str(tmp_path / name) if name else str(tmp_path)

    def filled(arg: str) -> str:
        return arg.replace("{gone}", gone).replace("{tmp}", str(tmp_path))

    code = main([filled(arg) for arg in argv])
    out, err = capsys.readouterr()
    assert code == 2
    assert filled(said) + why in err
    assert "Errno" not in err
    assert "Traceback" not in out + err


def test_unreadable_says_why_and_what_to_do_or_only_why() -> None:
    denied = OSError(errno.EACCES, "Permission denied", "/etc/x")
    assert (
        unreadable(denied) == "Permission denied (check its permissions: runbench needs to read it)"
    )
    assert unreadable(OSError(errno.EIO, "Input/output error")) == "Input/output error"
    assert unreadable(FileTooLargeError("/x", 1024)).startswith("larger than 1 KiB")


NOT_TEXT = "not UTF-8 text (invalid continuation byte at offset 1); save it as UTF-8"


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["check", "{bad}"], f"{{bad}}: error: {NOT_TEXT}"),
        (["eval", "response^x", "--data", "{bad}"], f"{{bad}}: {NOT_TEXT}"),
        (["import-halo", "{bad}", "--out", "{tmp}/out.toml"], f"{{bad}}: {NOT_TEXT}"),
        (
            ["import-openapi", "{bad}", "--workspace", "{tmp}/demo.toml", "--integration", "x"],
            f"the spec {{bad}}: {NOT_TEXT}",
        ),
        (
            ["run", "{tmp}/demo.toml", "create_customer", "--ticket-json", "{bad}"],
            f"--ticket-json {{bad}}: {NOT_TEXT}",
        ),
    ],
)
def test_commands_say_a_file_is_not_utf8_and_how_to_fix_it(
    argv: list[str], said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(DEMO, tmp_path / "demo.toml")
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(b"{\xe9}")  # Latin-1, as a Windows editor may save it
    code = main([a.replace("{tmp}", str(tmp_path)).replace("{bad}", str(bad)) for a in argv])
    out, err = capsys.readouterr()
    assert code == 2
    assert said.replace("{bad}", str(bad)) in out + err
    assert "Traceback" not in out + err
    assert not (tmp_path / "out.toml").exists()


def test_eval_refuses_endless_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("0" * (MAX_INPUT_BYTES + 1)))
    assert main(["eval", "response^x", "--data", "-"]) == 2
    assert "cannot read <stdin>: larger than 64 MiB" in capsys.readouterr().err
