"""`runbench init`, `runbench secret` and the secret-reference warnings of `check`."""

from __future__ import annotations

import io
import os
import stat
import tomllib
from pathlib import Path

import pytest

from runbench.cli.cmd_check import problems_of
from runbench.cli.main import main
from runbench.core.secrets import Secrets, secret_names
from runbench.core.workspace import SecretRef, read_workspace


def test_init_writes_a_starter_that_checks_and_a_gitignore(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "desk.toml"
    assert main(["init", str(target), "--name", 'My "desk"']) == 0
    data = tomllib.loads(target.read_text(encoding="utf-8"))
    assert data["name"] == 'My "desk"'
    assert set(data["integrations"]) == {"openai"}
    assert set(data["runbooks"]) == {"ask"}
    assert "# " in target.read_text(encoding="utf-8")  # commented
    ignore = tmp_path / ".runbench" / ".gitignore"
    assert "*" in ignore.read_text(encoding="utf-8").splitlines()
    assert stat.S_IMODE((tmp_path / ".runbench").stat().st_mode) == 0o700
    assert main(["check", str(target), "--no-secrets"]) == 0
    assert "0 errors, 0 warnings" in capsys.readouterr().err
    assert main(["init", str(target)]) == 2  # never overwritten
    assert "already exists" in capsys.readouterr().err


def test_secret_set_list_rm_keeps_the_file_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = tmp_path / "ws.toml"
    secrets = tmp_path / ".runbench" / "secrets.toml"
    monkeypatch.setattr("sys.stdin", io.StringIO('p"a\\ss\n'))
    assert main(["secret", "set", "halo", "--stdin", "-w", str(workspace)]) == 0
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    secrets.write_text("# mine\n" + secrets.read_text(encoding="utf-8"), encoding="utf-8")
    os.chmod(secrets, 0o600)
    monkeypatch.setattr("sys.stdin", io.StringIO("second\n"))
    assert main(["secret", "set", "other", "--stdin", "-w", str(workspace)]) == 0
    resolver = Secrets(workspace, {})
    assert resolver.resolve(SecretRef("secret", "halo")) == 'p"a\\ss'
    assert secrets.read_text(encoding="utf-8").startswith("# mine\n")  # comments kept
    capsys.readouterr()
    assert main(["secret", "list", "-w", str(workspace)]) == 0
    out = capsys.readouterr()
    assert out.out.split() == ["halo", "other"]
    assert "second" not in out.out + out.err
    assert main(["secret", "rm", "halo", "-w", str(workspace)]) == 0
    assert main(["secret", "rm", "halo", "-w", str(workspace)]) == 1
    assert secret_names(workspace) == ({"other"}, None)
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert main(["secret", "set", "bad name", "--stdin", "-w", str(workspace)]) == 2
    monkeypatch.setattr("sys.stdin", io.StringIO("x" * (64 * 1024 + 1)))
    assert main(["secret", "set", "huge", "--stdin", "-w", str(workspace)]) == 2
    assert "longer than 64 KiB" in capsys.readouterr().err
    assert secret_names(workspace) == ({"other"}, None)


def test_check_warns_about_missing_references_with_their_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = tmp_path / "ws.toml"
    workspace.write_text(
        "[integrations.a]\n"
        'base_url = "https://a.example"\n'
        'auth = { type = "basic", username = { env = "A_USER" }, password = { secret = "a_pw" } }\n'
        "\n[runbooks.r]\n"
        'start = "e"\n'
        "public = true\n"
        "\n[runbooks.r.endpoint]\n"
        'auth = "signature"\n'
        'secret = { secret = "signing" }\n'
        '\n[runbooks.r.steps.e]\nkind = "end"\n',
        encoding="utf-8",
    )
    found = problems_of(str(workspace), {"A_USER": "me"})
    assert [(p.line, p.severity) for p in found] == [(3, "warning"), (11, "warning")]
    assert "secret 'a_pw' is not in" in found[0].message
    assert "runbench secret set signing" in found[1].message
    monkeypatch.setattr("sys.stdin", io.StringIO("x\n"))
    main(["secret", "set", "a_pw", "--stdin", "-w", str(workspace)])
    missing_env = problems_of(str(workspace), {})
    assert any("environment variable A_USER is not set" in p.message for p in missing_env)
    assert problems_of(str(workspace), None) == []  # --no-secrets: the file alone
    assert read_workspace(workspace)[1] == []


@pytest.mark.parametrize(
    "args",
    [
        ["secret", "set", "t", "--stdin"],
        ["secret", "list"],
        ["secret", "rm", "t"],
        ["check"],
        ["import-curl", "curl https://api.example.com/x"],
    ],
)
def test_a_workspace_in_a_symlink_loop_is_one_line_and_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
) -> None:
    (tmp_path / "a.toml").symlink_to(tmp_path / "b.toml")
    (tmp_path / "b.toml").symlink_to(tmp_path / "a.toml")
    monkeypatch.setattr("sys.stdin", io.StringIO("value-1234\n"))
    where = str(tmp_path / "a.toml")
    full = [*args, where] if args[0] == "check" else [*args, "--workspace", where]
    assert main(full) == 2
    err = capsys.readouterr().err
    assert "symbolic links" in err or "symlink" in err
    assert len(err.strip().splitlines()) == 1
