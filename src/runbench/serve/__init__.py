"""`runbench serve`: the public endpoints of a workspace's runbooks (webhooks).

Not part of ``runbench.core``: a Starlette app on uvicorn. The rules of what a request
must carry are in ``runbench.core.intake._intake``; the queue is the run journal; the runs are
executed by the engine on worker tasks in the server process.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from runbench.core.engine import Engine
from runbench.core.journal import Journal
from runbench.core.secrets import Secrets
from runbench.core.workspace import Workspace
from runbench.serve.app import create_app
from runbench.serve.server import RunningServer, start_in_thread
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
    **engine_kwargs: Any,
) -> Starlette:
    """The endpoint app with its own journal (beside the workspace) and engine.

    ``engine_kwargs`` go to :class:`Engine` (e.g. ``transport=`` in tests)."""
    environ = os.environ if environ is None else environ
    if journal is None:
        journal = Journal.for_workspace(workspace.path, state_dir, durable=durable, clock=clock)
    secrets = Secrets(workspace.path, environ)
    engine = Engine(
        workspace, journal=journal, secrets=secrets, clock=clock, trigger="serve", **engine_kwargs
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
    )
    app.state.engine = engine
    return app


__all__ = [
    "EngineExecutor",
    "RunExecutor",
    "RunningServer",
    "WorkerPool",
    "build_app",
    "create_app",
    "start_in_thread",
]
