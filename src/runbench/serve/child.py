"""The worker process of `runbench serve` (see ``process``): claims queued runs from the
journal and executes them, told by the server over its stdin, reporting on a pipe.

It starts below the server's CPU priority, ignores the terminal's Ctrl+C and a SIGTERM
meant for the server (the server stops it: it finishes or gives back its runs first), and
dies with the server: its lifeline (``core.child``, as every child of the workbench), and
the end of its stdin without a stop. Not ``PR_SET_PDEATHSIG``: Linux only, and sent when
the *thread* that started the child ends; the lifeline is portable and cannot race (a
server dead before the child looked has already closed its end).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

from runbench.core.child import die_with_parent, lower_priority
from runbench.core.engine import Engine
from runbench.core.journal import Claim, Journal
from runbench.core.secrets import Secrets
from runbench.core.workspace import Workspace
from runbench.serve.held import HeldInputs
from runbench.serve.metrics import Entry, ServeMetrics, batched
from runbench.serve.process import REPORT_EVERY, WORKER_NICE
from runbench.serve.workers import EngineExecutor, WorkerPool

ARRIVAL = 2.0
"""Seconds a claimed run waits for its held inputs still in the pipe from the server."""
CONTROL_LIMIT = 16 * 1024 * 1024


def tie_to_parent(parent: int) -> None:
    """Die with the server, lower the priority, leave signals to the server."""
    die_with_parent()
    if os.getppid() != parent:  # started by hand, or the server's pid is not ours
        os._exit(1)
    # niced inside serve's session, not in one of its own: with autogroup a session of its
    # own weighs against serve's intake as a whole group (accepted/s fell from 0.63 to 0.57
    # of bare Starlette); here the nice gives the intake first call (see serve.process)
    lower_priority(WORKER_NICE, own_session=False)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)


class Report:
    """What the server hears from this process, gathered and written every REPORT_EVERY."""

    def __init__(self, fd: int) -> None:
        self._out = os.fdopen(fd, "wb", buffering=0)
        self.claimed = 0
        self.entries: list[Entry] = []
        self.problem: str | None = None
        self._sent_problem: str | None = "unsent"

    def flush(self) -> None:
        if not (self.claimed or self.entries or self.problem != self._sent_problem):
            return
        report: dict[str, Any] = {"claimed": self.claimed, "problem": self.problem}
        if self.entries:
            report["metrics"] = batched(self.entries)
        self.claimed, self.entries, self._sent_problem = 0, [], self.problem
        self._out.write(json.dumps(report, separators=(",", ":")).encode() + b"\n")


class ReportingPool(WorkerPool):
    """A worker pool that tells the server how many queued runs it claimed."""

    report: Report

    async def _claim(self, free: int) -> list[Claim]:
        claims = await super()._claim(free)
        self.report.claimed += sum(1 for claim in claims if claim.resume is None)
        return claims


async def serve_runs(
    workspace: Workspace,
    journal: Journal,
    pool_options: dict[str, Any],
    report_fd: int,
    log: Callable[[str], None],
) -> None:
    """Run the pool until the server says stop; exit at once if the server went away."""
    secrets = Secrets(workspace.path, os.environ)
    secrets.preload(workspace)
    engine = Engine(workspace, journal=journal, secrets=secrets, trigger="serve")
    report = Report(report_fd)
    pool = ReportingPool(
        journal,
        EngineExecutor(engine),
        log=log,
        limits={rb.id: rb.max_concurrent for rb in workspace.runbooks.values()},
        redact=secrets.redactor.text,
        arrival=ARRIVAL,
        **pool_options,
    )
    pool.report = report
    metrics = ServeMetrics(frozenset())
    events = engine.subscribe()

    async def relay() -> None:
        async for event in events:
            entry = metrics.entry(event)
            if entry is not None:
                report.entries.append(entry)

    async def send_reports() -> None:
        while True:
            report.problem = None if pool.healthy else pool.unhealthy_because()
            report.flush()
            await asyncio.sleep(REPORT_EVERY)

    tasks = [asyncio.create_task(relay()), asyncio.create_task(send_reports())]
    await pool.start()
    stopped = await follow_server(pool)
    if not stopped:
        os._exit(1)  # the server is gone without a word: a crash, as it was for the server
    await pool.stop()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    report.problem = None
    report.flush()


async def follow_server(pool: WorkerPool) -> bool:
    """Obey the server's lines on stdin; True once told to stop, False at a bare EOF."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=CONTROL_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
    while line := await reader.readline():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if not isinstance(message, dict):
            continue
        if message.get("stop"):
            return True
        if "hold" in message:
            pool.held.hold(
                str(message["hold"]), message.get("inputs") or {}, message.get("context") or {}
            )
        elif "forget" in message:
            pool.held.forget(str(message["forget"]))
        elif message.get("wake"):
            pool.notify()
    return False


def run_worker(
    workspace: Workspace,
    journal: Journal,
    *,
    report_fd: int,
    log: Callable[[str], None],
    workers: int,
    queue_size: int,
    poll: float,
) -> int:
    """The worker process's life (``runbench serve --worker-of``), once tied to the
    server (:func:`tie_to_parent`, before it opened its journal)."""
    options = {
        "workers": workers,
        "poll": poll,
        "held": HeldInputs(queue_size),
    }
    asyncio.run(serve_runs(workspace, journal, options, report_fd, log))
    return 0


__all__ = ["ReportingPool", "run_worker", "tie_to_parent"]
