"""CPU per key of the workbench against a minimal Textual app pressed the same keys.

Imported by ``bench_tui_keys.py``. Both apps run at once in their own tmux session at
80x24; each round presses a typical key mix (focus moves, scrolling, the tree and zoom
toggles, a help screen, typing) into one, then the other (the order alternates), and reads
the CPU the app's process tree used (Linux /proc) from before each key until its screen is
still again. Per round: the mean CPU per key of each app and their ratio; printed as the
median over the rounds with the spread. The floor is a small app of the same shape (a
tree, three inputs, a scrolling body, header and footer, a toggled side bar, a help
screen): what Textual itself costs for these keys, on this machine, in this run.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_tui import tree_cpu
from results import record, spread_of

FLOOR_APP = """
from textual.app import App
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Header, Input, Static, TextArea, Tree


class Keys(ModalScreen):
    BINDINGS = [("f1,escape", "app.pop_screen", "Close")]

    def compose(self):
        yield Static("keys of the floor app", id="keys")


class Floor(App):
    CSS = "#side { width: 22; } .-zoom #edit { display: none; } #keys { width: 40; height: 5; }"
    BINDINGS = [
        ("ctrl+q", "quit", "Quit"),
        ("ctrl+b", "side", "Tree"),
        ("ctrl+r", "zoom", "Zoom"),
        ("f1", "keys", "Keys"),
    ]

    def compose(self):
        yield Header()
        with Horizontal():
            tree = Tree("workspace", id="side")
            tree.root.expand()
            for i in range(8):
                tree.root.add_leaf(f"item {i}")
            yield tree
            with Vertical():
                with Vertical(id="edit"):
                    yield Input("floor ready")
                    yield Input("GET")
                    yield Input("/path")
                body = "\\n".join(f'  "line {i}": {i},' for i in range(400))
                yield TextArea(body, read_only=True)
        yield Footer()

    def on_mount(self):
        self.query_one(Tree).focus()

    def action_side(self):
        side = self.query_one("#side")
        side.display = not side.display

    def action_zoom(self):
        self.screen.toggle_class("-zoom")

    def action_keys(self):
        self.push_screen(Keys())


Floor().run()
"""

# A typical mix, from the tree focused: into the body and scroll, toggle the tree and the
# zoom, move in the tree, into the fields and type, back to the tree, help open and close.
KEYS = [
    "BTab", "Down", "PageDown", "End", "Home",
    "C-b", "C-b", "C-r", "C-r",
    "Tab", "Down", "Up",
    "Tab", "Tab", "Tab", "End", "x", "BSpace",
    "BTab", "BTab", "BTab",
    "F1", "F1",
]  # fmt: skip


class Session:
    """One app in its own tmux session."""

    def __init__(self, name: str, command: str, ready: str) -> None:
        self.name, self.command, self.ready = name, command, ready
        self.root = 0

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-e", "-t", self.name)

    def start(self) -> None:
        self.tmux("kill-session", "-t", self.name)
        size = ["-x", "80", "-y", "24"]
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, *size, self.command])
        self.root = int(self.tmux("display-message", "-p", "-t", self.name, "#{pane_pid}") or 0)
        deadline = time.perf_counter() + 30
        while self.ready not in self.screen():
            if time.perf_counter() > deadline:
                raise SystemExit(f"{self.name}: no first frame within 30 s\n{self.screen()}")
            time.sleep(0.02)

    def stop(self) -> None:
        self.tmux("kill-session", "-t", self.name)

    def settle(self, quiet: float = 0.08, timeout: float = 2.0) -> None:
        """Until the screen has not changed for ``quiet`` seconds (a key that changes
        nothing costs ``quiet`` of idle time, alike in both apps)."""
        last, since = self.screen(), time.perf_counter()
        deadline = since + timeout
        while time.perf_counter() < deadline:
            time.sleep(0.01)
            now = self.screen()
            if now != last:
                last, since = now, time.perf_counter()
            elif time.perf_counter() - since >= quiet:
                return

    def send(self, key: str) -> None:
        self.tmux("send-keys", "-t", self.name, key)

    def round_cpu(self) -> float:
        """Mean CPU seconds per key over one pass of ``KEYS``."""
        used = 0.0
        for key in KEYS:
            self.settle()
            before = tree_cpu(self.root)
            self.send(key)
            self.settle()
            used += tree_cpu(self.root) - before
        return used / len(KEYS)


def measure(folder: Path, runbench_command: str, ready: str, rounds: int) -> None:
    """Start both apps, warm them with one pass each (first use: lazy imports, styles),
    then ``rounds`` interleaved measured passes; print and record the ratio."""
    floor_script = folder / "floor_keys.py"
    floor_script.write_text(FLOOR_APP)
    stamp = f"{time.monotonic_ns() % 10**9}"
    apps = [
        Session(f"runbench-cpu-keys-{stamp}", runbench_command, ready),
        Session(f"runbench-cpu-floor-{stamp}", f"{sys.executable} {floor_script}", "floor ready"),
    ]
    per_key: dict[str, list[float]] = {app.name: [] for app in apps}
    try:
        for app in apps:
            app.start()
            app.round_cpu()
        for round_ in range(rounds):
            for app in apps if round_ % 2 == 0 else apps[::-1]:
                per_key[app.name].append(app.round_cpu())
    finally:
        for app in apps:
            app.stop()
    ours, floor = per_key[apps[0].name], per_key[apps[1].name]
    ratios = [a / max(b, 1e-9) for a, b in zip(ours, floor, strict=True)]
    ratio = statistics.median(ratios)
    print(
        f"CPU per key over a mix of {len(KEYS)} keys, {rounds} interleaved rounds "
        f"(process tree CPU, key to still screen):\n"
        f"  runbench tui          {statistics.median(ours) * 1000:6.1f} ms/key "
        f"({min(ours) * 1000:.1f}..{max(ours) * 1000:.1f})\n"
        f"  minimal Textual app   {statistics.median(floor) * 1000:6.1f} ms/key "
        f"({min(floor) * 1000:.1f}..{max(floor) * 1000:.1f})\n"
        f"  ratio                 {ratio:6.2f} ({min(ratios):.2f}..{max(ratios):.2f})"
    )
    record("CPU per key (typical mix) vs a minimal Textual app", ratio, spread=spread_of(ratios))
    record(
        "CPU per key (typical mix), runbench tui",
        statistics.median(ours) * 1000,
        unit="ms",
        spread=spread_of([value * 1000 for value in ours]),
    )
