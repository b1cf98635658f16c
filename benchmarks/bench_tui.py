"""Start-up of the workbench, as a user sees it: launch to first full frame in tmux.

Compares `runbench tui workspaces/demo.toml` with a floor measured in the same run: a
minimal Textual app (a Header, a Static and a Footer) started the same way. If Posting is
installed (set POSTING to its executable, e.g. a throwaway venv's bin/posting) it is
timed too, as the peer the TUI issue names. Needs tmux; prints why and exits 0 without it.
"""

from __future__ import annotations

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
FLOOR_APP = '''
from textual.app import App
from textual.widgets import Footer, Header, Static

class Floor(App):
    BINDINGS = [("ctrl+q", "quit", "Quit")]
    def compose(self):
        yield Header()
        yield Static("floor ready")
        yield Footer()

Floor().run()
'''


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def first_frame(command: str, markers: list[str], timeout: float = 30.0) -> float:
    tmux("kill-session", "-t", SESSION)
    start = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-s", SESSION, "-x", "80", "-y", "24", command],
                   check=True)
    try:
        while time.perf_counter() - start < timeout:
            screen = tmux("capture-pane", "-p", "-t", SESSION)
            if all(marker in screen for marker in markers):
                return time.perf_counter() - start
            time.sleep(0.005)
        raise SystemExit(f"no full frame within {timeout} s for: {command}\n{screen}")
    finally:
        tmux("kill-session", "-t", SESSION)


def median_of(command: str, markers: list[str], runs: int) -> float:
    first_frame(command, markers)  # warm the file cache
    return statistics.median(first_frame(command, markers) for _ in range(runs))


def main() -> int:
    if shutil.which("tmux") is None:
        print("tmux not found: skipping the TUI start-up benchmark")
        return 0
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    python = sys.executable
    with tempfile.TemporaryDirectory() as folder:
        workspace = Path(folder) / "demo.toml"
        shutil.copyfile(ROOT / "workspaces" / "demo.toml", workspace)
        floor_script = Path(folder) / "floor.py"
        floor_script.write_text(FLOOR_APP)
        cases = [
            ("floor (minimal Textual app)", f"{python} {floor_script}", ["floor ready", "Quit"]),
            ("runbench tui", f"cd {folder} && {python} -m runbench tui demo.toml",
             ["onboard_users", "palette"]),
        ]
        posting = os.environ.get("POSTING")
        if posting and Path(posting).exists():
            cases.append(("posting", f"cd {folder} && {posting}", ["Collection is empty"]))
        results = {name: median_of(command, markers, runs) for name, command, markers in cases}
    floor = results["floor (minimal Textual app)"]
    print(f"launch to first full frame at 80x24, median of {runs}")
    for name, seconds in results.items():
        print(f"  {name:30s} {seconds * 1000:7.0f} ms   ratio vs floor {seconds / floor:5.2f}")
    if "posting" in results:
        print(f"  ratio runbench / posting: {results['runbench tui'] / results['posting']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
