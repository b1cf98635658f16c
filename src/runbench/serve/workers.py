"""Workers: the runs `serve` accepted, taken from the journal and executed in this process.

The HTTP handler only writes a queued run and answers; a dispatcher task claims runs
from the journal (``Journal.claim``: the oldest that may start now, queued ones and
interrupted `serve` runs to resume, never more than a runbook's ``max_concurrent``)
whenever a worker slot is free, and starts each on the engine. A run waiting for a
slot stays *queued* in the journal: it holds no worker and no memory here.

The journal is the queue, not memory, so a crash loses nothing and no run starts twice.
It can fail (locked for long, disk full, read-only): then the pool logs it once, backs
off and retries, reports itself unhealthy (``problem``; /healthz answers 503) and keeps
every run it holds on course to a final state; a worker never dies of it. Nor does
the dispatcher die of anything else: a failure that is not the journal's (a bug) is
logged as one clear line and the dispatcher goes on after a pause.

``backlog`` (queued runs, for the queue-full 503) is counted here, not queried per
request: read from the journal at start and at every poll, raised by each delivery,
lowered by each claim of a queued run.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from runbench.core.engine import Engine
from runbench.core.errors import JournalError, RunbenchError
from runbench.core.journal import Claim, Journal
from runbench.serve.held import HeldInputs

STOPPED = "interrupted: the server stopped during the run; it resumes at the next start"
RESUMED_TRIGGERS = ("serve", "schedule")


class RunExecutor(Protocol):
    """What executes a claimed run to its end (the engine, or a stand-in in tests)."""

    def execute(self, claim: Claim) -> Awaitable[Any]: ...


class Backoff:
    """Growing pauses between retries of a failing journal (0.05 s doubling to ``cap``)."""

    def __init__(self, cap: float = 5.0) -> None:
        self.cap = cap
        self.delay = 0.0

    def reset(self) -> None:
        self.delay = 0.0

    def next(self) -> float:
        self.delay = min(self.cap, max(0.05, self.delay * 2))
        return self.delay


class WorkerPool:
    """Up to ``workers`` runs at once; ``workers=0`` only queues (runs wait)."""

    def __init__(
        self,
        journal: Journal,
        executor: RunExecutor,
        *,
        workers: int,
        log: Callable[[str], None],
        grace: float = 10.0,
        poll: float = 5.0,
        limits: Mapping[str, int] | None = None,
        max_crashes: int = 3,
        redact: Callable[[str], str] = str,
        held: HeldInputs | None = None,
        arrival: float = 0.0,
    ) -> None:
        """``redact`` blanks secrets in what the pool logs and journals (the workspace's
        ``Redactor.text``); ``held``: secret inputs of accepted deliveries (see ``held``),
        waited for up to ``arrival`` seconds when they come from another process."""
        self.journal = journal
        self.executor = executor
        self.workers = workers
        self.backlog = 0
        self.grace = grace
        self.poll = poll  # look at the journal this often even without a wake-up
        self.limits = dict(limits or {})
        self.max_crashes = max_crashes
        self.problem: str | None = None
        self.held = held if held is not None else HeldInputs()
        self.arrival = arrival
        self._redact = redact
        self._log = log
        self._wake = asyncio.Event()
        self._running: dict[asyncio.Task[None], str] = {}
        self._dispatcher: asyncio.Task[None] | None = None
        self._stopping = False
        self._backoff = Backoff()
        self._doing = "dispatching runs"  # named by the catch-all if it fails (``_dispatch``)

    @property
    def running(self) -> int:
        return len(self._running)

    @property
    def healthy(self) -> bool:
        return self.problem is None and self.journal.problem is None

    def unhealthy_because(self) -> str:
        return self.problem or str(self.journal.problem)

    # -- life --------------------------------------------------------------------------------
    async def start(self) -> None:
        """Recover what a previous server left (in the background), then dispatch."""
        self._stopping = False
        self._wake = asyncio.Event()
        self._dispatcher = asyncio.create_task(self._dispatch(), name="runbench-dispatcher")

    def notify(self) -> None:
        """A run was queued: count it and wake the dispatcher."""
        self.backlog += 1
        self._wake.set()

    async def stop(self) -> None:
        """Stop claiming; give runs in progress ``grace`` seconds, then cancel them.

        A cancelled run is given back to the journal as *interrupted* (no crash counted);
        the next start resumes it from the step it was in."""
        self._stopping = True
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            await asyncio.gather(self._dispatcher, return_exceptions=True)
        tasks = list(self._running)
        if tasks:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.grace):
                    await asyncio.gather(*tasks, return_exceptions=True)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- health -------------------------------------------------------------------------------
    def failed(self, what: str, exc: BaseException) -> None:
        """Note a journal failure (logged once per new reason)."""
        text = self._redact(f"{what}: {exc}")
        if text != self.problem:
            self._log(f"journal problem, retrying: {text}")
        self.problem = text

    def recovered(self) -> None:
        if self.problem is not None:
            self._log("journal available again")
        self.problem = None
        self._backoff.reset()

    # -- dispatching --------------------------------------------------------------------------
    async def _dispatch(self) -> None:
        """The one catch-all of the dispatcher: a failure that is not the journal's (a bug,
        in a claim, a look at the leases or a run's start) is logged naming what it was
        doing, and dispatching goes on after a pause that grows while it keeps failing."""
        await self._recover_at_start()
        while not self._stopping:
            try:
                await self._dispatch_until_stopped()
            except Exception as exc:  # a bug: one run, one claim, must not stop them all
                self._unexpected(self._doing, exc)
                await asyncio.sleep(self._backoff.next())

    def _unexpected(self, what: str, exc: BaseException) -> None:
        self._log(
            self._redact(
                f"{what} failed unexpectedly ({type(exc).__name__}: {exc}); a runbench bug, "
                "please report it; the server goes on"
            )
        )

    async def _dispatch_until_stopped(self) -> None:
        last_poll = time.monotonic()
        while not self._stopping:
            if time.monotonic() - last_poll >= self.poll:
                last_poll = time.monotonic()
                self._doing = "checking leases"
                await self._look_again()
            free = self.workers - len(self._running)
            claims: list[Claim] = []
            self._wake.clear()  # before the claim: a wake while it is out is kept
            if free > 0:
                self._doing = "claiming runs"
                claims = await self._claim(free)
            self._doing = "starting runs"
            for claim in claims:
                task = asyncio.create_task(self._execute(claim), name=f"run-{claim.row.id}")
                self._running[task] = claim.row.id
            if claims and len(claims) == free:
                continue  # maybe more waiting: claim again once a slot frees
            self._doing = "waiting for work"
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, self.poll - (time.monotonic() - last_poll))):
                    await self._wake.wait()

    async def _recover_at_start(self) -> None:
        while not self._stopping:
            try:
                expired = await self.journal.call(self.journal.mark_interrupted)
                self.backlog = await self.journal.call(self.journal.count_queued)
            except JournalError as exc:
                self.failed("recovery at start", exc)
                await asyncio.sleep(self._backoff.next())
                continue
            except Exception as exc:  # dispatch anyway: the periodic look tries it again
                self._unexpected("recovery at start", exc)
                return
            self.recovered()
            if self.backlog or expired:
                self._log(
                    f"recovered {self.backlog} queued and {len(expired)} interrupted run(s) "
                    "from the journal"
                )
            return

    async def _look_again(self) -> None:
        """The periodic look: expired leases (any instance's) and the true queue length."""
        try:
            await self.journal.call(self.journal.mark_interrupted)
            self.backlog = await self.journal.call(self.journal.count_queued)
        except JournalError as exc:
            self.failed("checking leases", exc)

    async def _claim(self, free: int) -> list[Claim]:
        try:
            claims = await self.journal.call(
                self.journal.claim,
                free,
                limits=self.limits,
                resume=RESUMED_TRIGGERS,
                max_crashes=self.max_crashes,
            )
        except JournalError as exc:
            self.failed("claiming runs", exc)
            await asyncio.sleep(self._backoff.next())
            return []
        self.recovered()
        queued = sum(1 for claim in claims if claim.resume is None)
        self.backlog = max(0, self.backlog - queued)
        return claims

    # -- one run ------------------------------------------------------------------------------
    async def _execute(self, claim: Claim) -> None:
        run_id = claim.row.id
        started = time.monotonic()
        try:
            restored = await self.held.restore_arriving(claim, self.arrival)
            result = await self.executor.execute(restored)
        except asyncio.CancelledError:
            await self._settle(run_id, lambda: self.journal.release(run_id, STOPPED), final=True)
            self._log(f"run {run_id} interrupted by shutdown; it resumes at the next start")
            raise
        except JournalError as exc:
            self.failed(f"run {run_id}", exc)
            why = self._redact(f"interrupted: the journal failed during the run ({exc})")
            await self._settle(run_id, lambda: self.journal.release(run_id, why))
            self._log(f"run {run_id} stopped by a journal failure; it will be resumed")
        except Exception as exc:  # refused to start, or a bug: it must still end
            why = self._redact(f"could not run: {type(exc).__name__}: {exc}")
            if not isinstance(exc, RunbenchError):
                why += " (a runbench bug; please report it)"
            await self._settle(run_id, lambda: self.journal.finish_run(run_id, "failure", why, ""))
            self._log(f"run {run_id} {why}")
        else:
            self.recovered()  # its steps and end were journaled: the journal works again
            took = (time.monotonic() - started) * 1000
            status = getattr(result, "status", "done")
            self._log(
                f"run {run_id} {'resumed, ' if claim.resume else ''}{status} in {took:.0f} ms"
            )
        finally:
            self._running.pop(asyncio.current_task(), None)  # type: ignore[arg-type]
            self._wake.set()  # a slot is free (and a max_concurrent slot, maybe)

    async def _settle(self, run_id: str, write: Callable[[], None], *, final: bool = False) -> None:
        """Write a run's outcome, retrying while the journal fails (until stopped)."""
        backoff = Backoff()
        while True:
            try:
                await self.journal.call(write)
                await self.journal.committed(run_id)
                return
            except JournalError as exc:
                self.failed(f"recording run {run_id}", exc)
                if final or self._stopping:
                    return  # its lease expires; the next start recovers it
                await asyncio.sleep(backoff.next())


class EngineExecutor:
    """Runs claimed runs on an :class:`Engine` and waits for each to end."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def execute(self, claim: Claim) -> Any:
        handle = self.engine.start_claimed(claim)
        try:
            return await handle.result()
        except asyncio.CancelledError:
            handle.task.cancel()  # result() shields the run; stop it for real
            with contextlib.suppress(BaseException):
                await handle.task
            raise


__all__ = ["Backoff", "EngineExecutor", "RunExecutor", "STOPPED", "WorkerPool"]
