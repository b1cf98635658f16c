"""The socket `serve` and `sandbox` listen on: a port out of range is a usage error (exit 2)
saying what to choose, not an OverflowError traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from runbench.cli.main import main
from runbench.core.errors import UsageError
from runbench.webserver import bind_socket

DEMO = Path(__file__).resolve().parents[1] / "workspaces" / "demo.toml"


@pytest.mark.parametrize("port", [65536, 99999, -1])
def test_a_port_out_of_range_is_a_usage_error(port: int) -> None:
    with pytest.raises(UsageError, match=r"a port is 0-65535; choose another --port"):
        bind_socket("127.0.0.1", port)


@pytest.mark.parametrize("command", ["serve", "sandbox"])
def test_commands_refuse_a_port_out_of_range_with_exit_2(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(DEMO, tmp_path / "demo.toml")
    argv = [command, "--port", "99999"]
    if command == "serve":
        argv.insert(1, str(tmp_path / "demo.toml"))
    else:
        argv += ["--data", str(tmp_path / "sandbox.json")]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert "127.0.0.1:99999: a port is 0-65535" in out + err
    assert "Traceback" not in out + err
