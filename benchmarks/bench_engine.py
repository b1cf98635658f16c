"""Engine overhead: a 20-step method runbook vs the same 20 requests with bare httpx, the
same from the command line (process to process), and 1,000 concurrent runs of a 3-step
runbook vs 1,000 concurrent bare-httpx requests.

The 20-step comparison talks to a local uvicorn server (its own process, so client and
server do not share a GIL); the floor (bare httpx, a fresh client per 20 requests, as a
run has, on a TLS context built once, as the engine's are) is measured in the same
process, interleaved with the engine rounds. The engine runs with its journal on (SQLite
in a temp dir, each step committed before the next starts) and off. Goal: 20-step ratio
<= 1.08 with the journal on.

Process to process: `runbench run WS twenty` (journal on, the installed script) against
`python floor.py`, an async httpx script making the same 20 calls, each a new process,
interleaved; runbench's sources are compiled first (an editable install never caches
bytecode where PYTHONDONTWRITEBYTECODE is set). Goal: <= 1.15. CPU time of the child
is printed too: on a loaded machine it varies less than the wall clock.

    python benchmarks/bench_engine.py [--rounds 15] [--runs 1000] [--processes 9]
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import gc
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import uvicorn
from results import record, spread_of
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from runbench.core.engine import Engine, Journal
from runbench.core.workspace import load_workspace

ROOT = Path(__file__).resolve().parents[1]
FLOOR_SCRIPT = """
import asyncio, sys, httpx

async def main(url):
    async with httpx.AsyncClient() as client:
        for n in range(1, 21):
            (await client.get(f"{url}/item/{n}")).json()

asyncio.run(main(sys.argv[1]))
"""


async def item(request: Request) -> JSONResponse:
    n = int(request.path_params["n"])
    return JSONResponse({"id": n, "value": n * 2, "name": f"item {n}"})


def app() -> Starlette:
    return Starlette(routes=[Route("/item/{n}", item)])


def serve_forever(port: int) -> None:
    """Server mode (``--serve PORT``): the benchmark runs the server in its own process,
    so client and server do not fight over one GIL (that alone costs ms per request)."""
    uvicorn.run(
        app(),
        host="127.0.0.1",
        port=port,
        log_level="error",
        access_log=False,
        lifespan="off",
        backlog=4096,
    )


def serve() -> tuple[str, subprocess.Popen[bytes]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/item/1", timeout=1).raise_for_status()
            return url, process
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the benchmark server did not start")


def write_workspace(folder: Path, url: str) -> Path:
    steps = []
    for n in range(1, 21):
        after = f"s{n + 1}" if n < 20 else "done"
        steps.append(
            f'[runbooks.twenty.steps.s{n}]\nkind = "method"\nmethod = "api.get"\n'
            f'args = {{ n = {n} }}\non_success = "{after}"\non_failure = "bad"\n'
        )
    text = f"""
[variables]
base = "{url}"
[integrations.api]
base_url = "<<base>>"
[integrations.api.methods.get]
path = "/item/<<n>>"
outputs = {{ Value = "response^value", Name = "response^name!" }}

[runbooks.twenty]
start = "s1"
{chr(10).join(steps)}
[runbooks.twenty.steps.done]
kind = "end"
message = "last <<Value>>"
[runbooks.twenty.steps.bad]
kind = "end"
result = "failure"

