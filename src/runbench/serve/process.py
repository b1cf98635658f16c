"""`serve`'s runs in a worker process that `serve` starts and supervises (the default).

Why: in one process, intake and runs share one event loop, so under a flood of webhooks
every run executed is CPU taken from accepting (a delivery cost about 160 us of a bare
endpoint's CPU, a run about 600 us more). The product rule is that accepting durably comes
first and the journal is the queue: so the server process only accepts (checks, commits,
answers 202) and a child process claims the queued runs from the journal and executes
them, at a lower CPU priority (nice ``WORKER_NICE``: when both want the same core the
runs get about a tenth of it, CFS weights 110 against 1024, never nothing; with a core
free they get all of it). The backlog then drains at the rate the worker runs.

Both open the same journal (SQLite in WAL mode: one writer at a time, each side commits
in groups; or PostgreSQL). The child holds runs under the server's owner identity, so to
every other process (another instance, ``runbench resume``) the pair is one owner, and it
dies with the server (a lifeline pipe, as every child of the workbench: ``core.child``): a
``kill -9`` of `serve` is still a crash of everything it held. A child that exits on its
own is restarted (backing off); /healthz answers 503 meanwhile.

Pipes, JSON lines. To the child's stdin: ``wake`` (runs were queued), ``hold`` and
``forget`` (secret inputs, kept in memory only: see ``held``), ``stop``. From the child,
on a report pipe, every ``REPORT_EVERY`` seconds: runs it claimed (the server's queue
count), its journal problem, run and step numbers for /metrics. Its log lines go to the
same stdout as the server's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from runbench.core.child import Lifeline
from runbench.core.journal import Claim, Journal
from runbench.serve.held import HeldInputs
from runbench.serve.metrics import ServeMetrics
from runbench.serve.workers import Backoff, WorkerPool

WORKER_NICE = 10
REPORT_EVERY = 0.1
WAKE_EVERY = 0.01
"""Seconds between two wakes of the worker at most: under a flood, a wake per turn of the
event loop was a write to its pipe (and a read and a claim there) hundreds of times a
second; a run queued meanwhile waits at most this long for the next one."""
_WAKE = b'{"wake":true}\n'
REPORT_LIMIT = 16 * 1024 * 1024
"""The longest report line the server reads (a report holds 0.1 s of run numbers)."""
STOP_MARGIN = 10.0
"""Seconds past the grace a stopping worker has before it is killed."""
STEADY = 60.0
"""A worker that lived this long before exiting is restarted without waiting."""


class _Elsewhere:
    """The server's pool executes nothing: its worker process does."""

    async def execute(self, claim: Claim) -> Any:
        raise AssertionError(f"run {claim.row.id} claimed by the server, not its worker")


class ForwardedHeld(HeldInputs):
    """Held secret inputs, sent to the worker process instead of kept here."""

    def __init__(self, send: Callable[[dict[str, Any]], None], limit: int = 1000) -> None:
        super().__init__(limit)
        self._send = send

    def hold(self, run_id: str, inputs: Mapping[str, Any], context: Mapping[str, Any]) -> None:
        self._send({"hold": run_id, "inputs": dict(inputs), "context": dict(context)})

    def forget(self, run_id: str) -> None:
        self._send({"forget": run_id})


