"""The workbench leaves when its terminal hangs up, whatever its parent (tui/hangup.py).

A real pty and real processes: under `make demo`, make is the session leader and gets the
kernel's SIGHUP; the workbench, its child, gets nothing and used to spin on a dead terminal
forever. ``PARENT`` plays make: the session leader with the pty as its controlling
terminal, surviving SIGHUP, running ``python -m runbench tui`` as its child and reporting
the child's pid, then its exit status and CPU time (``wait4``). The other test sends
SIGHUP to a workbench directly (``kill -HUP``, or a workbench that is itself the leader).
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runbench.core.workspace import starter_text
from runbench.tui.hangup import HUNG_UP_REASON, HUNG_UP_STATUS
from waits import wait_for

PARENT = r"""
import fcntl, os, signal, sys, termios
fcntl.ioctl(0, termios.TIOCSCTTY, 0)  # the pty becomes this session's terminal, as make's
signal.signal(signal.SIGHUP, lambda *_: None)  # make outlives the hangup a moment; so do we
pid = os.fork()
if pid == 0:
    os.dup2(0, 1)
    os.execv(sys.executable, [sys.executable, "-m", "runbench", *sys.argv[1:]])
print(pid, flush=True)
_, status, usage = os.wait4(pid, 0)
print(status, usage.ru_utime + usage.ru_stime, flush=True)
"""

CPU_AFTER_HANGUP = 2.0
"""Seconds of CPU the workbench may use between the hangup and its end (its clean-up takes
a fraction of that; the old spin took 0.5-0.9 s every second, forever)."""


class Terminal:
    """The master side of a pty, read continuously (the app never blocks on a full pty)."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.output = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self.master], [], [], 0.2)
                if ready:
                    data = os.read(self.master, 65536)
                    if not data:
                        return
                    with self._lock:
                        self.output += data
            except OSError:  # closed by hang_up, or EIO once no slave is open
                return

    def seen(self, text: bytes) -> bool:
        with self._lock:
            return text in self.output

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def hang_up(self) -> None:
        """What an SSH drop or `tmux kill-server` does: the master side closes."""
        os.close(self.master)
        self._reader.join()


def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "hangup.toml"
    path.write_text(starter_text("Hangup"), encoding="utf-8")
    return path


def environment(tmp_path: Path) -> dict[str, str]:
    keep = ("PATH", "LANG", "LC_ALL", "PYTHONPATH", "SYSTEMROOT")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    return {**env, "TERM": "xterm-256color", "HOME": str(tmp_path), "NO_COLOR": "1"}


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def end(pid: int) -> None:
    """A workbench the test started, still there when the test fails: kill it by its id."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    term = Terminal()
    yield term
    for fd in (term.master, term.slave):
        try:
            os.close(fd)
        except OSError:
            pass


def on_terminal(
    tmp_path: Path, terminal: Terminal, args: list[str], stdout: int
) -> subprocess.Popen[bytes]:
    """``python ARGS`` in a session of its own on ``terminal`` (stdin and stderr; stdout as
    given), in ``tmp_path`` with the test's environment."""
    return subprocess.Popen(
        [sys.executable, *args],
        stdin=terminal.slave,
        stdout=stdout,
        stderr=terminal.slave,
        cwd=tmp_path,
        env=environment(tmp_path),
        start_new_session=True,
    )


def runs_json(tmp_path: Path, path: Path) -> list[dict[str, Any]]:
    """The workspace's runs as ``runbench runs --json`` reads them back from the journal."""
    out = subprocess.run(
        [sys.executable, "-m", "runbench", "runs", str(path), "--json"],
        capture_output=True,
        cwd=tmp_path,
        env=environment(tmp_path),
        check=True,
        timeout=60,
    ).stdout
    runs: list[dict[str, Any]] = json.loads(out)
    return runs


def drawn(terminal: Terminal, text: bytes, what: str) -> None:
    wait_for(lambda: terminal.seen(text), what)


