"""Ending a benchmark's tmux session and waiting until the program in it is gone.

`tmux kill-session` hangs the pane's terminal up and returns at once. Since the workbench
leaves cleanly on a hangup (it stops its runs, closes its journal and keeps unsaved edits
in ``.runbench/``: see ``runbench.tui.hangup``), it may still be writing in the benchmark's
temporary folder when the benchmark removes it ("Directory not empty: '.runbench'"), and
a workbench still leaving would cost the next case CPU. So the session's processes are
collected first and waited for after the kill.

Not imported by the package: benchmarks run as scripts with this folder on sys.path.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path


def _children() -> dict[int, list[int]]:
    """Each process's children, from /proc (Linux; empty elsewhere)."""
    found: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        found.setdefault(parent, []).append(int(entry.name))
    return found


def _tree(roots: list[int]) -> list[int]:
    children, seen, todo = _children(), [], list(roots)
    while todo:
        pid = todo.pop()
        seen.append(pid)
        todo.extend(children.get(pid, []))
    return seen


def end_session(target: str, timeout: float = 20.0, tmux: Sequence[str] = ("tmux",)) -> None:
    """Kill tmux session ``target`` and wait (up to ``timeout`` s) until every process that
    ran in its panes has ended. ``tmux``: the command, with ``-L NAME`` for a benchmark
    that runs a tmux server of its own."""
    listed = subprocess.run(
        [*tmux, "list-panes", "-s", "-t", target, "-F", "#{pane_pid}"],
        capture_output=True,
        text=True,
    ).stdout
    pids = _tree([int(pid) for pid in listed.split() if pid.isdigit()])
    subprocess.run([*tmux, "kill-session", "-t", target], capture_output=True)
    deadline = time.monotonic() + timeout
    while pids and time.monotonic() < deadline:
        pids = [pid for pid in pids if _alive(pid)]
        time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return os.path.exists(f"/proc/{pid}")
    return state != "Z"  # a zombie has ended; its parent (gone with tmux) reaps it