class WorkerProcess:
    """Starts the worker (``argv``, plus ``--report-fd``), restarts it when it exits on
    its own, stops it with the server."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        on_report: Callable[[dict[str, Any]], None],
        log: Callable[[str], None],
        grace: float = 10.0,
    ) -> None:
        self.argv = list(argv)
        self.env = dict(env) if env is not None else None
        self.problem: str | None = "the worker process is starting"
        self._on_report = on_report
        self._log = log
        self._grace = grace
        self._process: asyncio.subprocess.Process | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._stopping = False
        self.report_limit = REPORT_LIMIT

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def start(self) -> None:
        self._stopping = False
        self._supervisor = asyncio.create_task(self._supervise(), name="runbench-worker")

    def send(self, message: dict[str, Any]) -> None:
        """One line to the worker; dropped while there is none (what it was about waits
        in the journal, except held inputs: that run then fails, naming them)."""
        self.write((json.dumps(message, separators=(",", ":"), default=str) + "\n").encode())

    def write(self, line: bytes) -> None:
        """:meth:`send` of a line already encoded (the frequent ``wake``)."""
        process = self._process
        if process is not None and process.stdin is not None and not process.stdin.is_closing():
            process.stdin.write(line)

    async def stop(self) -> None:
        """Ask the worker to stop (it gives its runs ``grace`` seconds), then kill it."""
        self._stopping = True
        process = self._process
        if process is not None and process.returncode is None:
            self.send({"stop": True})
            if process.stdin is not None:
                process.stdin.close()
            try:
                async with asyncio.timeout(self._grace + STOP_MARGIN):
                    await process.wait()
            except TimeoutError:
                self._log("the worker process did not stop in time; killing it")
                process.kill()
                await process.wait()
        if self._supervisor is not None:
            self._supervisor.cancel()
            await asyncio.gather(self._supervisor, return_exceptions=True)

    async def _supervise(self) -> None:
        backoff = Backoff(cap=30.0)
        while not self._stopping:
            started = time.monotonic()
            try:
                code = await self._run_once()
            except OSError as exc:
                code = None
                self.problem = f"the worker process could not start: {exc}; retrying"
                self._log(self.problem)
            if self._stopping:
                return
            if code is not None:
                self.problem = f"the worker process exited with code {code}; restarting it"
                self._log(self.problem)
            if time.monotonic() - started >= STEADY:
                backoff.reset()
            await asyncio.sleep(backoff.next())

    async def _run_once(self) -> int:
        read_fd, write_fd = os.pipe()
        try:
            with Lifeline() as lifeline:  # it dies with this process, however it ends
                self._process = await asyncio.create_subprocess_exec(
                    *self.argv,
                    "--report-fd",
                    str(write_fd),
                    stdin=subprocess.PIPE,
                    pass_fds=(write_fd, *lifeline.passed),
                    env=lifeline.environment(self.env),
                )
                lifeline.held_by(self._process)
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)
        reading = asyncio.create_task(self._read_reports(read_fd), name="runbench-reports")
        try:
            return await self._process.wait()
        finally:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):  # the last report, already written
                    await asyncio.shield(reading)
            reading.cancel()
            await asyncio.gather(reading, return_exceptions=True)

    async def _read_reports(self, fd: int) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=self.report_limit)
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", buffering=0)
        )
        try:
            while line := await self._next_report_line(reader):
                try:
                    report = json.loads(line)
                except ValueError:
                    continue
                if isinstance(report, dict):
                    self.problem = report.get("problem")
                    self._on_report(report)
        finally:
            transport.close()

    async def _next_report_line(self, reader: asyncio.StreamReader) -> bytes:
        """The next line, skipping one over the limit (the reader drops it) with a log line:
        reading on is what keeps the counts and the health true, not ending silently."""
        while True:
            try:
                return await reader.readline()
            except ValueError:
                self._log(
                    f"a report from the worker process was longer than {self.report_limit} "
                    "bytes; skipped it (its runs are in the journal; its metrics and claimed count are lost, "
                    "so the queue depth may read high until a restart)"
                )


class ProcessPool(WorkerPool):
    """The server's side of the pool: it counts the queue and keeps the health, and
    recovers expired leases like any instance; runs are claimed and executed by its
    :class:`WorkerProcess`."""

    def __init__(
        self,
        journal: Journal,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        log: Callable[[str], None],
        grace: float = 10.0,
        poll: float = 5.0,
        redact: Callable[[str], str] = str,
        queue_size: int = 1000,
    ) -> None:
        self.worker = WorkerProcess(argv, env=env, on_report=self._report, log=log, grace=grace)
        super().__init__(
            journal,
            _Elsewhere(),
            workers=0,
            log=log,
            grace=grace,
            poll=poll,
            redact=redact,
            held=ForwardedHeld(self.worker.send, queue_size),
        )
        self.metrics: ServeMetrics | None = None
        self._wake_due = False
        self._woken_at = -WAKE_EVERY

    @property
    def healthy(self) -> bool:
        return super().healthy and self.worker.problem is None

    def unhealthy_because(self) -> str:
        return self.worker.problem or super().unhealthy_because()

    async def start(self) -> None:
        await super().start()
        await self.worker.start()

    async def stop(self) -> None:
        await self.worker.stop()
        await super().stop()

    def notify(self) -> None:
        """A run was queued: count it, and wake the worker at the end of this turn of the
        loop, or ``WAKE_EVERY`` after its last wake if that is later."""
        self.backlog += 1
        if self._wake_due:
            return
        self._wake_due = True
        loop = asyncio.get_running_loop()
        wait = self._woken_at + WAKE_EVERY - loop.time()
        if wait > 0:
            loop.call_later(wait, self._wake_worker, loop)
        else:
            loop.call_soon(self._wake_worker, loop)

    def _wake_worker(self, loop: asyncio.AbstractEventLoop) -> None:
        self._wake_due = False
        self._woken_at = loop.time()
        self.worker.write(_WAKE)

    def _report(self, report: dict[str, Any]) -> None:
        claimed = report.get("claimed")
        if isinstance(claimed, int) and claimed > 0:
            self.backlog = max(0, self.backlog - claimed)
        if self.metrics is not None:
            for entry in report.get("metrics") or ():
                self.metrics.apply(entry)


__all__ = ["REPORT_EVERY", "WORKER_NICE", "ForwardedHeld", "ProcessPool", "WorkerProcess"]
