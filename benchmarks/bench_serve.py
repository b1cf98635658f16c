"""Throughput of `runbench serve` under an outside load, against a bare Starlette endpoint.

The load comes from `wrk` (a C client in its own process, so it is not the bottleneck:
its CPU use is printed), with signed POSTs at concurrency 50, each with its own delivery
id. Each server runs in its own process on the same stack (uvicorn, h11): the floor is
a bare Starlette app that answers 202 and does nothing else; runbench is the real
`runbench serve` command as a user deploys it (auth, parsing, the journal, access log;
the runs executed by its worker process while the load goes on), and as a peer the same
with ``--no-worker-process`` (runs on the server's own event loop). Rounds alternate
between the servers; the medians and spreads are printed, with ratios to the floor:

* accepted/s: deliveries answered 202 while the load lasts (goal >= 0.6);
* completed/s: runs finished, counted in the journal, from the start of the load until
  the last of them ended (a backlog must drain at the rate the workers run);
* server CPU per delivery (bare / runbench, each round against its own): what accepted/s
  would be with a core for each server, the ratio to trust on a loaded machine (goal
  >= 0.7; `uptime` is printed before and after).

A goal not met is reported (the summary table says NO), not an exit status: the exit
status is 1 only when something failed (a server did not start, answered non-2xx, or
its runs did not finish).

wrk is in Debian (`apt-get install -y wrk`); without it the benchmark says so and
exits 0.

    python benchmarks/bench_serve.py [--rounds 5] [--seconds 5] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import serve_lock_waits
from results import record, skipped

SECRET = "bench-secret"
CPU_GOAL = 0.7
"""bare / runbench server CPU per delivery: accepted/s >= 0.6 of bare, with a margin."""
WORKSPACE = """
name = "bench"
[runbooks.hook]
start = "check"
public = true
[runbooks.hook.endpoint]
auth = "signature"
secret = "bench-secret"
header = "X-Hub-Signature-256"
prefix = "sha256="
[runbooks.hook.inputs]
n = { type = "int" }
[runbooks.hook.steps.check]
kind = "condition"
rules = [ { left = "<<n>>", op = "greater_or_equal", right = 0 } ]
on_true = "done"
on_false = "done"
[runbooks.hook.steps.done]
kind = "end"
message = "got <<n>>"
"""


def bare_server(port: int) -> None:
    """``--bare PORT``: the floor, a Starlette app that answers 202, on the same stack."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from runbench.webserver import bind_socket, make_server

    async def accept(request: Request) -> Response:
        await request.body()
        return JSONResponse({"run_id": "x"}, status_code=202)

    app = Starlette(routes=[Route("/runbooks/{runbook_id}", accept, methods=["POST"])])
    make_server(app, lifespan="off").run(sockets=[bind_socket("127.0.0.1", port)])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server at {url} exited with {process.returncode}")
        try:
            httpx.post(f"{url}/runbooks/hook", content=b"{}", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise SystemExit(f"the server at {url} did not start")


def lua_script(path: Path, count: int, offset: int) -> None:
    """A wrk script cycling through ``count`` signed requests with distinct delivery ids
    (formatted in ``init``, once wrk knows the host)."""
    lines = ["local raw = {}"]
    for i in range(count):
        body = json.dumps({"n": offset + i})
        sig = hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()
        lines.append(f'raw[{i + 1}] = {{{body!r}, "sha256={sig}", "d-{offset + i}"}}')
    lines += [
        "local reqs = {}",
        "init = function(args)",
        "  for i, r in ipairs(raw) do",
        '    reqs[i] = wrk.format("POST", "/runbooks/hook", {["Host"] = "127.0.0.1",',
        '      ["Content-Type"] = "application/json", ["X-Hub-Signature-256"] = r[2],',
        '      ["X-Delivery-Id"] = r[3]}, r[1])',
        "  end",
        "end",
        "local i = 0",
        "request = function()",
        f"  i = i % {count} + 1",
        "  return reqs[i]",
        "end",
    ]
    path.write_text("\n".join(lines))


def cpu_of(pid: int, stat: str = "") -> float:
    """User + system seconds of a process (Linux /proc), or of what ``stat`` names."""
    try:
        fields = Path(stat or f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loop_cpu(pid: int) -> float:
    """CPU seconds of a server's main thread, its event loop (the rest of the process is
    the journal's thread and the log's)."""
    return cpu_of(pid, f"/proc/{pid}/task/{pid}/stat")


def children_of(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its children (`serve` and its worker process)."""
    return cpu_of(pid) + sum(tree_cpu(child) for child in children_of(pid))


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return f"load average {os.getloadavg()}"


def load(url: str, script: Path, seconds: float, concurrency: int) -> dict[str, float]:
    """Run wrk; requests/s, non-2xx count and the client's CPU share of one core."""
    before = os.times()
    started = time.perf_counter()
    done = subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds:g}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    after = os.times()
    client_cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    total = re.search(r"(\d+) requests in ([\d.]+)(m?s)", done.stdout)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    if total is None:
        raise SystemExit(f"wrk said: {done.stdout}{done.stderr}")
    took = float(total.group(2)) / (1000 if total.group(3) == "ms" else 1)
    return {
        "requests": float(total.group(1)),
        "rate": float(total.group(1)) / took,
        "bad": float(bad.group(1)) if bad else 0.0,
        "client_cpu": client_cpu / wall,
    }


def finished_runs(db: Path, since: float) -> tuple[int, int, float]:
    """(runs created since, of those finished, the last finish time)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        row = conn.execute(
            "SELECT count(*), sum(status IN ('success', 'failure')), max(finished)"
            " FROM runs WHERE created >= ?",
            (since,),
        ).fetchone()
    return int(row[0]), int(row[1] or 0), float(row[2] or 0.0)


def drain(db: Path, since: float, expected: int, timeout: float = 300.0) -> float:
    """Wait until every run of the round ended; completed runs per second."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        created, done, last = finished_runs(db, since)
        if created >= expected and done == created:
            return done / max(1e-9, last - since)
        time.sleep(0.2)
    raise SystemExit(f"runs did not finish: {finished_runs(db, since)} of {expected}")


def spread(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):8.0f}  (min {min(values):.0f}, max {max(values):.0f})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        bare_server(args.bare)
        return 0
    if shutil.which("wrk") is None:
        print("bench_serve: wrk is not installed (Debian: apt-get install -y wrk); skipped")
        skipped("wrk is not installed (apt-get install -y wrk)")
        return 0
    with tempfile.TemporaryDirectory() as temp:
        return run_rounds(Path(temp), args)


SERVERS = {
    "runbench": [],  # what a user deploys: runs in a worker process (the default)
    "one process": ["--no-worker-process"],  # runs on the server's own event loop
}


Server = tuple[subprocess.Popen[bytes], str]  # the process and its URL


def start_servers(folder: Path, args: argparse.Namespace) -> dict[str, Server]:
    ws = folder / "ws.toml"
    ws.write_text(WORKSPACE)
    quiet: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    servers: dict[str, Server] = {}
    port = free_port()
    bare = subprocess.Popen([sys.executable, __file__, "--bare", str(port)], **quiet)
    servers["bare"] = (bare, f"http://127.0.0.1:{port}")
    for name, extra in SERVERS.items():
        port = free_port()
        command = [sys.executable, "-m", "runbench", "serve", str(ws), "--port", str(port)]
        command += ["--state-dir", str(folder / name.replace(" ", "-"))]
        command += ["--workers", str(args.workers), "--queue-size", "10000000", *extra]
        servers[name] = (subprocess.Popen(command, **quiet), f"http://127.0.0.1:{port}")
    for process, url in servers.values():
        wait_up(url, process)
    return servers


def run_rounds(folder: Path, args: argparse.Namespace) -> int:
    print(f"before: {uptime()}", flush=True)
    servers = start_servers(folder, args)
    per_round = int(60_000 * args.seconds / 5)
    rate: dict[str, list[float]] = {name: [] for name in servers}
    completed: dict[str, list[float]] = {name: [] for name in SERVERS}
    intake_us: dict[str, list[float]] = {name: [] for name in servers}  # server, under load
    loop_us: dict[str, list[float]] = {name: [] for name in servers}  # its event loop thread
    total_us: dict[str, list[float]] = {name: [] for name in SERVERS}  # with the runs
    share: dict[str, list[float]] = {name: [] for name in [*servers, "wrk"]}
    try:
        for n in range(args.rounds + 1):  # round 0 warms all up and is not counted
            script = folder / f"round{n}.lua"
            lua_script(script, per_round, n * per_round * 10)
            seen: dict[str, tuple[dict[str, float], float, float]] = {}
            looped: dict[str, float] = {}
            for name, (process, url) in servers.items():
                since, before = time.time(), tree_cpu(process.pid)
                own, loop = cpu_of(process.pid), loop_cpu(process.pid)
                got = load(url, script, args.seconds, args.concurrency)
                if got["bad"]:
                    raise SystemExit(f"{name} answered {got['bad']:.0f} requests with non-2xx")
                intake = cpu_of(process.pid) - own
                looped[name] = (loop_cpu(process.pid) - loop) / got["requests"] * 1e6
                done = 0.0
                if name != "bare":
                    db = folder / name.replace(" ", "-") / "runs.db"
                    done = drain(db, since, int(got["requests"]))
                seen[name] = (got, intake, tree_cpu(process.pid) - before)
                if name != "bare" and n > 0:
                    completed[name].append(done)
            if n == 0:
                continue
            for name, (got, intake, total) in seen.items():
                rate[name].append(got["rate"])
                intake_us[name].append(intake / got["requests"] * 1e6)
                loop_us[name].append(looped[name])
                share[name].append(intake / args.seconds)
                share["wrk"].append(got["client_cpu"])
                if name != "bare":
                    total_us[name].append(total / got["requests"] * 1e6)
            print(
                f"round {n}: "
                + ", ".join(f"{name} {values[-1]:.0f}/s" for name, values in rate.items())
                + f"; completed {', '.join(f'{k} {v[-1]:.0f}/s' for k, v in completed.items())}",
                flush=True,
            )
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(30)
    report(rate, completed, intake_us, total_us, share, args)
    print_threads(intake_us, loop_us)
    lock_waits(folder, args)
    print(f"after: {uptime()}")
    return 0  # a goal not met is reported (summary table), not an error


def print_threads(intake_us: dict[str, list[float]], loop_us: dict[str, list[float]]) -> None:
    """Where a server's CPU per delivery goes: its event loop, and its other threads (for
    runbench the journal's, which writes and commits every delivery, and the log's)."""
    print("  server CPU per delivery by thread, medians:")
    for name in intake_us:
        loop = statistics.median(loop_us[name])
        rest = statistics.median(a - b for a, b in zip(intake_us[name], loop_us[name], strict=True))
        print(f"    {name:<12} event loop {loop:5.0f} us, other threads {rest:5.0f} us")


def lock_waits(folder: Path, args: argparse.Namespace) -> None:
    """The priority-inversion check (serve_lock_waits): the intake's journal thread's
    waits for SQLite's write lock, with the worker process and without it."""
    script = folder / "waits.lua"
    lua_script(script, int(60_000 * args.seconds / 5), 10**9)
    found = serve_lock_waits.measure(
        folder,
        folder / "ws.toml",
        lambda url, seconds: load(url, script, seconds, args.concurrency),
        wait_up,
        free_port,
        args.seconds,
    )
    shares = serve_lock_waits.report(found)
    for mode, value in shares.items():
        record(f"intake journal thread waiting for the write lock, {mode}", 100 * value, unit="%")


def ratios(values: list[float], floor: list[float]) -> list[float]:
    return [a / b for a, b in zip(values, floor, strict=True)]


def line(label: str, values: list[float], floor: list[float], note: str = "") -> list[float]:
    found = ratios(values, floor)
    print(
        f"  {label:<30}  {spread(values)}   ratio {statistics.median(found):.2f}"
        f" (min {min(found):.2f}, max {max(found):.2f}){note}"
    )
    return found


def report(
    rate: dict[str, list[float]],
    completed: dict[str, list[float]],
    intake_us: dict[str, list[float]],
    total_us: dict[str, list[float]],
    share: dict[str, list[float]],
    args: argparse.Namespace,
) -> None:
    floor = rate["bare"]
    print(
        f"signed POSTs from wrk, concurrency {args.concurrency}, {args.rounds} rounds of "
        f"{args.seconds:g} s, interleaved (requests/s; ratios to the bare endpoint, same round)"
    )
    print(f"  {'bare Starlette 202':<30}  {spread(floor)}   ratio 1.00 (floor)")
    found = line("runbench accepted", rate["runbench"], floor, "  (goal >= 0.6)")
    record(
        "runbench accepted vs bare Starlette",
        statistics.median(found),
        0.6,
        higher_is_better=True,
        spread=(min(found), max(found)),
        note="runs in a worker process (default)",
    )
    found = line("runbench completed", completed["runbench"], floor)
    record(
        "runbench completed vs bare Starlette",
        statistics.median(found),
        higher_is_better=True,
        spread=(min(found), max(found)),
    )
    found = line("one process: accepted", rate["one process"], floor, "  (--no-worker-process)")
    record(
        "accepted, runs in the server process, vs bare",
        statistics.median(found),
        higher_is_better=True,
        spread=(min(found), max(found)),
    )
    line("one process: completed", completed["one process"], floor)
    bare_us = statistics.median(intake_us["bare"])
    print("  server CPU per delivery, medians (bare / runbench: the CPU-time ratio):")
    for name in SERVERS:
        intake, total = statistics.median(intake_us[name]), statistics.median(total_us[name])
        print(
            f"    {name:<12} server {intake:5.0f} us under load (ratio {bare_us / intake:.2f}),"
            f" {total:5.0f} us with its run, worker included (ratio {bare_us / total:.2f})"
        )
    print(f"    bare         server {bare_us:5.0f} us")
    cpu_ratio = ratios(intake_us["bare"], intake_us["runbench"])  # each round against its own
    print(
        f"  intake CPU per delivery, bare / runbench, per round: median "
        f"{statistics.median(cpu_ratio):.2f} (min {min(cpu_ratio):.2f}, max {max(cpu_ratio):.2f})"
        f"  (goal >= {CPU_GOAL}: accepted/s on a quiet machine follows it)"
    )
    record(
        "runbench intake CPU per delivery: bare / runbench",
        statistics.median(cpu_ratio),
        CPU_GOAL,
        higher_is_better=True,
        spread=(min(cpu_ratio), max(cpu_ratio)),
    )
    print(
        "  CPU under load (share of one core, medians): "
        + ", ".join(f"{name} {statistics.median(values):.2f}" for name, values in share.items())
        + f"; {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    raise SystemExit(main())
