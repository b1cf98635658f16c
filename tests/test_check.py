"""`runbench check` on a folder of broken workspaces: right line, right message, right exit."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from runbench.cli.main import main

DEMO = Path(__file__).resolve().parents[1] / "workspaces" / "demo.toml"
BROKEN = sorted((Path(__file__).parent / "broken").glob("*.toml"))
EXPECT = re.compile(r"^# expect: (\d+): (error|warning): (.+)$", re.M)
EXPECT_EXIT = re.compile(r"^# expect-exit: (\d+)$", re.M)


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_broken_workspace(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = path.read_text()
    code = main(["check", str(path)])
    out, err = capsys.readouterr()
    exit_expected = EXPECT_EXIT.search(text)
    if exit_expected:
        assert code == int(exit_expected.group(1))
        assert re.search(rf"^{re.escape(str(path))}:\d+: error: TOML syntax error", err, re.M), err
        return
    expected = EXPECT.findall(text)
    assert expected, "each broken workspace states what check must say"
    lines = out.splitlines()
    for line_no, severity, message in expected:
        prefix = f"{path}:{line_no}: {severity}: "
        assert any(line.startswith(prefix) and message in line for line in lines), (
            f"missing {prefix}...{message}\n got:\n" + out
        )
    error_lines = {int(n) for n, sev, _ in expected if sev == "error"}
    reported_errors = {
        int(m) for m in re.findall(rf"^{re.escape(str(path))}:(\d+): error:", out, re.M)
    }
    assert reported_errors == error_lines, out
    assert code == (1 if error_lines else 0)


def test_demo_workspace_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(DEMO)]) == 0
    out, _ = capsys.readouterr()
    assert out == ""


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "runbench", "check", str(tmp_path / "none.toml")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "none.toml: error: no such file" in result.stderr
