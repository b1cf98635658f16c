"""Start-up of the workbench, as a user sees it: launch to first full frame in tmux, and
the first key after the first ctrl+t.

Compares `runbench tui workspaces/demo.toml` with a floor measured in the same run: a
minimal Textual app (a Header, a Static and a Footer) started the same way. If Posting is
installed (set POSTING to its executable, e.g. a throwaway venv's bin/posting) it is
timed too, as the peer the TUI issue names. Goals: <= 2.0x the floor, <= 0.6x Posting.
Needs tmux; prints why and exits 0 without it.

First key after ctrl+t: a fresh workbench, drawn and left alone for a moment (as a user
looks before typing), gets ctrl+t and ctrl+b at once; timed until the tree is hidden,
against ctrl+b alone in another fresh workbench (the floor: what the key costs anyway).
ctrl+t used to import httpx and the engine on the message pump and hold the next key
85-176 ms; the goal is that key's answer within 100 ms.

Like for like: a pip-installed peer runs from bytecode compiled at install time, while an
editable install of runbench compiles on first import (and never caches it when
PYTHONDONTWRITEBYTECODE is set), so runbench's sources are compiled first. The cases run
interleaved, round by round, so a slow spell of the machine hits every case alike.
"""

from __future__ import annotations

import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results import record, skipped, spread_of
from tmux_end import end_session

ROOT = Path(__file__).resolve().parents[1]
# one per process: two benchmarks run at once never kill each other's session
SESSION = f"runbench-bench-tui-{os.getpid()}"
# a tmux server of its own (-L): other benchmarks ending theirs never end ours
TMUX = ["tmux", "-L", SESSION]
# kill-session's target names this session only: a bare name also matches by prefix, so
# once this session was gone it killed "<SESSION>-keep", the tmux server exited with its
# last session, and the next new-session failed ("server exited unexpectedly")
EXACT = f"={SESSION}"
FLOOR_APP = """
from textual.app import App
from textual.widgets import Footer, Header, Static

class Floor(App):
    BINDINGS = [("ctrl+q", "quit", "Quit")]
    def compose(self):
        yield Header()
        yield Static("floor ready")
        yield Footer()

Floor().run()
"""


def tmux(*args: str) -> str:
    return subprocess.run([*TMUX, *args], capture_output=True, text=True).stdout