[runbooks.three]
start = "a"
[runbooks.three.inputs]
n = {{ type = "int", default = 1 }}
[runbooks.three.steps.a]
kind = "method"
method = "api.get"
args = {{ n = "<<n>>" }}
on_success = "b"
[runbooks.three.steps.b]
kind = "condition"
rules = [ {{ left = "<<Value>>", op = "greater_or_equal", right = 0 }} ]
on_true = "done"
on_false = "done"
[runbooks.three.steps.done]
kind = "end"
message = "<<Name>>"
"""
    path = folder / "bench.toml"
    path.write_text(text)
    return path


async def bare_twenty(url: str, tls: object = True) -> None:
    async with httpx.AsyncClient(verify=tls) as client:  # type: ignore[arg-type]
        for n in range(1, 21):
            response = await client.get(f"{url}/item/{n}")
            response.json()


async def timed(action: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await action()
    return time.perf_counter() - started


async def timed_cpu(action: Callable[[], Awaitable[object]], cpu: list[float]) -> float:
    """Wall seconds of ``action``; its CPU seconds (this process: every thread, the
    journal's included; not the server's) are appended to ``cpu``."""
    used = time.process_time()
    took = await timed(action)
    cpu.append(time.process_time() - used)
    return took


async def twenty_steps(url: str, workspace_path: Path, state: Path, rounds: int) -> None:
    workspace = load_workspace(workspace_path)
    journal = Journal(state / "runs.db")
    with_journal = Engine(workspace, journal=journal, environ={})
    without = Engine(workspace, environ={})

    async def run_on(engine: Engine) -> None:
        result = await engine.run("twenty")
        assert result.status == "success", result.error

    tls = httpx.create_ssl_context()  # built once, as the engine builds its own once
    samples: dict[str, list[float]] = {"bare": [], "journal": [], "no journal": []}
    cpu: dict[str, list[float]] = {name: [] for name in samples}
    for _ in range(3):  # warm up connections, caches, the JIT-less interpreter's caches
        await bare_twenty(url, tls)
        await run_on(with_journal)
        await run_on(without)
    for _ in range(rounds):  # interleaved, so drift hits all three alike
        samples["bare"].append(await timed_cpu(lambda: bare_twenty(url, tls), cpu["bare"]))
        samples["journal"].append(await timed_cpu(lambda: run_on(with_journal), cpu["journal"]))
        samples["no journal"].append(await timed_cpu(lambda: run_on(without), cpu["no journal"]))
    floor = statistics.median(samples["bare"])
    print(f"20-step runbook vs 20 bare httpx requests ({rounds} rounds, medians; spread per round)")
    print(f"  bare httpx            {floor * 1000:8.2f} ms   ratio 1.00 (floor)")
    for label in ("journal", "no journal"):
        median = statistics.median(samples[label])
        per_round = [a / b for a, b in zip(samples[label], samples["bare"], strict=True)]
        low, high = spread_of(per_round)
        goal = "  (goal <= 1.08)" if label == "journal" else ""
        print(
            f"  engine, {label:<12}  {median * 1000:8.2f} ms   ratio {median / floor:.2f}"
            f" ({low:.2f}..{high:.2f}){goal}"
        )
        record(
            f"20-step runbook, journal {'on' if label == 'journal' else 'off'}, vs bare httpx",
            median / floor,
            1.08 if label == "journal" else None,
            spread=(low, high),
        )
    cpu_ratios = [a / b for a, b in zip(cpu["journal"], cpu["bare"], strict=True)]
    cpu_ratio = statistics.median(cpu["journal"]) / statistics.median(cpu["bare"])
    print(
        f"  client CPU (this process, journal thread included; the server's excluded): bare"
        f" {statistics.median(cpu['bare']) * 1000:.1f} ms, engine with journal ratio"
        f" {cpu_ratio:.2f} ({min(cpu_ratios):.2f}..{max(cpu_ratios):.2f})"
    )
    record(
        "20-step runbook, journal on, client CPU vs bare httpx",
        cpu_ratio,
        spread=spread_of(cpu_ratios),
    )
    journal.close()


async def concurrent_runs(workspace_path: Path, state: Path, runs: int) -> None:
    """In-process ASGI transport: this measures the engine, not the machine's loopback
    (httpcore's pool also slows down sharply with ~1,000 queued requests on one pool)."""
    workspace = load_workspace(workspace_path)
    shared = httpx.ASGITransport(app=app())
    url = str(workspace.variables["base"])
    journal = Journal(state / "concurrent.db")
    engine = Engine(workspace, journal=journal, environ={}, transport=shared)

    async def bare() -> None:
        async with httpx.AsyncClient(transport=shared, timeout=60) as client:

            async def one(n: int) -> None:
                (await client.get(f"{url}/item/{n}")).json()

            await asyncio.gather(*(one(n) for n in range(runs)))

    async def engine_runs() -> None:
        handles = [engine.start("three", inputs={"n": n}) for n in range(runs)]
        results = await asyncio.gather(*(h.result() for h in handles))
        failed = [r for r in results if r.status != "success"]
        assert not failed, failed[0].error

    await bare()
    await engine_runs()  # warm up
    gc.collect()
    floor = min([await timed(bare) for _ in range(3)])
    took = min([await timed(engine_runs) for _ in range(3)])
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    await engine_runs()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"{runs} concurrent runs of a 3-step runbook (method, condition, end; journal on;"
        " in-process ASGI app)"
    )
    print(
        f"  bare httpx, {runs} concurrent GETs  {floor * 1000:8.1f} ms  "
        f"{runs / floor:8.0f} req/s (floor)"
    )
    print(
        f"  engine, {runs} concurrent runs      {took * 1000:8.1f} ms  "
        f"{runs / took:8.0f} runs/s   ratio {took / floor:.2f}"
    )
    record(f"{runs} concurrent 3-step runs vs {runs} bare GETs", took / floor)
    print(
        f"  peak traced memory during {runs} runs: {peak / 1e6:.1f} MB "
        f"({peak / runs / 1e3:.1f} kB per run); max RSS {rss_after / 1024:.0f} MB "
        f"(+{(rss_after - rss_before) / 1024:.1f} MB)"
    )
    journal.close()


