"""CLI conventions: --version, shell completion, NO_COLOR under a real pty, check --json,
lazy start-up (what `--help` and `check` import), and the demo workspace in the wheel."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import pty
import select
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import get_args

import pytest

from runbench import __version__
from runbench.cli.cmd_demo import demo_workspace
from runbench.cli.main import COMMANDS, main
from servers import local_server

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "workspaces" / "demo.toml"
BROKEN_EDGE = ROOT / "tests" / "broken" / "bad_edge.toml"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out.strip() == f"runbench {__version__}"


def _loaded_after(argv: list[str]) -> set[str]:
    code = (
        "import sys\n"
        "from runbench.cli.main import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return set(result.stderr.split())


def test_help_imports_no_command_module() -> None:
    loaded = _loaded_after(["--help"])
    assert not {m for m in loaded if m.startswith("runbench.cli.cmd_")}
    assert not {m for m in loaded if m.startswith("runbench.core.") and m != "runbench.core.errors"}


def test_check_imports_only_what_it_needs() -> None:
    loaded = _loaded_after(["check", "workspaces/demo.toml"])
    assert {m for m in loaded if m.startswith("runbench.cli.cmd_")} == {"runbench.cli.cmd_check"}
    heavy = {"textual", "rich", "httpx", "uvicorn", "starlette", "pygments", "sqlite3", "shtab"}
    assert not loaded & heavy


RUN_NEEDS_NONE_OF = {
    "uuid",  # and platform with it: run ids come from os.urandom
    "platform",
    "html",  # a secret's HTML-escaped view: imported when a text looks escaped
    "runbench.core.child",  # big bodies' output child: imported when one is started
    "runbench.core.workspace._store",  # the writing side: a run only reads the workspace
    "runbench.core.workspace._edits",
    "runbench.core.http._call",  # one method on its own (`runbench test`, ctrl+t)
    "runbench.core.schedule",  # checked only when a runbook has a schedule
}
"""What a plain `runbench run` never uses: each was ~2-8 ms of every run's start-up."""


def test_run_imports_only_what_a_run_needs(tmp_path: Path) -> None:
    workspace = tmp_path / "ws.toml"
    workspace.write_text(
        '[runbooks.only]\nstart = "done"\n[runbooks.only.steps.done]\nkind = "end"\n'
    )
    loaded = _loaded_after(["run", str(workspace), "only", "--state-dir", str(tmp_path / "s")])
    assert "runbench.core.journal" in loaded  # it did run (and journal)
    assert sorted(loaded & RUN_NEEDS_NONE_OF) == []


def test_run_makes_its_dataclasses_cheaply() -> None:
    """Python 3.11's dataclass compiles each generated method on its own (~0.3 ms each
    here) and, for a class without a docstring, builds one from inspect.signature: the
    dataclasses `runbench run` imports were over half of its import time. Each has a
    docstring, and events (compared by identity) get no ``__eq__``/``__hash__``."""
    code = """if True:
        import dataclasses, sys
        import runbench.cli.main, runbench.cli.cmd_run, runbench.core.journal
        for name, module in list(sys.modules.items()):
            for value in vars(module).values() if name.startswith("runbench.") else ():
                if isinstance(value, type) and dataclasses.is_dataclass(value):
                    if (value.__doc__ or "").startswith(value.__name__ + "("):
                        print(value.__module__, value.__name__)
    """
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert sorted(set(result.stdout.splitlines())) == []  # dataclass wrote their docstrings
    from runbench.core.engine import Event, StepStarted

    assert StepStarted("r", 0.0) != StepStarted("r", 0.0)
    for event in get_args(Event):
        with pytest.raises(dataclasses.FrozenInstanceError):  # events stay frozen
            event("r", 0.0).at = 1.0
        assert "__eq__" not in vars(event)
        assert event.__hash__ is object.__hash__


def test_every_command_keeps_its_help_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps long lines
    for name, help_text in COMMANDS.items():
        assert name in out
        assert help_text in out


# -- completion -------------------------------------------------------------------------
def _script(shell: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "runbench", "completion", shell],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_bash_completion_completes_commands_and_options(tmp_path: Path) -> None:
    script = tmp_path / "runbench.bash"
    script.write_text(_script("bash"))

    def complete(*words: str) -> list[str]:
        line = " ".join(words)
        probe = (
            f"source {script}\n"
            f"COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; COMP_LINE='{line}'; "
            f"COMP_POINT={len(line)}\n"
            "_shtab_runbench\n"
            'printf "%s\\n" "${COMPREPLY[@]}"\n'
        )
        result = subprocess.run(["bash", "-c", probe], capture_output=True, text=True)
        return result.stdout.split()

    assert {"check", "completion", "serve"} <= set(complete("runbench", ""))
    assert complete("runbench", "comp") == ["completion"]
    assert "--queue-size" in complete("runbench", "serve", "--q")
    assert set(complete("runbench", "completion", "")) == {"bash", "zsh", "fish"}


def implemented(name: str) -> bool:
    """A command of the registry whose module has landed (others are placeholders)."""
    return importlib.util.find_spec(f"runbench.cli.cmd_{name.replace('-', '_')}") is not None


