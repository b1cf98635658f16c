"""bench_serve's check of a priority inversion: how long `serve`'s journal thread waits.

Every delivery is committed before its 202, on the journal's thread, which needs SQLite's
write lock. The worker process (niced, so the intake gets a core first) writes the same
journal: when it is descheduled holding the lock, the intake's thread waits for it, and
the deliveries of that batch with it. SQLite's busy handler then sleeps 1, 2, 5, 10 ms...
So this runs `runbench serve` with its journal thread's BEGIN IMMEDIATE and COMMIT timed,
once with the worker process and once without (`--no-worker-process`: nobody else holds
the lock), under the same wrk load, and prints how much of the load's time each waited.
A commit over a millisecond is most often one that checkpointed the WAL (an fsync). Both
times include taking the GIL back after SQLite's call (the event loop may hold it), which
is why the mode without a worker process, whose runs share the loop, waits too.

Run as a script it is that server (``python serve_lock_waits.py serve ...``, the timings
written as JSON to ``$RUNBENCH_LOCK_WAITS`` on SIGUSR1); bench_serve calls :func:`measure`.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ENV = "RUNBENCH_LOCK_WAITS"
MODES = {"worker process": [], "no worker process": ["--no-worker-process"]}


def timed_server(argv: list[str]) -> int:
    """`runbench serve` (``argv``) with the journal's begin and commit timed."""
    from runbench.cli.main import main
    from runbench.core.journal import SqliteBackend

    took: dict[str, list[float]] = {"begin": [], "commit": []}

    def timing(name: str, method: Callable[..., None]) -> Callable[..., None]:
        def timed(*args: Any, **kwargs: Any) -> None:
            started = time.perf_counter()
            method(*args, **kwargs)
            took[name].append(time.perf_counter() - started)

        return timed

    SqliteBackend.begin = timing("begin", SqliteBackend.begin)  # type: ignore[method-assign]
    SqliteBackend.commit = timing("commit", SqliteBackend.commit)  # type: ignore[method-assign]

    def dump(*_: object) -> None:
        Path(os.environ[ENV]).write_text(json.dumps(took))

    signal.signal(signal.SIGUSR1, dump)
    return main(argv)


def summary(took: dict[str, list[float]], seconds: float) -> dict[str, float]:
    """Share of the load's time spent in each, and the waits over 1 ms."""
    found: dict[str, float] = {"batches": float(len(took["begin"]))}
    for name, values in took.items():
        slow = [value for value in values if value >= 1e-3]
        found[f"{name} share"] = sum(values) / seconds
        found[f"{name} slow"] = float(len(slow))
        found[f"{name} slow share"] = sum(slow) / seconds
        found[f"{name} median us"] = statistics.median(values) * 1e6 if values else 0.0
    return found


def measure(
    folder: Path,
    workspace: Path,
    load: Callable[[str, float], dict[str, float]],
    wait_up: Callable[[str, subprocess.Popen[bytes]], None],
    port: Callable[[], int],
    seconds: float,
    rounds: int = 2,
) -> dict[str, list[dict[str, float]]]:
    """``rounds`` of wrk on each mode in turn: what the journal thread waited, per round."""
    quiet: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    found: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    for n in range(rounds):
        for mode, extra in MODES.items():
            out = folder / f"waits-{n}-{len(extra)}.json"
            url, server = f"http://127.0.0.1:{port()}", [sys.executable, __file__, "serve"]
            command = [*server, str(workspace), "--port", url.rpartition(":")[2]]
            command += ["--state-dir", str(folder / f"waits-{n}-{len(extra)}")]
            command += ["--workers", "4", "--queue-size", "10000000", *extra]
            process = subprocess.Popen(command, env={**os.environ, ENV: str(out)}, **quiet)
            try:
                wait_up(url, process)
                started = time.perf_counter()
                load(url, seconds)
                took = time.perf_counter() - started
                process.send_signal(signal.SIGUSR1)
                deadline = time.monotonic() + 10
                while not out.exists() and time.monotonic() < deadline:
                    time.sleep(0.05)
                found[mode].append(summary(json.loads(out.read_text()), took))
            finally:
                process.terminate()
                process.wait(30)
    return found


def report(found: dict[str, list[dict[str, float]]]) -> dict[str, float]:
    """Print the medians per mode; the share of time waiting for the lock, per mode."""
    print("  the intake's journal thread under the same load (medians of the rounds):")
    shares: dict[str, float] = {}
    for mode, rounds in found.items():

        def median(key: str, rounds: list[dict[str, float]] = rounds) -> float:
            return statistics.median(entry[key] for entry in rounds)

        shares[mode] = median("begin share")
        print(
            f"    {mode:<18} waiting for the write lock {100 * median('begin share'):4.1f}%"
            f" of the time ({median('begin slow'):.0f} waits over 1 ms,"
            f" {100 * median('begin slow share'):.1f}%), committing"
            f" {100 * median('commit share'):4.1f}% ({median('commit slow'):.0f} commits"
            f" over 1 ms, {100 * median('commit slow share'):.1f}%), {median('batches'):.0f}"
            " batches"
        )
    return shares


if __name__ == "__main__":
    raise SystemExit(timed_server(sys.argv[1:]))
