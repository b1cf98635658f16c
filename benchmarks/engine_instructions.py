"""What the engine adds to a bare httpx request, counted, not timed (issue 19.5).

On two shared cores a time measurement of a few per cent swings more than the change it
should show; an instruction count (valgrind's callgrind) or a count of Python calls does
not. This probe runs bench_engine's 20-step runbook in process, on an in-process
transport (a streamed 200 answer, read as the network's are: no socket, no server), and
the same 20 requests with bare httpx, and counts per step:

- ``--calls``: Python calls (``sys.setprofile``; quick, a few seconds);
- default: instructions under ``valgrind --tool=callgrind`` (every thread, the journal's
  included): each case runs in a child twice, with ``--runs`` runs after the warm-up and
  with none, and the difference is divided by the steps (start-up and warm-up cancel).

Cases: ``bare`` (httpx alone), ``engine`` (journal off), ``journal`` (journal on, SQLite in
a temp dir). It prints each case per step and the ratios engine/bare and journal/bare.
Not part of ``make bench``: a probe, run by hand, before and after a change.

    python benchmarks/engine_instructions.py [--calls] [--runs 20] [--cases bare,engine,journal]
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import json
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
from bench_engine import write_workspace

import runbench
from runbench.core.engine import Engine, Journal
from runbench.core.workspace import load_workspace

URL = "http://bench.local"
STEPS = 20
WARM_UP = 3


class _Body(httpx.AsyncByteStream):
    """A body handed over in one chunk, unread: the client reads it as a socket's."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._data


class LocalTransport(httpx.AsyncBaseTransport):
    """bench_engine's server, answered in process: ``/item/N`` -> its JSON."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        n = int(request.url.path.rsplit("/", 1)[1])
        data = json.dumps({"id": n, "value": n * 2, "name": f"item {n}"}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(data))]
        return httpx.Response(200, headers=headers, stream=_Body(data))


def cases(folder: Path) -> dict[str, Callable[[], Awaitable[None]]]:
    transport = LocalTransport()
    workspace = load_workspace(write_workspace(folder, URL))
    plain = Engine(workspace, environ={}, transport=transport)
    journaled = Engine(
        workspace, environ={}, transport=transport, journal=Journal(folder / "runs.db")
    )

    async def bare() -> None:
        async with httpx.AsyncClient(transport=transport) as client:
            for n in range(1, STEPS + 1):
                (await client.get(f"{URL}/item/{n}")).json()

    async def run_on(engine: Engine) -> None:
        result = await engine.run("twenty")
        assert result.status == "success", result.error

    return {
        "bare": bare,
        "engine": lambda: run_on(plain),
        "journal": lambda: run_on(journaled),
    }


async def repeat(action: Callable[[], Awaitable[None]], runs: int) -> None:
    for _ in range(runs):
        await action()


def child(case: str, runs: int) -> None:
    """The counted process: warm up, then ``runs`` runs (callgrind counts it all)."""
    with tempfile.TemporaryDirectory() as folder:
        action = cases(Path(folder))[case]
        asyncio.run(repeat(action, WARM_UP + runs))


def instructions(case: str, runs: int, out: Path) -> int:
    subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            sys.executable,
            __file__,
            "--child",
            case,
            "--runs",
            str(runs),
        ],
        check=True,
        capture_output=True,
    )
    for line in out.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise SystemExit(f"no totals in {out}")


def calls(case: str, runs: int) -> int:
    """Python calls (and C calls made from Python) during ``runs`` runs after the warm-up."""
    count = 0

    def profile(_frame: object, event: str, _arg: object) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    async def counted(action: Callable[[], Awaitable[None]]) -> None:
        await repeat(action, WARM_UP)
        sys.setprofile(profile)
        try:
            await repeat(action, runs)
        finally:
            sys.setprofile(None)

    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(counted(cases(Path(folder))[case]))
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--cases", default="bare,engine,journal")
    parser.add_argument("--calls", action="store_true", help="count Python calls instead")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.runs)
        return
    # bytecode written first: with PYTHONDONTWRITEBYTECODE each child would compile what
    # changed since, and a .pyc written between two children would not cancel out
    compileall.compile_dir(Path(runbench.__file__).parent, quiet=1)
    steps = args.runs * STEPS
    per_step: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        for case in args.cases.split(","):
            if args.calls:
                per_step[case] = calls(case, args.runs) / steps
            else:
                out = Path(folder) / f"{case}.out"
                total = instructions(case, args.runs, out) - instructions(case, 0, out)
                per_step[case] = total / steps
    unit = "Python calls" if args.calls else "instructions"
    for case, value in per_step.items():
        ratio = f"  ({value / per_step['bare']:.3f} of bare)" if "bare" in per_step else ""
        print(f"{case:8} {value:12,.0f} {unit} per step{ratio}")


if __name__ == "__main__":
    main()
