"""Ctrl+C stops `serve` and `sandbox` with exit 130, however their process was started.

A process started with SIGINT ignored (a script's ``runbench serve &``: a non-interactive
shell ignores SIGINT in what it backgrounds; a test runner launched that way) still stops on
SIGINT, because uvicorn installs its own handler; but uvicorn's re-raise of the captured
signal after the graceful stop fell on the inherited SIG_IGN, ``run`` returned normally and
the command exited 0, which a script reads as success. The flake this covers: the worker
process test saw 0 when its pytest had been started in the background.

The signal is sent once the server answers (uvicorn's handler is in place: before that, a
SIGINT the process ignores is rightly lost), to a real command on 127.0.0.1.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from servers import serve_url
from waits import wait_for

WORKSPACE = """
name = "interrupted"
[runbooks.hook]
start = "done"
public = true
[runbooks.hook.steps.done]
kind = "end"
"""

IGNORING_SIGINT = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "os.execv(sys.executable, [sys.executable, '-m', 'runbench', *sys.argv[1:]])"
)
"""Runs runbench with SIGINT ignored from the start, as ``&`` in a script does (exec keeps it)."""


def launch(args: list[str], sigint: str) -> subprocess.Popen[str]:
    prefix = ["-c", IGNORING_SIGINT] if sigint == "ignored" else ["-m", "runbench"]
    return subprocess.Popen(
        [sys.executable, *prefix, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def answers(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            httpx.get(url, timeout=5.0)
        except httpx.TransportError:
            return False
        return True

    return check


@pytest.fixture
def stopped() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes the test started; killed if a failed test left them running."""
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def interrupt(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    return process.returncode, err


@pytest.mark.parametrize("sigint", ["ignored", "default"])
def test_ctrl_c_stops_serve_with_130(
    sigint: str, tmp_path: Path, stopped: list[subprocess.Popen[str]]
) -> None:
    ws = tmp_path / "ws.toml"
    ws.write_text(WORKSPACE, encoding="utf-8")
    args = ["serve", str(ws), "--port", "0", "--state-dir", str(tmp_path / "state")]
    process = launch([*args, "--workers", "0"], sigint)
    stopped.append(process)
    assert process.stdout is not None
    url = serve_url(process.stdout, "hook")
    wait_for(answers(f"{url}/healthz"), "serve to answer")
    code, err = interrupt(process)
    assert code == 130, err
    assert "interrupted" in err


@pytest.mark.parametrize("sigint", ["ignored", "default"])
def test_ctrl_c_stops_the_sandbox_with_130(
    sigint: str, stopped: list[subprocess.Popen[str]]
) -> None:
    process = launch(["sandbox", "--port", "0"], sigint)
    stopped.append(process)
    assert process.stdout is not None
    url = next(
        (
            m.group(1)
            for line in process.stdout
            if (m := re.search(r"Halo base URL:\s+(\S+)", line))
        ),
        None,
    )
    assert url is not None, "no URL in the sandbox's banner"
    wait_for(answers(url), "the sandbox to answer")
    code, err = interrupt(process)
    assert code == 130, err
    assert "interrupted" in err