def test_zsh_and_fish_scripts_name_every_command() -> None:
    zsh, fish = _script("zsh"), _script("fish")
    assert zsh.startswith("#compdef runbench")
    for name in filter(implemented, COMMANDS):
        assert f"-a {name} -d" in fish
        assert f"{name}:'" in zsh
    assert "__fish_seen_subcommand_from serve' -l queue-size -r" in fish


# -- colour -----------------------------------------------------------------------------
WORKSPACE = """\
[integrations.api]
base_url = "{base}"

[integrations.api.methods.get]
path = "/json"
"""


def _under_pty(argv: list[str], env: dict[str, str]) -> bytes:
    """What a command writes to a real terminal (its stdout and stderr are the pty)."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, env=env, cwd=ROOT
    )
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([leader], [], [], 30)
        if not ready:
            process.kill()
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(30)
    os.close(leader)
    return b"".join(chunks)


@pytest.mark.parametrize("no_color", ["1", ""])
def test_test_command_colours_a_terminal_unless_no_color(tmp_path: Path, no_color: str) -> None:
    with local_server() as (base, _api):
        workspace = tmp_path / "w.toml"
        workspace.write_text(WORKSPACE.format(base=base))
        env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
        env |= {"NO_COLOR": no_color, "TERM": "xterm-256color"}
        out = _under_pty([sys.executable, "-m", "runbench", "test", str(workspace), "api.get"], env)
    assert b"HTTP 200" in out
    assert (b"\x1b[" in out) == (no_color == ""), out[:400]


# -- check --json -----------------------------------------------------------------------
def test_check_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--json", str(BROKEN_EDGE)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["errors"] == 1
    assert data["workspace"] == str(BROKEN_EDGE)
    (problem,) = data["problems"]
    assert problem["line"] == 12
    assert problem["severity"] == "error"
    assert "no step 'donee'" in problem["message"]
    assert problem["keys"][:2] == ["runbooks", "ask"]
    assert main(["check", "--json", str(DEMO)]) == 0
    assert json.loads(capsys.readouterr().out)["errors"] == 0


def test_check_json_unreadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--json", str(tmp_path / "none.toml")]) == 2
    data = json.loads(capsys.readouterr().out)
    assert data["errors"] == 1
    assert "no such file" in data["problems"][0]["message"]


# -- the demo workspace outside the checkout ---------------------------------------------
def test_demo_lookup_prefers_the_checkout_then_the_packaged_copy(tmp_path: Path) -> None:
    assert demo_workspace(None, cwd=ROOT) == ROOT / "workspaces" / "demo.toml"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"HOME": str(tmp_path / "home")}
    copied = demo_workspace(None, cwd=elsewhere, environ=env)
    assert copied == tmp_path / "home/.local/share/runbench/demo/demo.toml"
    assert copied.read_text() == DEMO.read_text()
    copied.write_text(copied.read_text() + "\n# my edit\n")
    assert demo_workspace(None, cwd=elsewhere, environ=env).read_text().endswith("# my edit\n")


def test_wheel_ships_the_demo_and_runs_it_from_any_folder(tmp_path: Path) -> None:
    """Build the wheel offline, install it alone into a folder, run `demo --headless`
    from an empty folder: the demo runbooks all succeed against the in-process sandbox.

    The wheel is built by calling the build backend's PEP 517 hook, as `pip wheel
    --no-build-isolation` does, without pip around it (a third of the CPU). It is installed
    as pip installs a pure-Python wheel into --target: its files unpacked as they are, once
    its RECORD is seen to list every one of them (pip itself cost 1.1 s of CPU, the unpacking
    0.2 s; console scripts, the one other thing pip writes, are not used here)."""
    wheels, target, cwd = tmp_path / "wheels", tmp_path / "site", tmp_path / "cwd"
    cwd.mkdir()
    build = "import sys\nfrom setuptools.build_meta import build_wheel\nbuild_wheel(sys.argv[1])"
    subprocess.run(
        [sys.executable, "-c", build, str(wheels)], cwd=ROOT, check=True, capture_output=True
    )
    (wheel,) = wheels.glob("runbench-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read("runbench/demo/demo.toml") == DEMO.read_bytes()
        assert "runbench/tui/app.tcss" in archive.namelist()
        (record,) = [name for name in archive.namelist() if name.endswith(".dist-info/RECORD")]
        recorded = {line.split(",")[0] for line in archive.read(record).decode().splitlines()}
        assert set(archive.namelist()) <= recorded
        assert all(".data/" not in name for name in recorded)  # nothing pip would move
        archive.extractall(target)
    env = {**os.environ, "PYTHONPATH": str(target), "HOME": str(tmp_path / "home")}
    env.pop("XDG_DATA_HOME", None)
    where = subprocess.run(
        [sys.executable, "-c", "import runbench; print(runbench.__file__)"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(target))
    demo = subprocess.run(
        [sys.executable, "-m", "runbench", "demo", "--headless"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "0 of 3 runbook(s) failed" in demo.stdout
    assert (tmp_path / "home/.local/share/runbench/demo/demo.toml").exists()
