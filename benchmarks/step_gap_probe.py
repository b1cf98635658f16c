"""Why does a step's commit cost the round trips more than its own CPU? (issue 19)

A WAL commit (synchronous=NORMAL) costs tens of microseconds, yet bare httpx with the
journal's raw statements between requests (``journal_floor``) ran 20-40 % slower than bare
httpx, 0.4-0.7 ms a step. This probe separates the candidates, each case 20 requests on a
fresh client to bench_engine's uvicorn server (its own process), interleaved over rounds
in a rotating order, a collection before each:

- ``bare``: nothing between requests;
- ``spin N``: a busy loop of N us of this thread's CPU between requests (no I/O, no
  SQLite): if it costs the round trip more than N us, the pause itself does (the server's
  vCPU going idle and waking, the scheduler), whatever runbench or SQLite do in it;
- ``barrier tmp`` / ``barrier shm``: the floor's step transaction alone (no exchanges) in a
  file on /tmp (ext4: page cache, writeback) or /dev/shm (tmpfs);
- ``barrier, spin N`` / ``barrier || spin N``: the barrier (shm), then a spin of the first N
  (the next request's preparation) on this thread; or the barrier on another thread while
  this one spins, then a wait for it on the event loop: does overlapping them pay?
- ``floor tmp`` / ``floor shm``: the whole floor (exchanges in batches of 16 too);
- ``log tmp``: the same two records (the previous end, this start) as one framed line
  (length, CRC-32, JSON) appended to a file with one ``os.write``, no SQLite: what a step
  barrier would cost if the journal kept a redo log in front of SQLite (the same durability
  against ``kill -9`` as a WAL commit with synchronous=NORMAL: both sit in the page cache).

Per case it prints the wall per step over bare, the time waiting for a core (the kernel's
schedstat run delay, summed over threads) of this process and of the server, the client's CPU per step over bare, the
mean time awaiting each request (send to parsed answer: does the work between requests
slow the round trip itself?), the server's CPU per request and the client's context
switches. Not part of ``make bench``: a probe, run by hand.

    python benchmarks/step_gap_probe.py [--rounds 20] [--spin 40,80,160] [--only bare,log]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import statistics
import subprocess
import tempfile
import time
import uuid
import zlib
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from bench_engine import load, run_delay, serve, server_cpu
from journal_floor import JournalFloor, Previous

Between = Callable[[int], Awaitable[None] | None]


def spin(us: float) -> Between:
    def burn(_n: int) -> None:
        until = time.thread_time() + us / 1e6
        while time.thread_time() < until:
            pass

    return burn


def barrier(floor: JournalFloor) -> Between:
    """The floor's step transaction (the previous end and this start) alone, no exchanges."""
    run_id = uuid.uuid4().hex

    def commit(n: int) -> None:
        nonlocal run_id
        if n == 1:
            run_id = uuid.uuid4().hex
        previous: Previous | None = ({}, {"Value": n, "Name": f"item {n}"}, {}) if n > 1 else None
        floor._step(run_id, n, previous)  # the floor's own statements

    return commit


