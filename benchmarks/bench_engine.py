"""Engine overhead: a 20-step method runbook vs the same 20 requests with bare httpx, the
same from the command line (process to process), and 1,000 concurrent runs of a 3-step
runbook vs 1,000 concurrent bare-httpx requests.

The 20-step comparison talks to a local uvicorn server (its own process, so client and
server do not share a GIL); the floor (bare httpx, a fresh client per 20 requests, as a
run has, on a TLS context built once, as the engine's are) is measured in the same
process, interleaved with the engine rounds (see ``twenty_steps`` for how a round is made
fair: rotating order, a collection before each case, a fresh journal file per round, opened as
each `runbench run` does). The engine runs with its journal on (SQLite in a temp dir, each
step committed before the next starts; a lone run commits on its own thread, see
``core/journal/_thread``) and off; journal on / off in the same round is printed too
(the journal's own cost), and a floor for that cost in the same rounds: bare httpx with
the journal's raw SQLite statements between requests (``journal_floor``: what any
journal on SQLite pays per step, with the caches the requests leave). Ratios are medians
of per-round ratios. Goal: 20-step ratio <= 1.08, journal on and off.

Process to process: `runbench run WS twenty` (journal on, the installed script) against
`python floor.py`, an async httpx script making the same 20 calls, each a new process,
interleaved; runbench's sources are compiled first (an editable install never caches
bytecode where PYTHONDONTWRITEBYTECODE is set). Goal: <= 1.15. CPU time of the child
is printed too: on a loaded machine it varies less than the wall clock.

    python benchmarks/bench_engine.py [--rounds 30] [--runs 1000] [--processes 9]
        [--only twenty|processes|concurrent]
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
from journal_floor import JournalFloor
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


def server_cpu(server: subprocess.Popen[bytes]) -> float:
    """CPU seconds the server process has used so far (Linux; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{server.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_delay(pid: int | str = "self") -> float:
    """Seconds the threads of process ``pid`` have waited on a run queue, ready to run but
    without a core (the kernel's schedstat; 0 where there is none): on two shared cores
    this, not runbench, is most of a step's wall at a high load."""
    total = 0
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return 0.0
    for task in tasks:
        try:
            total += int((task / "schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue  # a thread that ended meanwhile
    return total / 1e9


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (5 min {five:.1f}) on {os.cpu_count()} cores"


def per_round(samples: list[float], floor: list[float]) -> list[float]:
    return [a / b for a, b in zip(samples, floor, strict=True)]


def quartiles(values: list[float]) -> str:
    low, _, high = statistics.quantiles(values, n=4)
    return f"middle half {low:.2f}..{high:.2f}"


async def twenty_steps(
    url: str, workspace_path: Path, state: Path, rounds: int, server: subprocess.Popen[bytes]
) -> None:
    """Each round times the three cases back to back, in an order that rotates from round
    to round (so none always follows another), each after a full garbage collection (so
    a collection of what an earlier case left does not land in the next). Each round has
    a fresh journal file (and floor file), opened before it as each `runbench run` opens
    its journal: the WAL starts empty, no round writes into a journal the rounds before
    it grew, and WAL checkpoints (an fsync) fall outside the rounds, as they do for the
    CLI (at close); opening is not timed. The headline ratio is the median of the per-round
    ratios (each case against the floor of its own round)."""
    workspace = load_workspace(workspace_path)
    with_journal = Engine(workspace, journal=Journal(state / "runs.db"), environ={})
    without = Engine(workspace, environ={})

    async def run_on(engine: Engine) -> None:
        result = await engine.run("twenty")
        assert result.status == "success", result.error

    tls = httpx.create_ssl_context()  # built once, as the engine builds its own once
    floor_db = JournalFloor(state / "floor.db")
    floor_db.reopen()
    cases: dict[str, Callable[[], Awaitable[None]]] = {
        "bare": lambda: bare_twenty(url, tls),
        "journal": lambda: run_on(with_journal),
        "no journal": lambda: run_on(without),
        "sqlite floor": lambda: floor_db.twenty(url, tls),
    }
    for _ in range(3):  # warm up connections, caches, the JIT-less interpreter's caches
        for action in cases.values():
            await action()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    served: dict[str, float] = dict.fromkeys(cases, 0.0)
    waited: dict[str, list[float]] = {name: [0.0, 0.0] for name in cases}  # client, server
    names = list(cases)
    print(f"  ({load()} before)")
    for round_ in range(rounds):
        assert with_journal.journal is not None
        with_journal.journal.close()  # a fresh file per round: no round writes into a
        with_journal.journal = Journal(state / f"runs-{round_}.db")  # journal grown by
        floor_db.close()  # the rounds before it (made here, not timed)
        floor_db = JournalFloor(state / f"floor-{round_}.db")
        floor_db.reopen()
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            gc.collect()
            before, delays = server_cpu(server), (run_delay(), run_delay(server.pid))
            samples[name].append(await timed_cpu(cases[name], cpu[name]))
            served[name] += server_cpu(server) - before
            waited[name][0] += run_delay() - delays[0]
            waited[name][1] += run_delay(server.pid) - delays[1]
    assert with_journal.journal is not None
    with_journal.journal.close()
    floor_db.close()
    floor = statistics.median(samples["bare"])
    print(
        f"20-step runbook vs 20 bare httpx requests ({rounds} rounds, order rotating; ratio:"
        f" median of per-round ratios, spread: lowest..highest round; {load()} after)"
    )
    print(f"  bare httpx            {floor * 1000:8.2f} ms   ratio 1.00 (floor)")
    for label in ("journal", "no journal", "sqlite floor"):
        ratios = per_round(samples[label], samples["bare"])
        ratio = statistics.median(ratios)
        low, high = spread_of(ratios)
        goal = "  (bare + raw SQLite)" if label == "sqlite floor" else "  (goal <= 1.08)"
        print(
            f"  {'bare httpx + SQLite' if label == 'sqlite floor' else 'engine, ' + label:<20}"
            f"  {statistics.median(samples[label]) * 1000:8.2f} ms   ratio"
            f" {ratio:.2f} ({low:.2f}..{high:.2f}; {quartiles(ratios)}){goal}"
        )
        if label == "sqlite floor":
            continue  # recorded below, as the journal's floor per step
        record(
            f"20-step runbook, journal {'on' if label == 'journal' else 'off'}, vs bare httpx",
            ratio,
            1.08,
            spread=(low, high),
        )
    print(
        "  client CPU (this process, journal thread included), per-round ratios to bare"
        f" ({statistics.median(cpu['bare']) * 1000:.1f} ms):"
    )
    for label in ("journal", "no journal", "sqlite floor"):
        cpu_ratios = per_round(cpu[label], cpu["bare"])
        print(
            f"    {label:<20} {statistics.median(cpu_ratios):.2f}"
            f" ({min(cpu_ratios):.2f}..{max(cpu_ratios):.2f}; {quartiles(cpu_ratios)})"
        )
        if label == "sqlite floor":
            continue
        record(
            f"20-step runbook, journal {'on' if label == 'journal' else 'off'}, client CPU"
            " vs bare httpx",
            statistics.median(cpu_ratios),
            spread=spread_of(cpu_ratios),
        )
    journal_cost(samples, cpu)
    walls = {name: sum(values) for name, values in samples.items()}
    print(
        "  time on a run queue without a core (schedstat), client / server, per wall:"
        + ",".join(
            f" {name} {waited[name][0] / walls[name]:.0%} / {waited[name][1] / walls[name]:.0%}"
            for name in cases
        )
        + " (where these are high, the wall ratios above are mostly the scheduler's:"
        " read the CPU ratios)"
    )
    per_request = {name: used / (20 * rounds) * 1000 for name, used in served.items()}
    print(
        "  server CPU per request (same server for all; it must not differ):"
        + ", ".join(f" {name} {used:.2f} ms" for name, used in per_request.items())
    )


def journal_cost(samples: dict[str, list[float]], cpu: dict[str, list[float]]) -> None:
    """The journal's own share: journal on against off, per round (both engines run the
    same steps, so what differs is the journal: its encoding, statements and commits)."""
    wall = per_round(samples["journal"], samples["no journal"])
    used = per_round(cpu["journal"], cpu["no journal"])
    print(
        f"  journal on / off, same round: wall {statistics.median(wall):.2f}"
        f" ({min(wall):.2f}..{max(wall):.2f}; {quartiles(wall)}), client CPU"
        f" {statistics.median(used):.2f} ({min(used):.2f}..{max(used):.2f}; {quartiles(used)})"
    )
    journal_us = [
        (a - b) / 20 * 1e6 for a, b in zip(cpu["journal"], cpu["no journal"], strict=True)
    ]
    engine_us = [(a - b) / 20 * 1e6 for a, b in zip(cpu["no journal"], cpu["bare"], strict=True)]
    floor_us = [(a - b) / 20 * 1e6 for a, b in zip(cpu["sqlite floor"], cpu["bare"], strict=True)]
    floor_median = statistics.median(floor_us)  # medians: a quotient per round of two
    # differences, each a few percent of a round, swings wildly on a loaded machine
    over_floor = statistics.median(journal_us) / floor_median if floor_median > 0 else float("nan")
    print(
        "  client CPU per step, medians of per-round differences: the journal"
        f" {statistics.median(journal_us):.0f} us (on - off), the engine without it"
        f" {statistics.median(engine_us):.0f} us (off - bare httpx), the journal's raw SQLite"
        f" statements {statistics.median(floor_us):.0f} us (floor - bare httpx; the journal is"
        f" {over_floor:.1f}x that)"
    )
    for label, values in (
        ("the journal", journal_us),
        ("the engine without it", engine_us),
        ("the journal's raw SQLite statements", floor_us),
    ):
        record(
            f"20-step runbook, client CPU per step of {label}",
            statistics.median(values),
            spread=spread_of(values),
            unit="us",
        )
    record(
        "20-step runbook, journal on / off, wall", statistics.median(wall), spread=spread_of(wall)
    )
    record(
        "20-step runbook, journal on / off, client CPU",
        statistics.median(used),
        spread=spread_of(used),
    )


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
    ratio, cpu_ratio = statistics.median(ratios), statistics.median(cpu_ratios)
    print(
        f"`runbench run` (20 steps, journal on) vs an async httpx script, {rounds} rounds"
        f" (ratios: median of per-round ratios; {load()})"
    )
    print(f"  httpx script          {floor * 1000:8.1f} ms  (CPU {floor_cpu * 1000:.1f} ms) floor")
    print(
        f"  runbench run          {statistics.median(wall['run']) * 1000:8.1f} ms   "
        f"ratio {ratio:.2f} ({min(ratios):.2f}..{max(ratios):.2f}) (goal <= 1.15);"
        f" CPU ratio {cpu_ratio:.2f} ({min(cpu_ratios):.2f}..{max(cpu_ratios):.2f})"
    )
    record("`runbench run` 20 steps vs httpx script", ratio, 1.15, spread=spread_of(ratios))
    record("`runbench run` vs httpx script, CPU time", cpu_ratio, spread=spread_of(cpu_ratios))


async def main(rounds: int, runs: int, processes: int, only: str | None) -> None:
    url, server = serve()
    try:
        with tempfile.TemporaryDirectory() as temp:
            folder = Path(temp)
            path = write_workspace(folder, url)
            if only in (None, "twenty"):
                await twenty_steps(url, path, folder, rounds, server)
            if only in (None, "processes"):
                process_to_process(url, path, processes)
            if only in (None, "concurrent"):
                await concurrent_runs(path, folder, runs)
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=9, help="rounds of the CLI comparison")
    parser.add_argument(
        "--only",
        choices=("twenty", "processes", "concurrent"),
        help="run one part alone (while iterating on it)",
    )
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve:
        serve_forever(options.serve)
        sys.exit(0)
    asyncio.run(main(options.rounds, options.runs, max(5, options.processes), options.only))
    sys.exit(0)
