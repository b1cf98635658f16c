"""The public endpoint as a Starlette app: ``POST /runbooks/{id}`` per public runbook
(``deliveries``), ``GET /healthz``, and an access log line per request.

/healthz answers 503 (with the reason) while the journal cannot be written or runs
cannot be claimed, so a load balancer or an orchestrator sees a stuck server.

Nothing here lists runs or shows run data: the endpoint is reachable by anyone who
has its URL, so it answers with a run id and nothing else.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from types import MappingProxyType
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runbench.core.controls import log_safe
from runbench.core.intake import Gate
from runbench.core.journal import Journal
from runbench.core.secrets import Secrets
from runbench.core.workspace import Workspace
from runbench.serve.deliveries import BODY_TIMEOUT, LOG_KEY, RETRY_AFTER, Deliveries
from runbench.serve.held import HeldInputs
from runbench.serve.workers import RunExecutor, WorkerPool

NOT_FOUND: Mapping[str, str] = MappingProxyType({"error": "not found"})
_DELIVERY_PATH = re.compile(r"/runbooks/([^/]+)")


def gates_of(workspace: Workspace, secrets: Secrets, clock: Callable[[], float]) -> dict[str, Gate]:
    """A gate per public runbook (resolving its secrets now: a missing one stops the start)."""
    return {
        rb.id: Gate(rb, secrets, clock=clock) for rb in workspace.runbooks.values() if rb.public
    }


async def _http_error(_request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 404:
        return JSONResponse(dict(NOT_FOUND), status_code=404)
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
    message = "method not allowed" if status == 405 else "error"
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class Health:
    """``GET /healthz``: 200 while runs can be accepted, claimed and recorded, else 503."""

    def __init__(self, pool: WorkerPool, journal: Journal) -> None:
        self.pool = pool
        self.journal = journal

    async def __call__(self, _request: Request) -> Response:
        if not self.pool.healthy:
            problem = self.pool.unhealthy_because()
            body = {"status": "unavailable", "queued": self.pool.backlog, "problem": problem}
            return JSONResponse(body, status_code=503, headers={"Retry-After": RETRY_AFTER})
        return JSONResponse({"status": "ok", "queued": self.pool.backlog})


class RequestLog:
    """Where each request goes once answered: a line to ``log``, or with ``fields``
    (``--log-format json``) a record: client, method, path, status, runbook (a public
    one, else None), run_id, ms.

    Only the path is logged (no query string, no headers, no body): a query string or a
    body may carry secrets, and the run id is what ties the entry to the journal."""

    def __init__(
        self,
        log: Callable[[str], None],
        fields: Callable[[dict[str, Any]], None] | None = None,
        runbooks: frozenset[str] = frozenset(),
    ) -> None:
        self.log = log
        self.fields = fields
        self.runbooks = runbooks

    def write(self, scope: Scope, status: int, run_id: str | None, ms: float) -> None:
        if self.fields is not None:
            self.fields(self.record(scope, status, run_id, ms))
            return
        path = log_safe(str(scope["path"]))
        self.log(f"{scope['method']} {path} {status} run={run_id or '-'} {ms:.1f}ms")

    def record(self, scope: Scope, status: int, run_id: str | None, ms: float) -> dict[str, Any]:
        path = str(scope["path"])
        name = path.removeprefix("/runbooks/") if path.startswith("/runbooks/") else ""
        client = scope.get("client")
        return {
            "client": client[0] if client else None,
            "method": scope["method"],
            "path": log_safe(path),
            "status": status,
            "runbook": name if name in self.runbooks else None,
            "run_id": run_id,
            "ms": round(ms, 1),
        }


class AccessLog:
    """ASGI middleware: every request that is not a delivery, to the RequestLog."""

    def __init__(
        self,
        app: ASGIApp,
        requests: RequestLog,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.app = app
        self.requests = requests
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = self.clock()
        status = [0]
        notes: dict[str, Any] = {}
        scope[LOG_KEY] = notes

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            took = (self.clock() - started) * 1000
            self.requests.write(scope, status[0] or 500, notes.get("run_id"), took)


class ServeApp(Starlette):
    """The Starlette app, with deliveries taken straight to their handler.

    ``POST /runbooks/{id}`` is what every webhook sends: it skips the middleware stack
    and the router (each a coroutine layer per request and per resumption) and writes
    its access log entry itself; metrics, when the app has them (``counted``, set with
    ``state.metrics``), are told its status the same way. Everything else goes through
    Starlette as usual."""

    deliveries: Deliveries
    requests: RequestLog
    counted: Callable[[str, int], None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await super().__call__(scope, receive, send)
            return
        found = _DELIVERY_PATH.fullmatch(scope["path"])
        if found is None:
            await super().__call__(scope, receive, send)
            return
        started = time.perf_counter()
        scope["path_params"] = {"runbook_id": found.group(1)}
        notes: dict[str, Any] = {}
        scope[LOG_KEY] = notes
        scope["app"] = self
        try:
            await self.deliveries(scope, receive, send)
        finally:
            status = int(notes.get("status") or 500)
            took = (time.perf_counter() - started) * 1000
            self.requests.write(scope, status, notes.get("run_id"), took)
            if self.counted is not None:
                self.counted(scope["path"], status)


def create_app(
    workspace: Workspace,
    *,
    journal: Journal,
    executor: RunExecutor,
    secrets: Secrets,
    workers: int = 4,
    queue_size: int = 1000,
    clock: Callable[[], float] = time.time,
    log: Callable[[str], None] = print,
    grace: float = 10.0,
    body_timeout: float = BODY_TIMEOUT,
    poll: float = 5.0,
    access_log: Callable[[dict[str, Any]], None] | None = None,
    pool: WorkerPool | None = None,
) -> Starlette:
    """The app for ``workspace``'s public runbooks; workers start with the app (lifespan).

    ``pool``: where runs go (default: ``workers`` tasks of this process running ``executor``).
    ``app.state.pool`` is the worker pool, ``app.state.gates`` the gate of each runbook."""
    secrets.preload(workspace)  # what the pool and the deliveries log or store is redacted
    gates = gates_of(workspace, secrets, clock)
    limits = {rb.id: rb.max_concurrent for rb in workspace.runbooks.values()}
    pool = pool or WorkerPool(
        journal,
        executor,
        workers=workers,
        log=log,
        grace=grace,
        limits=limits,
        poll=poll,
        redact=secrets.redactor.text,
        held=HeldInputs(queue_size),
    )
    deliveries = Deliveries(
        gates,
        journal,
        pool,
        queue_size,
        log=log,
        body_timeout=body_timeout,
        redactor=secrets.redactor,
    )

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await pool.start()
        try:
            yield
        finally:
            await pool.stop()

    routes = [
        Route("/healthz", Health(pool, journal).__call__, methods=["GET"]),
        Route("/runbooks/{runbook_id}", deliveries, methods=["POST"]),
    ]
    app = ServeApp(
        routes=routes, lifespan=lifespan, exception_handlers={404: _http_error, 405: _http_error}
    )
    requests = RequestLog(log, access_log, frozenset(gates))
    app.deliveries = deliveries
    app.requests = requests
    app.add_middleware(AccessLog, requests=requests)
    app.state.pool = pool
    app.state.gates = gates
    app.state.journal = journal
    return app