def append_log(path: Path) -> Between:
    """The barrier's two records as one framed line appended to a file (no SQLite)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    run_id = uuid.uuid4().hex

    def write(n: int) -> None:
        nonlocal run_id
        if n == 1:
            run_id = uuid.uuid4().hex
        now = time.time()
        end = None if n == 1 else ["on_success", f"s{n}", 1.0, {"Value": n, "Name": f"item {n}"}]
        start = [run_id, n, f"s{n}", "method", 0, {} if n == 1 else {"Value": n}, None, {}, now]
        body = json.dumps([end, start]).encode()
        os.write(fd, b"%d %d %s\n" % (len(body), zlib.crc32(body), body))

    return write


OWN: dict[Between, list[float]] = {}
"""Thread CPU seconds of each call of a ``between`` (what it costs itself, after a request)."""


async def own(between: Between, n: int) -> None:
    used = time.thread_time()
    pending = between(n)
    OWN.setdefault(between, []).append(time.thread_time() - used)
    if pending is not None:
        await pending


def then(first: Between, second: Between) -> Between:
    """``first``, then ``second``, on this thread (a commit, then the next request's
    preparation: what the engine does)."""

    def both(n: int) -> None:
        first(n)
        second(n)

    return both


def beside(first: Between, second: Between, pool: ThreadPoolExecutor) -> Between:
    """``first`` on another thread while ``second`` runs here, then a wait for ``first`` on
    the event loop (the journal's hand-over: a commit overlapped with the preparation)."""

    def both(n: int) -> Awaitable[None]:
        done = asyncio.get_running_loop().run_in_executor(pool, first, n)
        second(n)
        return done  # type: ignore[return-value]

    return both


async def twenty(url: str, tls: object, between: Between | None, waited: list[float]) -> None:
    async with httpx.AsyncClient(verify=tls) as client:  # type: ignore[arg-type]
        for n in range(1, 21):
            if between is not None:
                await own(between, n)
            started = time.perf_counter()
            (await client.get(f"{url}/item/{n}")).json()
            waited.append(time.perf_counter() - started)
        if between is not None:
            await own(between, 21)


async def main(rounds: int, spins: list[int], only: list[str]) -> None:
    url, server = serve()
    try:
        with (
            tempfile.TemporaryDirectory(dir="/tmp") as tmp,
            tempfile.TemporaryDirectory(dir="/dev/shm") as shm,
        ):
            await probe(url, server, Path(tmp), Path(shm), rounds, spins, only)
    finally:
        server.terminate()
        server.wait(10)


async def probe(
    url: str,
    server: subprocess.Popen[bytes],
    tmp: Path,
    shm: Path,
    rounds: int,
    spins: list[int],
    only: list[str],
) -> None:
    tls = httpx.create_ssl_context()
    floors = {"tmp": JournalFloor(tmp / "floor.db"), "shm": JournalFloor(shm / "floor.db")}
    barriers = {"tmp": JournalFloor(tmp / "barrier.db"), "shm": JournalFloor(shm / "barrier.db")}
    for one in (*floors.values(), *barriers.values()):
        one.reopen()
    waited: dict[str, list[float]] = {}
    cases: dict[str, Callable[[], Awaitable[None]]] = {}

    betweens: dict[str, Between] = {}

    def case(name: str, between: Between | None) -> None:
        waited[name] = []
        if between is not None:
            betweens[name] = between
        cases[name] = lambda: twenty(url, tls, between, waited[name])

    case("bare", None)
    for us in spins:
        case(f"spin {us}", spin(us))
    tight = barriers["shm"]
    for n in range(1, 42):  # the same statements back to back, for comparison
        barrier(tight)(n % 21 + 1)
    started = time.thread_time()
    step = barrier(tight)
    for n in range(1, 201):
        step(n % 21 + 1)
    print(
        f"barrier back to back (shm): {(time.thread_time() - started) / 200 * 1e6:.0f} us thread CPU each"
    )
    for where, one in barriers.items():
        case(f"barrier {where}", barrier(one))
    pool = ThreadPoolExecutor(1)
    prepare = spin(spins[0])
    case(f"barrier, spin {spins[0]}", then(barrier(barriers["shm"]), prepare))
    case(f"barrier || spin {spins[0]}", beside(barrier(barriers["shm"]), prepare, pool))
    for where, one in floors.items():
        cases[f"floor {where}"] = (lambda f: lambda: f.twenty(url, tls))(one)
    case("log tmp", append_log(tmp / "redo.log"))
    if only:  # bare stays: every case is measured against it
        for name in [name for name in cases if name != "bare"]:
            if not any(name.startswith(prefix) for prefix in only):
                del cases[name]
    for _ in range(3):
        for action in cases.values():
            await action()
    for values in waited.values():
        values.clear()
    OWN.clear()
    wall: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    served: dict[str, float] = dict.fromkeys(cases, 0.0)
    switches: dict[str, list[int]] = {name: [] for name in cases}
    delays: dict[str, list[float]] = {name: [] for name in cases}
    server_delays: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    print(f"({load()} before)")
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            gc.collect()
            before, usage = server_cpu(server), resource.getrusage(resource.RUSAGE_SELF)
            delay, server_delay = run_delay(), run_delay(server.pid)
            used, started = time.process_time(), time.perf_counter()
            await cases[name]()
            wall[name].append(time.perf_counter() - started)
            cpu[name].append(time.process_time() - used)
            delays[name].append(run_delay() - delay)
            server_delays[name].append(run_delay(server.pid) - server_delay)
            after = resource.getrusage(resource.RUSAGE_SELF)
            switches[name].append(
                after.ru_nvcsw - usage.ru_nvcsw + after.ru_nivcsw - usage.ru_nivcsw
            )
            served[name] += server_cpu(server) - before
    for one in (*floors.values(), *barriers.values()):
        one.close()
    print(f"{rounds} rounds, per step (medians of per-round differences to bare; {load()} after)")
    bare_wall = statistics.median(wall["bare"]) / 20 * 1e6
    print(
        f"  bare: {bare_wall:.0f} us a step, await {statistics.median(waited['bare']) * 1e6:.0f} us"
    )
    for name in names:
        extra = [(a - b) / 20 * 1e6 for a, b in zip(wall[name], wall["bare"], strict=True)]
        extra_cpu = [(a - b) / 20 * 1e6 for a, b in zip(cpu[name], cpu["bare"], strict=True)]
        ratio = [a / b for a, b in zip(wall[name], wall["bare"], strict=True)]
        waits = [(a - b) / 20 * 1e6 for a, b in zip(delays[name], delays["bare"], strict=True)]
        server_waits = [
            (a - b) / 20 * 1e6
            for a, b in zip(server_delays[name], server_delays["bare"], strict=True)
        ]
        print(
            f"  {name:<12} wall ratio {statistics.median(ratio):.2f}, +{statistics.median(extra):5.0f} us"
            f" wall, +{statistics.median(extra_cpu):4.0f} us client CPU; {awaits(waited.get(name))};"
            f" server CPU {served[name] / (20 * rounds) * 1e6:4.0f} us/request;"
            f" switches {statistics.median(switches[name]):.0f} a run"
        )
        print(
            f"{'':15}waiting for a core per step: client {statistics.median(delays[name]) / 20 * 1e6:.0f} us"
            f" ({statistics.median(waits):+.0f}), server {statistics.median(server_delays[name]) / 20 * 1e6:.0f} us"
            f" ({statistics.median(server_waits):+.0f})"
        )
        if name in betweens:
            spent = OWN[betweens[name]]
            print(
                f"{'':15}its own thread CPU per call: median {statistics.median(spent) * 1e6:.0f} us,"
                f" mean {statistics.mean(spent) * 1e6:.0f} us"
            )


def awaits(values: list[float] | None) -> str:
    if not values:
        return "await -"
    return f"await median {statistics.median(values) * 1e6:4.0f} us (mean {statistics.mean(values) * 1e6:4.0f})"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--spin", default="20,80,160,320")
    parser.add_argument("--only", default="", help="cases whose names start so (and bare)")
    options = parser.parse_args()
    only = [name.strip() for name in options.only.split(",") if name.strip()]
    asyncio.run(main(options.rounds, [int(us) for us in options.spin.split(",")], only))
