"""A 50 MiB JSON response in the workbench: peak memory of the whole process tree and the
time until it is fully formatted, as a user sees it in tmux at 80x24.

`runbench tui` runs in tmux on a workspace with one method that answers ~50 MiB of
minified JSON (a local server on 127.0.0.1, port 0, a thread); ctrl+t is pressed and
the time runs until the status line no longer says "formatting" (the body is re-indented
in a child process; see tui/state/body_lines.py). Meanwhile the resident memory of the
TUI's process and every descendant (the formatter child included) is summed every 20 ms
from /proc; the peak is printed as a multiple of the body size (goal <= 10x) and the time
in seconds (goal <= 4 s). The peer, measured in the same rounds (interleaved): a fresh
Python that reads the same body and pretty-prints it with the json module (json.loads,
json.dumps(indent=2)), timed and sampled the same way. Needs tmux and Linux's /proc.

On a busy machine wall times say more about the neighbours than about the code (the
formatter runs at a lower priority), so the CPU time each side spends is measured too
(the workbench: its process and the children it waited for, the formatter and its
helper, from /proc; the peer: its rusage) and their ratio printed beside; the load
average is printed with every round.

    python benchmarks/bench_tui_big_body.py [ROUNDS]
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from bench_tui_keys import BIG_BYTES, WORKSPACE, minified_json, server
from results import record, skipped, spread_of
from tmux_end import end_session

# one per process: two benchmarks run at once never kill each other's session
SESSION = f"runbench-bench-big-body-{os.getpid()}"
POLL = 0.05
"""Seconds between two looks at the screen: each is a tmux client (a process) at normal
priority, and the formatter runs niced; looking every 10 ms took a good part of a core from
it. 50 ms is at most 1% of the times measured here."""
RSS_GOAL = 10.0
SECONDS_GOAL = 4.0
PEER = """
import json, os, sys
with open(sys.argv[1], "rb") as f:
    text = json.dumps(json.loads(f.read()), indent=2, ensure_ascii=False)
with open(os.devnull, "w") as out:
    out.write(text)
"""


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants (0 once it is gone), read from
    the tree's own /proc entries (``task/*/children``): a scan of every process on the
    machine every 20 ms cost the observer more CPU than the formatter it watched may lose."""
    page = os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm") as statm:
                total += int(statm.read().split()[1]) * page
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    todo.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):
            continue  # gone meanwhile
    return total


