"""Throughput of `runbench serve` under an outside load, against a bare Starlette endpoint.

The load comes from `wrk` (a C client in its own process, so it is not the bottleneck:
its CPU use is printed), with signed POSTs at concurrency 50, each with its own delivery
id. Each server runs in its own process on the same stack (uvicorn, h11): the floor is
a bare Starlette app that answers 202 and does nothing else; runbench is the real
`runbench serve` command (auth, parsing, the journal, access log, and the runs
themselves, executed by its workers while the load goes on). Rounds alternate between
the two servers; the medians and spreads are printed, with two ratios to the floor:

* accepted/s: deliveries answered 202 while the load lasts (goal >= 0.6);
* completed/s: runs finished, counted in the journal, from the start of the load until
  the last of them ended (a backlog must drain at the rate the workers run).

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
from results import record, skipped

SECRET = "bench-secret"
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


def cpu_of(pid: int) -> float:
    """User + system seconds of a process (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


def run_rounds(folder: Path, args: argparse.Namespace) -> int:
    ws = folder / "ws.toml"
    ws.write_text(WORKSPACE)
    state = folder / "state"
    bare_port, serve_port = free_port(), free_port()
    quiet: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    bare = subprocess.Popen([sys.executable, __file__, "--bare", str(bare_port)], **quiet)
    served = subprocess.Popen(
        [sys.executable, "-m", "runbench", "serve", str(ws), "--port", str(serve_port)]
        + ["--state-dir", str(state), "--workers", str(args.workers), "--queue-size", "10000000"],
        **quiet,
    )
    try:
        bare_url, serve_url = f"http://127.0.0.1:{bare_port}", f"http://127.0.0.1:{serve_port}"
        wait_up(bare_url, bare)
        wait_up(serve_url, served)
        per_round = int(60_000 * args.seconds / 5)
        results: dict[str, list[float]] = {k: [] for k in ("bare", "accepted", "completed")}
        cpu: dict[str, list[float]] = {"bare": [], "runbench": [], "client": []}
        per_request: dict[str, list[float]] = {"bare": [], "runbench": []}
        for n in range(args.rounds + 1):  # round 0 warms both up and is not counted
            script = folder / f"round{n}.lua"
            lua_script(script, per_round, n * per_round * 10)
            bare_cpu = cpu_of(bare.pid)
            floor = load(bare_url, script, args.seconds, args.concurrency)
            bare_cpu = (cpu_of(bare.pid) - bare_cpu) / args.seconds
            since = time.time()
            serve_start = serve_cpu = cpu_of(served.pid)
            got = load(serve_url, script, args.seconds, args.concurrency)
            serve_cpu = (cpu_of(served.pid) - serve_cpu) / args.seconds
            if got["bad"]:
                raise SystemExit(f"runbench answered {got['bad']:.0f} requests with non-2xx")
            completed = drain(state / "runs.db", since, int(got["requests"]))
            serve_total = cpu_of(served.pid) - serve_start
            if n == 0:
                continue
            per_request["bare"].append(bare_cpu * args.seconds / floor["requests"])
            per_request["runbench"].append(serve_total / got["requests"])
            results["bare"].append(floor["rate"])
            results["accepted"].append(got["rate"])
            results["completed"].append(completed)
            cpu["bare"].append(bare_cpu)
            cpu["runbench"].append(serve_cpu)
            cpu["client"].append(max(floor["client_cpu"], got["client_cpu"]))
            print(
                f"round {n}: bare {floor['rate']:.0f}/s, runbench accepted {got['rate']:.0f}/s,"
                f" completed {completed:.0f}/s",
                flush=True,
            )
    finally:
        for process in (bare, served):
            process.terminate()
            process.wait(20)
    report(results, cpu, args)
    bare_us = statistics.median(per_request["bare"]) * 1e6
    serve_us = statistics.median(per_request["runbench"]) * 1e6
    print(
        f"  server CPU per delivery (medians): bare {bare_us:.0f} us, runbench {serve_us:.0f} us"
        f" with its run; ratio {bare_us / serve_us:.2f} (what accepted/s would be with a"
        " core each and no other load)"
    )
    ratio = statistics.median(
        a / b for a, b in zip(results["accepted"], results["bare"], strict=True)
    )
    return 0 if ratio >= 0.6 else 1


def report(
    results: dict[str, list[float]], cpu: dict[str, list[float]], args: argparse.Namespace
) -> None:
    floor = results["bare"]
    print(
        f"signed POSTs from wrk, concurrency {args.concurrency}, {args.rounds} rounds of "
        f"{args.seconds:g} s, interleaved (requests/s)"
    )
    print(f"  bare Starlette 202      {spread(floor)}   ratio 1.00 (floor)")
    for label, key, goal in (
        ("runbench accepted", "accepted", "  (goal >= 0.6)"),
        ("runbench completed", "completed", ""),
    ):
        ratios = [a / b for a, b in zip(results[key], floor, strict=True)]
        goal_of = 0.6 if key == "accepted" else None
        record(
            f"{label} vs bare Starlette",
            statistics.median(ratios),
            goal_of,
            higher_is_better=True,
            spread=(min(ratios), max(ratios)),
        )
        print(
            f"  {label:<22}  {spread(results[key])}   ratio {statistics.median(ratios):.2f}"
            f" (min {min(ratios):.2f}, max {max(ratios):.2f}){goal}"
        )
    print(
        f"  CPU (share of one core, medians): wrk {statistics.median(cpu['client']):.2f},"
        f" bare server {statistics.median(cpu['bare']):.2f},"
        f" runbench server {statistics.median(cpu['runbench']):.2f}"
        f"; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