def test_a_workbench_under_make_leaves_when_its_terminal_hangs_up(
    tmp_path: Path, terminal: Terminal
) -> None:
    """The child of a session leader, with edits unsaved and the quit dialog open: it
    exits 129 at once, the edits kept in a private recovery file, the workspace as it was."""
    path = workspace(tmp_path)
    before = path.read_bytes()
    parent = on_terminal(tmp_path, terminal, ["-c", PARENT, "tui", str(path)], subprocess.PIPE)
    assert parent.stdout is not None
    pid = int(parent.stdout.readline())
    try:
        drawn(terminal, b"Quit", "the workbench's first frame")
        terminal.type(b"\t")  # to the method's title (its keys shown in the footer)
        drawn(terminal, b"Check path", "the title field focused")
        terminal.type(b"HANGUP-EDIT")  # (drawn a key at a time: not one piece of output)
        drawn(terminal, b"hangup.toml *", "the title's star: unsaved edits")
        terminal.type(b"\x11")  # ctrl+q: the edits are not saved, so a dialog asks
        drawn(terminal, b"Unsaved changes", "the quit dialog")
        cpu_before = cpu_seconds(pid)
        terminal.hang_up()
        ready, _, _ = select.select([parent.stdout], [], [], 60)
        if not ready:
            spent = cpu_seconds(pid) - cpu_before
            pytest.fail(
                f"the workbench was still running 60 s after the hangup ({spent:.1f} s CPU)"
            )
        status_text, cpu_text = parent.stdout.readline().split()
    finally:
        end(pid)
        parent.wait()
        parent.stdout.close()
    status = int(status_text)
    assert os.WIFEXITED(status), status
    assert os.WEXITSTATUS(status) == HUNG_UP_STATUS
    assert float(cpu_text) - cpu_before < CPU_AFTER_HANGUP
    assert path.read_bytes() == before
    kept = tmp_path / ".runbench" / "hangup.hungup.toml"
    assert "HANGUP-EDIT" in kept.read_text(encoding="utf-8")
    assert kept.stat().st_mode & 0o777 == 0o600


def test_sighup_ends_the_workbench_cleanly(tmp_path: Path, terminal: Terminal) -> None:
    """SIGHUP (`kill -HUP`, or the one a session leader gets) used to kill the workbench
    before its clean-up; it leaves as on a hangup, and puts the terminal back as it was.
    A run paused in the debugger is stopped, and the journal says the terminal hung up
    (it used to say "stopped by user", which nobody did)."""
    path = workspace(tmp_path)
    child = on_terminal(tmp_path, terminal, ["-m", "runbench", "tui", str(path)], terminal.slave)
    try:
        drawn(terminal, b"Quit", "the workbench's first frame")
        terminal.type(b"\x10")  # ctrl+p: the palette (the tree's cursor is placed a frame late)
        drawn(terminal, b"Search for commands", "the palette")
        terminal.type(b"go to runbook ask")
        drawn(terminal, b"Ask a question", "the runbook's entry in the palette")
        terminal.type(b"\r")
        drawn(terminal, b"no run yet", "the runbook selected")
        terminal.type(b"\x1b[21~")  # f10: step through it (its trigger dialog first)
        drawn(terminal, b"Step through ask", "the trigger dialog")
        terminal.type(b"\r")
        drawn(terminal, b"paused before ask", "the run paused before its first step")
        child.send_signal(signal.SIGHUP)
        wait_for(lambda: child.poll() is not None, "the workbench's exit after SIGHUP", 60)
    finally:
        end(child.pid)
        child.wait()
    assert child.returncode == HUNG_UP_STATUS
    drawn(terminal, b"\x1b[?1049l", "the terminal's main screen back")
    assert not (tmp_path / ".runbench" / "hangup.hungup.toml").exists()  # nothing unsaved
    [run] = runs_json(tmp_path, path)
    assert (run["status"], run["error"]) == ("failure", f"{HUNG_UP_REASON} at step 'ask'")
