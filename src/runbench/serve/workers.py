"""Workers: asyncio tasks in the server process that take queued runs from the journal.

The HTTP handler only writes a queued run and answers; these tasks do the work. The
journal is the queue, not memory: a run is claimed there atomically (queued -> running)
before it starts, so a crash loses nothing and no run is started twice. At start the
pool asks the journal what was left over (queued runs, and runs interrupted by a dead
process) and goes on with those first.

``backlog`` counts queued runs for the 503 check without a query per request: it is read
from the journal at start, raised by each new delivery and lowered by each claim. That is
exact as long as one server owns the journal's queue (the CLI never queues runs).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from runbench.core.engine import Engine, RunHandle, RunResult
from runbench.core.errors import RunbenchError
from runbench.core.journal import Journal


class RunExecutor(Protocol):
    """What executes a journaled run (the engine, or a stand-in in tests)."""

    async def run_queued(self, run_id: str) -> Any: ...

    async def resume(self, run_id: str) -> Any: ...


class WorkerPool:
    """``workers`` tasks executing queued runs; ``workers=0`` only queues (runs wait)."""

    def __init__(
        self,
        journal: Journal,
        executor: RunExecutor,
        *,
        workers: int,
        log: Callable[[str], None],
        grace: float = 10.0,
        poll: float = 5.0,
    ) -> None:
        self.journal = journal
        self.executor = executor
        self.workers = workers
        self.backlog = 0
        self.grace = grace
        self.poll = poll  # look at the journal this often even without a wake-up
        self._log = log
        self._interrupted: deque[str] = deque()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._busy: dict[asyncio.Task[None], str] = {}
        self._stopping = False

    @property
    def running(self) -> int:
        return len(self._busy)

    async def start(self) -> None:
        """Recover what a previous server left, then start the worker tasks."""
        for run_id in self.journal.recover():
            row = self.journal.run(run_id)
            if row is None:
                continue
            if row.status == "queued":
                self.backlog += 1
            else:
                self._interrupted.append(run_id)
        if self.backlog or self._interrupted:
            self._log(
                f"recovered {self.backlog} queued and {len(self._interrupted)} "
                "interrupted run(s) from the journal"
            )
        self._stopping = False
        self._wake = asyncio.Event()
        self._tasks = [
            asyncio.create_task(self._work(), name=f"runbench-worker-{n}")
            for n in range(self.workers)
        ]
        self._wake.set()

    def notify(self) -> None:
        """A run was queued: count it and wake the workers."""
        self.backlog += 1
        self._wake.set()

    async def stop(self) -> None:
        """Stop claiming; give runs in progress ``grace`` seconds, then cancel them.

        A cancelled run stays *running* in the journal under this process; the next
        server start sees the process gone, marks it interrupted and resumes it."""
        self._stopping = True
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            if task not in self._busy:
                task.cancel()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.grace):
                await asyncio.gather(*tasks, return_exceptions=True)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _work(self) -> None:
        task = asyncio.current_task()
        assert task is not None
        while not self._stopping:
            run_id, resume = await self._next()
            self._busy[task] = run_id
            try:
                await self._execute(run_id, resume)
            finally:
                del self._busy[task]

    async def _next(self) -> tuple[str, bool]:
        while True:
            if self._interrupted:
                return self._interrupted.popleft(), True
            self._wake.clear()
            if self.backlog > 0:
                claimed = self.journal.claim_queued(1)
                if claimed:
                    self.backlog -= 1
                    if self.backlog > 0:
                        self._wake.set()  # more waiting: let another worker take one
                    return claimed[0].id, False
                self.backlog = 0  # the journal says none is left
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll):
                    await self._wake.wait()
                    continue
            self.backlog = max(self.backlog, 1)  # nobody woke us: look at the journal anyway

    async def _execute(self, run_id: str, resume: bool) -> None:
        started = time.monotonic()
        try:
            if resume:
                result = await self.executor.resume(run_id)
            else:
                result = await self.executor.run_queued(run_id)
        except asyncio.CancelledError:
            # Shut down mid-run: the next start resumes it from the step it was in.
            self.journal.set_status(run_id, "interrupted")
            self._log(f"run {run_id} interrupted by shutdown; it resumes at the next start")
            raise
        except Exception as exc:  # a broken run must not kill the worker
            self._log(f"run {run_id} could not run: {type(exc).__name__}: {exc}")
            return
        took = (time.monotonic() - started) * 1000
        status = getattr(result, "status", "done")
        self._log(f"run {run_id} {'resumed, ' if resume else ''}{status} in {took:.0f} ms")


class EngineExecutor:
    """Runs journaled runs on an :class:`Engine` and waits for each to end.

    A run the engine refuses to start (its runbook was removed, its stored inputs no
    longer fit) is finished as a failure in the journal, so it does not stay *running*."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def run_queued(self, run_id: str) -> RunResult:
        return await self._start(run_id, self.engine.run_queued)

    async def resume(self, run_id: str) -> RunResult:
        return await self._start(run_id, self.engine.resume)

    async def _start(self, run_id: str, start: Callable[[str], RunHandle]) -> RunResult:
        try:
            handle = start(run_id)
        except RunbenchError as exc:
            if self.engine.journal is not None:
                self.engine.journal.finish_run(run_id, "failure", str(exc), "")
            raise
        try:
            return await handle.result()
        except asyncio.CancelledError:
            handle.task.cancel()  # result() shields the run; stop it for real
            with contextlib.suppress(BaseException):
                await handle.task
            raise
