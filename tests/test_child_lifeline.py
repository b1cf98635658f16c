"""core.child: a child ends when the process that spawned it is gone, however it went.

The workbench's children leave for a session of their own (``lower_priority``), so a SIGHUP
from a dropped SSH connection never reaches them, and a formatter writing to a file never
meets a closed pipe: before the lifeline it formatted on for seconds after the workbench
died. Real processes here: a parent that spawns a child through ``core.child.spawn``, then is
killed; the child's end is seen as the end of file of a pipe only the child holds (a zombie
nobody reaps still counts as ended: its descriptors are closed)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from runbench.core.child import LIFELINE, PARENT_GONE

posix_only = pytest.mark.skipif(os.name != "posix", reason="lifelines need pass_fds")

DEADLINE = 30.0
"""Seconds to wait for a child's end before failing (it takes milliseconds)."""

BUSY_CHILD = """
import sys, threading
from runbench.core.child import die_with_parent, lower_priority
die_with_parent()
lower_priority(5)  # a session of its own, as the workbench's children
sys.stdout.write("working\\n")
sys.stdout.flush()
threading.Event().wait()  # a formatter that never meets a closed pipe
"""

PARENT = """
import os, signal, sys
from runbench.core.child import ChildSpec, spawn
signal.signal(signal.SIGHUP, signal.SIG_DFL)  # a workbench's default, even under nohup
child = spawn(ChildSpec("busy_child"), stdout=sys.stdout.fileno())
sys.stdout.write(f"{child.pid}\\n")
sys.stdout.flush()
os.close(1)  # from here only the child holds the test's pipe
sys.stdout = open(os.devnull, "w")
sys.stdin.read()  # the test closes it: a normal exit (unless killed first)
"""


def read_line(fd: int) -> str:
    """One line from ``fd``, a byte at a time: two writers share the pipe and their lines can
    arrive together, so a bigger read could take the next line (the parent's pid and its
    child's "working") as well, and that line would be lost to the next read."""
    line = b""
    while not line.endswith(b"\n"):
        byte = wait_readable_and_read_a_byte(fd)
        assert byte, f"the pipe ended after {line!r}"
        line += byte
    return line.decode()


def wait_readable_and_read_a_byte(fd: int) -> bytes:
    ready, _, _ = select.select([fd], [], [], DEADLINE)
    assert ready, f"nothing within {DEADLINE:g} s"
    return os.read(fd, 1)


def pipe_ends(fd: int) -> bool:
    """Whether every writer of ``fd`` has gone within the deadline (reads to its end)."""
    give_up = time.monotonic() + DEADLINE
    while (left := give_up - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], left)
        if ready and not os.read(fd, 1024):
            return True
    return False


@pytest.fixture
def family(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int, int]]:
    """A parent (in a session of its own, as a workbench over SSH), its child's pid, and the
    read end of the pipe the child holds (first line from each: both are running)."""
    (tmp_path / "busy_child.py").write_text(BUSY_CHILD)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    assert parent.stdout is not None
    fd = parent.stdout.fileno()
    child = int(read_line(fd))
    try:
        assert read_line(fd) == "working\n"
        yield parent, child, fd
    finally:
        for pid in (parent.pid, child):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        parent.wait()
        parent.stdout.close()
        assert parent.stdin is not None
        parent.stdin.close()


@posix_only
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGHUP])
def test_a_child_ends_when_its_parent_is_killed(
    family: tuple[subprocess.Popen[bytes], int, int], how: signal.Signals
) -> None:
    parent, child, fd = family
    os.killpg(parent.pid, how)  # SIGHUP: what the terminal's group gets when SSH drops
    parent.wait(DEADLINE)
    assert os.getsid(child) == child  # its own session: the SIGHUP did not reach it
    assert pipe_ends(fd), "the child outlived its parent"


@posix_only
def test_a_child_ends_when_its_parent_exits_normally(
    family: tuple[subprocess.Popen[bytes], int, int],
) -> None:
    parent, _, fd = family
    assert parent.stdin is not None
    parent.stdin.close()
    assert parent.wait(DEADLINE) == 0
    assert pipe_ends(fd), "the child outlived its parent"


CHILDREN = [
    "runbench.tui.state.format_child",
    "runbench.tui.state.search_child",
    "runbench.tui.state.response_scope",
    "runbench.core.http._offload",
]


@posix_only
@pytest.mark.parametrize("module", CHILDREN)
def test_every_child_watches_its_lifeline(module: str) -> None:
    """Each real child, its stdin still open (it waits for its frame), exits as soon as its
    lifeline ends: the parent is gone."""
    read_end, write_end = os.pipe()
    env = {**os.environ, LIFELINE: str(read_end)}
    child = subprocess.Popen(
        [sys.executable, "-m", module],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        pass_fds=(read_end,),
        env=env,
    )
    os.close(read_end)
    try:
        os.close(write_end)  # the parent's end goes, as when the parent dies
        assert child.wait(timeout=DEADLINE) == PARENT_GONE
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        assert child.stdin is not None
        child.stdin.close()


def test_a_child_started_by_hand_has_no_lifeline() -> None:
    """Without the variable (``python -m`` by hand) nothing is watched; a variable naming a
    descriptor that is not open is ignored; the variable never reaches a grandchild."""
    from runbench.core.child import die_with_parent

    environ = {LIFELINE: "987654"}
    die_with_parent(environ)
    assert LIFELINE not in environ
    die_with_parent({})


SERVE_WORKER = """
import os, sys, threading
from runbench.core.child import LIFELINE
from runbench.serve.child import tie_to_parent
named = LIFELINE in os.environ
tie_to_parent(os.getppid())
sys.stdout.write(f"working lifeline={named}\\n")
sys.stdout.flush()
threading.Event().wait()  # busy in a run: it never reads its stdin
"""

SERVE = """
import asyncio, sys
from runbench.serve.process import WorkerProcess

async def main() -> None:
    argv = [sys.executable, "-c", sys.argv[1]]
    worker = WorkerProcess(argv, on_report=lambda report: None, log=print)
    await worker.start()
    await asyncio.Event().wait()

asyncio.run(main())
"""


@posix_only
def test_serves_worker_process_ends_when_serve_is_killed() -> None:
    """serve's worker process has the workbench's lifeline, not ``PR_SET_PDEATHSIG`` (Linux
    only, and tied to the thread that started the child): a ``kill -9`` of the server ends
    it though it never reads its stdin, whose end would tell it too."""
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE, SERVE_WORKER],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    assert server.stdout is not None
    fd = server.stdout.fileno()
    try:
        assert read_line(fd) == "working lifeline=True\n"
        server.kill()
        server.wait(DEADLINE)
        assert pipe_ends(fd), "the worker outlived its server"  # the worker held it alone
    finally:
        try:
            os.killpg(server.pid, signal.SIGKILL)  # the worker too, had it outlived it
        except ProcessLookupError:
            pass
        server.wait()
        server.stdout.close()