def child_times(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv[0]} failed with {status}")
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def process_to_process(url: str, workspace: Path, rounds: int) -> None:
    compileall.compile_dir(ROOT / "src" / "runbench", quiet=1)
    floor_script = workspace.parent / "floor.py"
    floor_script.write_text(FLOOR_SCRIPT)
    script = str(Path(sys.executable).parent / "runbench")
    cases = {
        "floor": [sys.executable, str(floor_script), url],
        "run": [
            script,
            "run",
            str(workspace),
            "twenty",
            "--state-dir",
            str(workspace.parent / "cli"),
        ],
    }
    for argv in cases.values():  # warm the file cache
        child_times(argv)
    wall: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    for round_ in range(rounds):  # interleaved, alternating who goes first
        for name in sorted(cases, reverse=bool(round_ % 2)):
            seconds, used = child_times(cases[name])
            wall[name].append(seconds)
            cpu[name].append(used)
    ratios = [a / b for a, b in zip(wall["run"], wall["floor"], strict=True)]
    cpu_ratios = [a / b for a, b in zip(cpu["run"], cpu["floor"], strict=True)]
    floor, floor_cpu = statistics.median(wall["floor"]), statistics.median(cpu["floor"])
    ratio = statistics.median(wall["run"]) / floor
    cpu_ratio = statistics.median(cpu["run"]) / floor_cpu
    print(f"`runbench run` (20 steps, journal on) vs an async httpx script, {rounds} rounds")
    print(f"  httpx script          {floor * 1000:8.1f} ms  (CPU {floor_cpu * 1000:.1f} ms) floor")
    print(
        f"  runbench run          {statistics.median(wall['run']) * 1000:8.1f} ms   "
        f"ratio {ratio:.2f} ({min(ratios):.2f}..{max(ratios):.2f}) (goal <= 1.15);"
        f" CPU ratio {cpu_ratio:.2f} ({min(cpu_ratios):.2f}..{max(cpu_ratios):.2f})"
    )
    record("`runbench run` 20 steps vs httpx script", ratio, 1.15, spread=spread_of(ratios))
    record("`runbench run` vs httpx script, CPU time", cpu_ratio, spread=spread_of(cpu_ratios))


async def main(rounds: int, runs: int, processes: int) -> None:
    url, server = serve()
    try:
        with tempfile.TemporaryDirectory() as temp:
            folder = Path(temp)
            path = write_workspace(folder, url)
            await twenty_steps(url, path, folder, rounds)
            process_to_process(url, path, processes)
            await concurrent_runs(path, folder, runs)
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=9, help="rounds of the CLI comparison")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve:
        serve_forever(options.serve)
        sys.exit(0)
    asyncio.run(main(options.rounds, options.runs, max(5, options.processes)))
    sys.exit(0)
