"""Throughput of `runbench serve`: signed POSTs at concurrency 50, against a bare endpoint.

Every request of the runbench run must get 202, and every run must reach the journal and
finish exactly once (counted there). The floor is a bare Starlette endpoint that only
answers 202, on the same stack (uvicorn on a thread, httpx.AsyncClient on loopback), so
the ratio shows what auth + parsing + the journal + the worker runs cost per request.
Server and client share one event loop (uvicorn as an asyncio task): with the server on
a thread, the two would fight over the GIL and both numbers would measure that instead.
Goal: ratio >= 0.5.

    python benchmarks/bench_serve.py [--n 5000] [--concurrency 50] [--workers 4]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from runbench.core.engine import Journal
from runbench.core.workspace import load_workspace
from runbench.serve import build_app
from runbench.webserver import bind_socket, make_server, url_of

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


def bare_app() -> Starlette:
    async def accept(request: Request) -> Response:
        return JSONResponse({"run_id": "x"}, status_code=202)

    return Starlette(routes=[Route("/runbooks/{runbook_id}", accept, methods=["POST"])])


def signed(n: int) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"n": n}).encode()
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": f"sha256={digest}",
        "X-Delivery-Id": f"d-{n}",
    }


@contextlib.asynccontextmanager
async def serving(app: ASGIApp) -> AsyncIterator[str]:
    """``app`` on uvicorn as a task of this loop, on a free loopback port; yields its URL."""
    sock = bind_socket("127.0.0.1", 0)
    server = make_server(app)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield url_of(sock)
    finally:
        server.should_exit = True
        await task
        sock.close()


async def hammer(
    url: str, n: int, concurrency: int, offset: int = 0
) -> tuple[float, list[float], list[int], list[str]]:
    """POST n signed requests; wall time, latencies (ms), statuses, run ids."""
    payloads = [signed(offset + i) for i in range(n)]
    latencies: list[float] = [0.0] * n
    statuses: list[int] = [0] * n
    ids: list[str] = [""] * n
    next_index = iter(range(n))
    # One client (one keep-alive connection) per concurrent sender, as 50 webhook senders
    # would be: a single pool of 50 connections spends more time in httpx than the server.
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)

    async def sender(client: httpx.AsyncClient) -> None:
        for i in next_index:
            body, headers = payloads[i]
            started = time.perf_counter()
            resp = await client.post("/runbooks/hook", content=body, headers=headers)
            latencies[i] = (time.perf_counter() - started) * 1000
            statuses[i] = resp.status_code
            ids[i] = resp.json().get("run_id", "")

    # Clients are made before the clock starts (each loads the CA bundle: ~20 ms).
    clients = [
        httpx.AsyncClient(base_url=url, limits=limits, timeout=60) for _ in range(concurrency)
    ]
    started = time.perf_counter()
    await asyncio.gather(*(sender(client) for client in clients))
    wall = time.perf_counter() - started
    for client in clients:
        await client.aclose()
    return wall, latencies, statuses, ids


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


async def measure(label: str, url: str, n: int, concurrency: int, offset: int) -> float:
    wall, lat, statuses, ids = await hammer(url, n, concurrency, offset)
    rate = n / wall
    bad = [s for s in statuses if s != 202]
    print(
        f"{label:<10} {rate:8.0f} req/s   p50 {pct(lat, 50):6.2f} ms   p99 {pct(lat, 99):6.2f} ms"
        f"   non-202: {len(bad)}"
    )
    if bad:
        raise SystemExit(f"{label}: {len(bad)} requests did not get 202 (e.g. {bad[0]})")
    return rate


async def wait_all_finished(
    journal: Journal, expected: int, timeout: float = 60.0
) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        rows = journal.runs(expected * 2 + 10)
        counts: dict[str, int] = {}
        for row in rows:
            counts[row.status] = counts.get(row.status, 0) + 1
        if len(rows) >= expected and counts.get("success", 0) + counts.get("failure", 0) == len(
            rows
        ):
            return counts
        if time.monotonic() > deadline:
            raise SystemExit(f"runs did not finish: {counts}")
        await asyncio.sleep(0.5)


async def bench(n: int, concurrency: int, workers: int) -> int:
    warm = min(200, n)
    async with serving(bare_app()) as url:
        await measure("warm-up", url, warm, concurrency, 10**9)
        bare_rate = await measure("bare", url, n, concurrency, 10**9)

    with tempfile.TemporaryDirectory() as folder:
        ws_path = Path(folder) / "ws.toml"
        ws_path.write_text(WORKSPACE, encoding="utf-8")
        journal = Journal(Path(folder) / "state" / "runs.db")
        app = build_app(
            load_workspace(ws_path),
            journal=journal,
            environ={},
            workers=workers,
            queue_size=n + warm + 1,
            log=lambda line: None,
        )
        async with serving(app) as url:
            await measure("warm-up", url, warm, concurrency, 0)
            rate = await measure("runbench", url, n, concurrency, warm)
            counts = await wait_all_finished(journal, n + warm)
        rows = journal.runs(n + warm + 10)
        journal.close()
    deliveries = {row.delivery_id for row in rows}
    print(f"journal: {len(rows)} runs ({counts}), {len(deliveries)} distinct deliveries")
    if len(rows) != n + warm or len(deliveries) != len(rows) or counts != {"success": len(rows)}:
        raise SystemExit("runs lost, duplicated or failed")
    ratio = rate / bare_rate
    print(f"ratio runbench / bare: {ratio:.2f} (goal >= 0.5)")
    return 0 if ratio >= 0.5 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    return asyncio.run(bench(args.n, args.concurrency, args.workers))


if __name__ == "__main__":
    raise SystemExit(main())