class PeakSampler:
    """The peak of ``tree_rss(root)`` every 20 ms on a thread, until stopped."""

    def __init__(self, root: int) -> None:
        self.root, self.peak, self._stop = root, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(self.root))
            self._stop.wait(0.02)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def tree_cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and the children it has waited for (utime, stime, cutime,
    cstime in /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return sum(int(tick) for tick in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def observer_cpu() -> float:
    """CPU seconds of this process (its RSS sampler thread included) and of the tmux
    clients it ran to look at the screen: shown beside each round, so that the looking is
    seen not to be what the niced formatter waits for."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    clients = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + clients.ru_utime + clients.ru_stime


def wait_screen(done: Callable[[str], bool], timeout: float) -> str:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        shown = tmux("capture-pane", "-p", "-t", SESSION)
        if done(shown):
            return shown
        time.sleep(POLL)
    raise SystemExit(f"gave up after {timeout} s:\n{shown}")


Round = tuple[float, int, float]
"""Wall seconds, peak RSS of the process tree, CPU seconds."""


def tui_round(folder: Path) -> Round:
    """Seconds from ctrl+t to fully formatted, the tree's peak RSS meanwhile, and the CPU
    time the workbench spent."""
    tmux("kill-session", "-t", SESSION)
    command = f"cd {folder} && exec {sys.executable} -m runbench tui ws.toml"
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", SESSION, "-x", "80", "-y", "24", command], check=True
    )
    try:
        wait_screen(lambda s: "GET keys" in s, 30)
        time.sleep(1.0)  # let start-up and the warm-up finish, as a user would look first
        root = int(tmux("display-message", "-p", "-t", SESSION, "#{pane_pid}").strip())
        sampler = PeakSampler(root)
        cpu, observer = tree_cpu(root), observer_cpu()
        started = time.perf_counter()
        tmux("send-keys", "-t", SESSION, "C-t")
        wait_screen(lambda s: "200 OK" in s and "formatting" not in s, 120)
        took = time.perf_counter() - started
        cpu, observer = tree_cpu(root) - cpu, observer_cpu() - observer
        print(f"    (the observer: {observer:.2f} s of CPU, {observer / took:.0%} of a core)")
        time.sleep(0.5)  # what is left after the formatting counts too
        return took, sampler.stop(), cpu
    finally:
        end_session(SESSION)


def peer_round(body_file: Path) -> Round:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", PEER, str(body_file)])
    sampler = PeakSampler(child.pid)
    child.wait()
    took = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return took, sampler.stop(), cpu


def main() -> int:
    if shutil.which("tmux") is None or not Path("/proc/self/stat").exists():
        print("tmux or /proc not found: skipping the big-body benchmark")
        skipped("tmux or /proc not found")
        return 0
    rounds = max(3, int(sys.argv[1]) if len(sys.argv) > 1 else 3)
    body = minified_json(BIG_BYTES)
    size = len(body)
    samples: dict[str, list[Round]] = {"tui": [], "peer": []}
    with server({"/big": body}) as url, tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        (folder / "ws.toml").write_text(WORKSPACE.format(url=url, path="/big", limit=2 * size))
        body_file = folder / "body.json"
        body_file.write_bytes(body)
        del body
        for round_ in range(rounds):  # interleaved, alternating who goes first
            order = ("tui", "peer") if round_ % 2 == 0 else ("peer", "tui")
            for name in order:
                result = tui_round(folder) if name == "tui" else peer_round(body_file)
                samples[name].append(result)
                print(
                    f"  round {round_ + 1} {name:4s} {result[0]:6.2f} s  {result[1] / size:5.1f}x"
                    f"  cpu {result[2]:5.2f} s  load {os.getloadavg()[0]:5.2f}"
                )
    report(samples, size, rounds)
    return 0


def report(samples: dict[str, list[Round]], size: int, rounds: int) -> None:
    mib = size / 2**20
    print(f"a {mib:.1f} MiB JSON response, ctrl+t to fully formatted, {rounds} rounds (medians)")
    for name, label in (("tui", "runbench tui"), ("peer", "json.loads + dumps(indent=2)")):
        times = [t for t, _, _ in samples[name]]
        peaks = [p / size for _, p, _ in samples[name]]
        cpus = [c for _, _, c in samples[name]]
        print(
            f"  {label:30s} {statistics.median(times):6.2f} s ({min(times):.2f}..{max(times):.2f})"
            f"   peak RSS of the process tree {statistics.median(peaks):5.1f}x the body"
            f" ({min(peaks):.1f}..{max(peaks):.1f})   cpu {statistics.median(cpus):.2f} s"
        )
    tui_times = [t for t, _, _ in samples["tui"]]
    tui_peaks = [p / size for _, p, _ in samples["tui"]]
    ratios = [a[0] / b[0] for a, b in zip(samples["tui"], samples["peer"], strict=True)]
    cpu_ratios = [a[2] / b[2] for a, b in zip(samples["tui"], samples["peer"], strict=True)]
    print(
        f"  goals: peak RSS <= {RSS_GOAL:.0f}x the body, formatted within {SECONDS_GOAL:.0f} s;"
        f" time vs the json module {statistics.median(ratios):.2f}"
        f" ({min(ratios):.2f}..{max(ratios):.2f}), cpu time vs the json module"
        f" {statistics.median(cpu_ratios):.2f} ({min(cpu_ratios):.2f}..{max(cpu_ratios):.2f});"
        f" load average {os.getloadavg()[0]:.2f}"
    )
    record(
        "50 MiB body: peak RSS of the process tree / body size",
        statistics.median(tui_peaks),
        RSS_GOAL,
        spread=spread_of(tui_peaks),
    )
    record(
        "50 MiB body: ctrl+t to fully formatted",
        statistics.median(tui_times),
        SECONDS_GOAL,
        spread=spread_of(tui_times),
        unit="s",
    )
    record(
        "50 MiB body: format time vs json.loads + dumps(indent=2)",
        statistics.median(ratios),
        spread=spread_of(ratios),
    )
    record(
        "50 MiB body: workbench CPU time vs json.loads + dumps(indent=2)",
        statistics.median(cpu_ratios),
        spread=spread_of(cpu_ratios),
    )


if __name__ == "__main__":
    sys.exit(main())
