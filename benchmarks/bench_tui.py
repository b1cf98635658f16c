"""Start-up of the workbench, as a user sees it: launch to first full frame in tmux.

Compares `runbench tui workspaces/demo.toml` with a floor measured in the same run: a
minimal Textual app (a Header, a Static and a Footer) started the same way. If Posting is
installed (set POSTING to its executable, e.g. a throwaway venv's bin/posting) it is
timed too, as the peer the TUI issue names. Needs tmux; prints why and exits 0 without it.

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

ROOT = Path(__file__).resolve().parents[1]
SESSION = "runbench-bench-tui"
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
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def first_frame(command: str, markers: list[str], timeout: float = 30.0) -> float:
    tmux("kill-session", "-t", SESSION)
    start = time.perf_counter()
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", SESSION, "-x", "80", "-y", "24", command], check=True
    )
    try:
        while time.perf_counter() - start < timeout:
            screen = tmux("capture-pane", "-p", "-t", SESSION)
            if all(marker in screen for marker in markers):
                return time.perf_counter() - start
            time.sleep(0.005)
        raise SystemExit(f"no full frame within {timeout} s for: {command}\n{screen}")
    finally:
        tmux("kill-session", "-t", SESSION)


def medians(cases: list[tuple[str, str, list[str]]], runs: int) -> dict[str, float]:
    """Median launch time per case, the cases interleaved round by round."""
    for _, command, markers in cases:
        first_frame(command, markers)  # warm the file cache
    times: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    for round_ in range(runs):
        order = cases[round_ % len(cases) :] + cases[: round_ % len(cases)]
        for name, command, markers in order:
            times[name].append(first_frame(command, markers))
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> int:
    if shutil.which("tmux") is None:
        print("tmux not found: skipping the TUI start-up benchmark")
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
        results = medians(cases, runs)
    floor = results["floor (minimal Textual app)"]
    print(f"launch to first full frame at 80x24, median of {runs}")
    for name, seconds in results.items():
        print(f"  {name:30s} {seconds * 1000:7.0f} ms   ratio vs floor {seconds / floor:5.2f}")
    if "posting" in results:
        print(f"  ratio runbench / posting: {results['runbench tui'] / results['posting']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