CPU_CLOCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system) used so far by ``root`` and its descendants (Linux
    /proc; 0.0 elsewhere). On a loaded machine this varies far less than the wall clock."""
    children: dict[int, list[int]] = {}
    used: dict[int, float] = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (OSError, ValueError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        used[int(entry)] = (int(fields[11]) + int(fields[12])) / CPU_CLOCK
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += used.get(pid, 0.0)
        todo.extend(children.get(pid, []))
    return total


def first_frame(command: str, markers: list[str], timeout: float = 30.0) -> tuple[float, float]:
    """Seconds to the first full frame, and the CPU seconds the command used until then."""
    tmux("kill-session", "-t", EXACT)
    start = time.perf_counter()
    subprocess.run(
        [*TMUX, "new-session", "-d", "-s", SESSION, "-x", "80", "-y", "24", command], check=True
    )
    try:
        root = int(tmux("display-message", "-p", "-t", SESSION, "#{pane_pid}").strip() or 0)
        while time.perf_counter() - start < timeout:
            screen = tmux("capture-pane", "-p", "-t", SESSION)
            if all(marker in screen for marker in markers):
                return time.perf_counter() - start, tree_cpu(root)
            time.sleep(0.005)
        raise SystemExit(f"no full frame within {timeout} s for: {command}\n{screen}")
    finally:
        end_session(EXACT, tmux=TMUX)  # gone before its folder is removed


Samples = dict[str, list[tuple[float, float]]]


def launch_times(cases: list[tuple[str, str, list[str]]], runs: int) -> Samples:
    """(wall, CPU) seconds to the first frame per case, interleaved round by round."""
    for _, command, markers in cases:
        first_frame(command, markers)  # warm the file cache
    times: Samples = {name: [] for name, _, _ in cases}
    for round_ in range(runs):
        order = cases[round_ % len(cases) :] + cases[: round_ % len(cases)]
        for name, command, markers in order:
            times[name].append(first_frame(command, markers))
    return times


TREE_MARKER = "onboard_users"  # a runbook in the tree: gone when ctrl+b hides the tree


def key_after(command: str, keys: list[str], look: float = 2.0) -> float:
    """A fresh workbench, drawn, left alone ``look`` seconds, then ``keys`` at once:
    seconds until the tree is hidden (ctrl+b)."""
    tmux("kill-session", "-t", EXACT)
    subprocess.run(
        [*TMUX, "new-session", "-d", "-s", SESSION, "-x", "80", "-y", "24", command], check=True
    )
    try:
        deadline = time.perf_counter() + 30
        while "palette" not in tmux("capture-pane", "-p", "-t", SESSION):
            if time.perf_counter() > deadline:
                raise SystemExit(f"no first frame within 30 s for: {command}")
            time.sleep(0.01)
        time.sleep(look)
        start = time.perf_counter()
        tmux("send-keys", "-t", SESSION, *keys)
        while TREE_MARKER in tmux("capture-pane", "-p", "-t", SESSION):
            if time.perf_counter() - start > 10:
                raise SystemExit("ctrl+b did not hide the tree within 10 s")
            time.sleep(0.002)
        return time.perf_counter() - start
    finally:
        end_session(EXACT, tmux=TMUX)  # gone before its folder is removed


def first_key_after_ctrl_t(command: str, runs: int) -> None:
    samples: dict[str, list[float]] = {"ctrl+t then ctrl+b": [], "ctrl+b alone": []}
    for round_ in range(runs):
        for name in sorted(samples, reverse=bool(round_ % 2)):
            keys = ["C-t", "C-b"] if name.startswith("ctrl+t") else ["C-b"]
            samples[name].append(key_after(command, keys))
    after, alone = samples["ctrl+t then ctrl+b"], samples["ctrl+b alone"]
    ratios = [a / b for a, b in zip(after, alone, strict=True)]
    print(f"first key after ctrl+t (ctrl+b to the tree hidden), median of {runs}")
    print(f"  ctrl+b alone                   {statistics.median(alone) * 1000:7.0f} ms  (floor)")
    print(
        f"  ctrl+t, then ctrl+b            {statistics.median(after) * 1000:7.0f} ms"
        f"   ratio {statistics.median(ratios):.2f} ({min(ratios):.2f}..{max(ratios):.2f});"
        f" max {max(after) * 1000:.0f} ms (goal < 100 ms)"
    )
    ms = [value * 1000 for value in after]
    record(
        "first key after ctrl+t: ctrl+b to tree hidden",
        statistics.median(ms),
        100,
        unit="ms",
        spread=spread_of(ms),
    )
    record(
        "first key after ctrl+t vs ctrl+b alone",
        statistics.median(ratios),
        spread=spread_of(ratios),
    )


def main() -> int:
    if shutil.which("tmux") is None:
        print("tmux not found: skipping the TUI start-up benchmark")
        skipped("tmux not found")
        return 0
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    python = sys.executable
    compileall.compile_dir(ROOT / "src" / "runbench", quiet=1)
    with tempfile.TemporaryDirectory() as folder:
        workspace = Path(folder) / "demo.toml"
        shutil.copyfile(ROOT / "workspaces" / "demo.toml", workspace)
        floor_script = Path(folder) / "floor.py"
        floor_script.write_text(FLOOR_APP)
        cases = [
            ("floor (minimal Textual app)", f"{python} {floor_script}", ["floor ready", "Quit"]),
            (
                "runbench tui",
                f"cd {folder} && {python} -m runbench tui demo.toml",
                ["onboard_users", "palette"],
            ),
        ]
        posting = os.environ.get("POSTING")
        if posting and Path(posting).exists():
            cases.append(("posting", f"cd {folder} && {posting}", ["Collection is empty"]))
        # a session kept open: killing a case's session never ends the tmux server (the
        # next case's new-session then failed: "server exited unexpectedly")
        tmux("new-session", "-d", "-s", f"{SESSION}-keep")
        try:
            times = launch_times(cases, runs)
            report(times, runs, bool(posting and Path(posting).exists()))
            first_key_after_ctrl_t(cases[1][1], runs)
        finally:
            tmux("kill-server")
    return 0


def report(samples: Samples, runs: int, with_posting: bool) -> None:
    wall = {name: [w for w, _ in values] for name, values in samples.items()}
    cpu = {name: [c for _, c in values] for name, values in samples.items()}
    floor, floor_cpu = (statistics.median(v["floor (minimal Textual app)"]) for v in (wall, cpu))
    print(f"launch to first full frame at 80x24, median of {runs} (CPU: the process tree's)")
    for name in wall:
        seconds, used = statistics.median(wall[name]), statistics.median(cpu[name])
        print(
            f"  {name:30s} {seconds * 1000:7.0f} ms   ratio vs floor {seconds / floor:5.2f}"
            f"   CPU {used * 1000:5.0f} ms, ratio {used / max(floor_cpu, 1e-9):5.2f}"
        )
    pairs = [("floor (minimal Textual app)", "a minimal Textual app", 2.0)]
    if with_posting:
        pairs.append(("posting", "Posting", 0.6))
    else:
        print("  (Posting not timed: set POSTING=/path/to/posting)")
        skipped("Posting not timed: set POSTING=/path/to/bin/posting")
    for peer, label, goal in pairs:
        for kind, values in (("", wall), (", CPU time", cpu)):
            ours, theirs = values["runbench tui"], values[peer]
            per_round = [a / max(b, 1e-9) for a, b in zip(ours, theirs, strict=True)]
            ratio = statistics.median(ours) / max(statistics.median(theirs), 1e-9)
            record(
                f"first frame vs {label}{kind}",
                ratio,
                goal if not kind else None,
                spread=spread_of(per_round),
            )
    if with_posting:
        print(
            f"  ratio runbench / posting: {statistics.median(wall['runbench tui']) / statistics.median(wall['posting']):.2f}"
        )


if __name__ == "__main__":
    sys.exit(main())
