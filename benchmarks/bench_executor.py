"""Executor overhead: N sequential method calls vs the same N calls with a bare httpx client.

Both sides hit the same local uvicorn server (its own process) over one pooled connection. The
Executor side renders a path variable, a query and a header, records and redacts the
exchange, and evaluates two typed outputs; the bare side sends the same request and
parses the JSON. Calls are interleaved one by one (alternating which side goes first) and
each is timed, so drift and load from other processes hit both sides alike; the ratio is
the median of the per-pair ratios (each executor call against the bare call beside it),
with the middle half of those ratios as its spread; median(executor) / median(bare) is
printed too. Goal: <= 1.10.

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


async def timed(one: Callable[[int], Awaitable[None]], index: int) -> float:
    started = time.perf_counter()
    await one(index)
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
                bare_times.append(await timed(bare, index))
                executor_times.append(await timed(via_executor, index))
            else:
                executor_times.append(await timed(via_executor, index))
                bare_times.append(await timed(bare, index))
    e_med, b_med = statistics.median(executor_times), statistics.median(bare_times)
    e_trim, b_trim = trimmed_mean(executor_times), trimmed_mean(bare_times)
    pairs = [e / b for e, b in zip(executor_times, bare_times, strict=True)]
    ratio = statistics.median(pairs)
    low, _, high = statistics.quantiles(pairs, n=4)
    record(
        "executor call vs bare httpx (median of per-pair ratios)", ratio, GOAL, spread=(low, high)
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
