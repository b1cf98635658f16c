"""`runbench serve`: the public endpoints of a workspace's runbooks (webhooks).

Not part of ``runbench.core``: a Starlette app on uvicorn. The rules of what a request
must carry are in ``runbench.core.intake._intake``; the queue is the run journal; the runs are
executed by the engine on worker tasks, in the server process or (the CLI's default) in a
worker process it supervises (``process``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from runbench.core.engine import Engine
from runbench.core.errors import RunbenchError
from runbench.core.journal import Journal
from runbench.core.secrets import Secrets
from runbench.core.workspace import Workspace
from runbench.serve.app import ServeApp, create_app
from runbench.serve.deliveries import BODY_TIMEOUT
from runbench.serve.logs import BatchedLog
from runbench.serve.metrics import CountRequests, ServeMetrics
from runbench.serve.process import ProcessPool, WorkerProcess
from runbench.serve.schedules import Scheduler
from runbench.serve.server import RunningServer, serve_forever, start_in_thread
from runbench.serve.workers import EngineExecutor, RunExecutor, WorkerPool


def build_app(
    workspace: Workspace,
    *,
    state_dir: str | Path | None = None,
    journal: Journal | None = None,
    environ: Mapping[str, str] | None = None,
    workers: int = 4,
    queue_size: int = 1000,
    clock: Callable[[], float] = time.time,
    log: Callable[[str], None] = print,
    durable: bool = False,
    grace: float = 10.0,
    poll: float = 5.0,
    access_log: Callable[[dict[str, Any]], None] | None = None,
    body_timeout: float = BODY_TIMEOUT,
    worker_process: Sequence[str] | None = None,
    **engine_kwargs: Any,
) -> Starlette:
    """The endpoint app with its own journal (beside the workspace) and engine.

    ``access_log`` takes each request as a record (JSON logs) instead of a ``log`` line;
    ``worker_process``: the command of a worker process that executes the runs (see
    ``process``; the CLI's default), instead of ``workers`` tasks in this one;
    ``engine_kwargs`` go to :class:`Engine` (e.g. ``transport=`` in tests)."""
    environ = os.environ if environ is None else environ
    if journal is None:
        journal = Journal.for_workspace(workspace.path, state_dir, durable=durable, clock=clock)
    secrets = Secrets(workspace.path, environ)
    engine = Engine(
        workspace, journal=journal, secrets=secrets, clock=clock, trigger="serve", **engine_kwargs
    )
    pool = None
    if worker_process is not None:
        secrets.preload(workspace)
        pool = ProcessPool(
            journal,
            worker_process,
            env=environ,
            log=log,
            grace=grace,
            poll=poll,
            redact=secrets.redactor.text,
            queue_size=queue_size,
        )
    app = create_app(
        workspace,
        journal=journal,
        executor=EngineExecutor(engine),
        secrets=secrets,
        workers=workers,
        queue_size=queue_size,
        clock=clock,
        log=log,
        grace=grace,
        poll=poll,
        access_log=access_log,
        body_timeout=body_timeout,
        pool=pool,
    )
    app.state.engine = engine
    add_metrics(app, workspace, engine)
    add_schedules(app, workspace, clock, log)
    add_retention(app, workspace, journal, log)
    return app


PRUNE_EVERY = 3600.0


def add_retention(
    app: Starlette, workspace: Workspace, journal: Journal, log: Callable[[str], None]
) -> None:
    """With ``retention_days``, delete finished runs older than that at start and hourly
    (every instance may; deleting twice deletes nothing more)."""
    if workspace.retention_days <= 0:
        return
    age = workspace.retention_days * 86400

    async def prune() -> None:
        while True:
            try:
                deleted = await asyncio.to_thread(journal.prune, age)  # chunks of its own
            except RunbenchError as exc:
                log(f"retention: could not prune the journal: {exc}")
            else:
                if deleted:
                    log(
                        f"retention: deleted {deleted} run(s) older than "
                        f"{workspace.retention_days:g} days"
                    )
            await asyncio.sleep(PRUNE_EVERY)

    run_alongside(app, prune, "retention")


def add_metrics(app: Starlette, workspace: Workspace, engine: Engine) -> ServeMetrics:
    """``GET /metrics`` on ``app``: requests counted by a middleware, runs and steps
    from the engine's event stream, read by a task that lives as long as the app."""
    public = frozenset(rb.id for rb in workspace.runbooks.values() if rb.public)
    metrics = ServeMetrics(public)
    pool = app.state.pool
    metrics.watch_queue(lambda: float(pool.backlog))
    if isinstance(pool, ProcessPool):
        pool.metrics = metrics  # the worker process reports its runs and steps
    app.add_middleware(CountRequests, metrics=metrics)
    app.add_route("/metrics", metrics.endpoint, methods=["GET"])
    events = engine.subscribe  # subscribed when the app starts, not before
    run_alongside(app, lambda: metrics.follow(events()), "metrics")
    app.state.metrics = metrics
    if isinstance(app, ServeApp):
        app.counted = metrics.request  # each delivery, without the middleware
    return metrics


def add_schedules(
    app: Starlette, workspace: Workspace, clock: Callable[[], float], log: Callable[[str], None]
) -> Scheduler | None:
    """Queue the runs of runbooks with a ``schedule`` at their ticks, while ``app`` runs."""
    if not any(rb.schedule for rb in workspace.runbooks.values()):
        return None
    pool = app.state.pool
    scheduler = Scheduler(workspace, app.state.journal, pool.notify, clock=clock, log=log)
    run_alongside(app, scheduler.run, "schedules")
    app.state.scheduler = scheduler
    return scheduler


def run_alongside(app: Starlette, work: Callable[[], Coroutine[Any, Any, None]], name: str) -> None:
    """A task running ``work()`` from the app's start until its end (lifespan)."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(work(), name=f"runbench-{name}")
        try:
            async with inner(app):
                yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app.router.lifespan_context = lifespan


__all__ = [
    "BatchedLog",
    "EngineExecutor",
    "ProcessPool",
    "RunExecutor",
    "RunningServer",
    "Scheduler",
    "ServeMetrics",
    "WorkerPool",
    "WorkerProcess",
    "build_app",
    "create_app",
    "serve_forever",
    "start_in_thread",
]
