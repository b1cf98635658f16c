"""Executor overhead: N sequential method calls vs the same N calls with a bare httpx client.

Both sides hit the same local uvicorn server (its own process) over one pooled connection. The
Executor side renders a path variable, a query and a header, records and redacts the
exchange, and evaluates two typed outputs; the bare side sends the same request and
parses the JSON. Calls are interleaved one by one (alternating which side goes first) and
each is timed, so drift and load from other processes hit both sides alike; the ratio is
the median of the per-pair ratios (each executor call against the bare call beside it),
with its spread over 5 consecutive rounds (the lowest and highest round's median); the
middle half of all ratios, median(executor) / median(bare) and the ratio of the client
process's CPU time per round (steadier than the wall clock on a loaded machine) are printed
too. Goal: <= 1.10.

Run: python benchmarks/bench_executor.py [N]
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import httpx
import uvicorn
from results import record
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from runbench.core.http import Executor
from runbench.core.secrets import Secrets
from runbench.core.workspace import Auth, Integration, Method, Output, Workspace

WARMUP = 200
ROUNDS = 5
GOAL = 1.10


async def item(request: Request) -> JSONResponse:
    return JSONResponse(
        {
            "id": int(request.path_params["id"]),
            "name": "Acme",
            "price": "3.50",
            "tags": ["a", "b"],
            "q": request.query_params.get("q"),
        }
    )


def serve(port: int) -> None:
    """Child process: serve the app on 127.0.0.1:port."""
    app = Starlette(routes=[Route("/items/{id}", item)])
    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", access_log=False
    )


def start_server() -> tuple[subprocess.Popen[bytes], str]:
    """The server runs in its own process so it does not share the GIL with the client.
    (Not ``uvicorn --fd``: uvicorn treats such a socket as AF_UNIX and skips TCP_NODELAY,
    which adds a 40 ms delayed-ACK stall to every response.)"""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    child = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/items/1").status_code == 200:
                return child, f"http://127.0.0.1:{port}"
        except httpx.TransportError:
            time.sleep(0.05)
    child.kill()
    raise SystemExit("the benchmark server did not start")


async def timed(one: Callable[[int], Awaitable[None]], index: int, cpu: list[float]) -> float:
    """Wall seconds of one call; its process CPU seconds go to ``cpu``."""
    started, used = time.perf_counter(), time.process_time()
    await one(index)
    cpu.append(time.process_time() - used)
    return time.perf_counter() - started


def trimmed_mean(values: list[float], cut: float = 0.1) -> float:
    ordered = sorted(values)
    drop = int(len(ordered) * cut)
    kept = ordered[drop : len(ordered) - drop] or ordered
    return sum(kept) / len(kept)


async def measure(base: str, total: int) -> None:
    auth = Auth(type="bearer", token="bench-token-123456")
    workspace = Workspace(
        path="/tmp/bench.toml", integrations={"api": Integration("api", base, auth=auth)}
    )
    method = Method(
        id="get",
        integration="api",
        path="/items/<<id>>",
        query={"q": "<<q>>"},
        headers={"X-Run": "<<run>>"},
        outputs=(Output("name", "response^name"), Output("price", "response^price", "float")),
    )
    executor_times: list[float] = []
    bare_times: list[float] = []
    executor_cpu: list[float] = []
    bare_cpu: list[float] = []
    async with (
        Executor(workspace, secrets=Secrets(workspace.path, {})) as executor,
        httpx.AsyncClient() as client,
    ):

        async def via_executor(index: int) -> None:
            result = await executor.call(method, {"id": index, "q": "x y", "run": "r1"})
            assert result.ok, result.error
            assert result.outputs["price"] == 3.5, result.outputs

        async def bare(index: int) -> None:
            response = await client.get(
                f"{base}/items/{index}",
                params={"q": "x y"},
                headers={"X-Run": "r1", "Authorization": "Bearer bench-token-123456"},
            )
            assert response.status_code == 200
            assert response.json()["name"] == "Acme"

        for index in range(WARMUP):
            await via_executor(index)
            await bare(index)
        for index in range(total):
            # Interleave call by call, alternating who goes first: load bursts from other
            # processes hit both sides alike instead of one side's whole batch.
            if index % 2:
                bare_times.append(await timed(bare, index, bare_cpu))
                executor_times.append(await timed(via_executor, index, executor_cpu))
            else:
                executor_times.append(await timed(via_executor, index, executor_cpu))
                bare_times.append(await timed(bare, index, bare_cpu))
    report(total, executor_times, bare_times, executor_cpu, bare_cpu)


def rounds_of(values: list[float]) -> list[list[float]]:
    """``values`` cut into ROUNDS consecutive rounds (each interleaved like the whole)."""
    size = max(1, len(values) // ROUNDS)
    return [values[start : start + size] for start in range(0, size * ROUNDS, size)]


def report(
    total: int,
    executor_times: list[float],
    bare_times: list[float],
    executor_cpu: list[float],
    bare_cpu: list[float],
) -> None:
    e_med, b_med = statistics.median(executor_times), statistics.median(bare_times)
    e_trim, b_trim = trimmed_mean(executor_times), trimmed_mean(bare_times)
    pairs = [e / b for e, b in zip(executor_times, bare_times, strict=True)]
    ratio = statistics.median(pairs)
    low, _, high = statistics.quantiles(pairs, n=4)
    per_round = [statistics.median(chunk) for chunk in rounds_of(pairs)]
    cpu_rounds = [
        sum(e) / sum(b) for e, b in zip(rounds_of(executor_cpu), rounds_of(bare_cpu), strict=True)
    ]
    cpu_ratio = statistics.median(cpu_rounds)
    record(
        "executor call vs bare httpx (median of per-pair ratios)",
        ratio,
        GOAL,
        spread=(min(per_round), max(per_round)),
    )
    record(
        "executor call vs bare httpx, client CPU time",
        cpu_ratio,
        spread=(min(cpu_rounds), max(cpu_rounds)),
    )
    one, five, _ = os.getloadavg()
    print(
        f"{total} sequential calls each, interleaved one by one (after {WARMUP} warm-up);"
        f" load average {one:.1f} (5 min {five:.1f}) on {os.cpu_count()} cores"
    )
    print(f"bare httpx : median {b_med * 1e6:8.1f} µs/call, 10%-trimmed mean {b_trim * 1e6:8.1f}")
    print(f"executor   : median {e_med * 1e6:8.1f} µs/call, 10%-trimmed mean {e_trim * 1e6:8.1f}")
    print(f"overhead   : {(e_med - b_med) * 1e6:8.1f} µs/call (medians)")
    print(
        f"ratio      : {ratio:.3f} (median of per-pair ratios, middle half {low:.3f}..{high:.3f};"
        f" ratio of medians {e_med / b_med:.3f}; trimmed means {e_trim / b_trim:.3f}); "
        f"goal <= {GOAL:.2f}: {'met' if ratio <= GOAL else 'NOT met'}"
    )
    print(f"  per round ({ROUNDS} interleaved): " + " ".join(f"{r:.3f}" for r in per_round))
    e_cpu, b_cpu = statistics.median(executor_cpu), statistics.median(bare_cpu)
    print(
        f"client CPU : executor {e_cpu * 1e6:.1f} µs/call, bare {b_cpu * 1e6:.1f} (medians);"
        f" ratio {cpu_ratio:.3f} (median of {ROUNDS} rounds, {min(cpu_rounds):.3f}.."
        f"{max(cpu_rounds):.3f}; the client's whole process, event loop included)"
    )


def main() -> None:
    if sys.argv[1:2] == ["--serve"]:
        serve(int(sys.argv[2]))
        return
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    child, base = start_server()
    try:
        asyncio.run(measure(base, total))
    finally:
        child.terminate()
        child.wait(10)


if __name__ == "__main__":
    main()
