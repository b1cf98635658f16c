"""The public endpoint as a Starlette app: one POST route per public runbook, plus /healthz.

Order of checks on ``POST /runbooks/{id}``, cheapest and least revealing first:
unknown or non-public runbook (404, the same body as any unknown path), declared size
(413), auth as far as the headers go (401: Basic fully, a signature's presence and
form), then the body, read under a deadline (408) and a size cap (413), the signature
over the raw body (401, one body for every reason), payload and inputs (415, 400, 422),
then the journal: a repeated delivery id answers with the first run, a full queue
answers 503, otherwise the run is committed as *queued* before ``202`` goes out.
The rules live in ``runbench.core.intake``; this module only moves bytes and statuses.

The journal is written on its own thread, so a request waits for its commit without
holding the event loop; a journal that cannot be written answers 503 (Retry-After),
never 500, and /healthz says 503 until it recovers.

Nothing here lists runs or shows run data: the endpoint is reachable by anyone who
has its URL, so it answers with a run id and nothing else.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from types import MappingProxyType
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runbench.core.errors import JournalError
from runbench.core.intake import Gate, Refusal, Submission
from runbench.core.journal import Journal
from runbench.core.secrets import Secrets
from runbench.core.workspace import Workspace
from runbench.serve.workers import RunExecutor, WorkerPool

NOT_FOUND: Mapping[str, str] = MappingProxyType({"error": "not found"})
RETRY_AFTER = "5"
LOG_KEY = "runbench.log"
BODY_TIMEOUT = 10.0
"""Seconds a client has to send the whole body once its headers are in."""
UNAVAILABLE = Refusal(503, "the journal is unavailable; retry later")


def gates_of(workspace: Workspace, secrets: Secrets, clock: Callable[[], float]) -> dict[str, Gate]:
    """A gate per public runbook (resolving its secrets now: a missing one stops the start)."""
    return {
        rb.id: Gate(rb, secrets, clock=clock) for rb in workspace.runbooks.values() if rb.public
    }


def _refuse(refusal: Refusal) -> Response:
    headers = {}
    if refusal.status == 503:
        headers["Retry-After"] = RETRY_AFTER
    return JSONResponse(refusal.body(), status_code=refusal.status, headers=headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 404:
        return JSONResponse(dict(NOT_FOUND), status_code=404)
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
    message = "method not allowed" if status == 405 else "error"
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it grows past ``limit`` (Content-Length can lie)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class Endpoints:
    """The request handlers, bound to the gates, the journal and the worker pool."""

    def __init__(
        self,
        gates: Mapping[str, Gate],
        journal: Journal,
        pool: WorkerPool,
        queue_size: int,
        *,
        log: Callable[[str], None] = print,
        body_timeout: float = BODY_TIMEOUT,
    ) -> None:
        self.gates = gates
        self.journal = journal
        self.pool = pool
        self.queue_size = queue_size
        self.log = log
        self.body_timeout = body_timeout

    async def healthz(self, request: Request) -> Response:
        if not self.pool.healthy:
            problem = self.pool.problem or str(self.journal.problem)
            body = {"status": "unavailable", "queued": self.pool.backlog, "problem": problem}
            return JSONResponse(body, status_code=503, headers={"Retry-After": RETRY_AFTER})
        return JSONResponse({"status": "ok", "queued": self.pool.backlog})

    async def post(self, request: Request) -> Response:
        gate = self.gates.get(request.path_params["runbook_id"])
        if gate is None:
            return JSONResponse(dict(NOT_FOUND), status_code=404)
        try:
            outcome = await self._admit(gate, request)
        except Exception as exc:  # a bug: say so in the log, never a traceback to the caller
            self.log(f"error on POST /runbooks/{gate.runbook.id}: {type(exc).__name__}: {exc}")
            return JSONResponse({"error": "error"}, status_code=500)
        if isinstance(outcome, Refusal):
            response = _refuse(outcome)
            if outcome.status == 401 and gate.auth == "basic":
                response.headers["WWW-Authenticate"] = 'Basic realm="runbench"'
            if outcome.status == 408:
                response.headers["Connection"] = "close"
            return response
        request.scope.setdefault(LOG_KEY, {})["run_id"] = outcome
        return JSONResponse({"run_id": outcome}, status_code=202)

    async def _admit(self, gate: Gate, request: Request) -> str | Refusal:
        refusal = gate.too_large(request.headers.get("content-length"))
        refusal = refusal or gate.precheck(request.headers)
        if refusal is not None:
            return refusal
        try:
            async with asyncio.timeout(self.body_timeout):
                body = await read_body(request, gate.endpoint.max_body)
        except ClientDisconnect:
            return Refusal(400, "the client went away")
        except TimeoutError:
            return Refusal(408, f"the body did not arrive within {self.body_timeout:g} s")
        if body is None:
            return gate.oversize()
        refusal = gate.authenticate(request.headers, body)
        if refusal is not None:
            return refusal
        submission = gate.admit(body, request.headers.get("content-type"))
        if isinstance(submission, Refusal):
            return submission
        return await self._enqueue(gate, submission, gate.delivery_id(request.headers))

    async def _enqueue(
        self, gate: Gate, submission: Submission, delivery_id: str | None
    ) -> str | Refusal:
        try:
            run_id, created = await self.journal.call(
                self.journal.enqueue,
                gate.runbook.id,
                submission.inputs,
                submission.context,
                "serve",
                delivery_id,
                full=self.pool.backlog >= self.queue_size,
            )
        except JournalError as exc:
            self.pool.failed("accepting a delivery", exc)
            return UNAVAILABLE
        self.pool.recovered()
        if run_id is None:
            return Refusal(503, "the queue is full; retry later")
        if created:
            self.pool.notify()
        return run_id


def printable(text: str, limit: int = 200) -> str:
    """``text`` safe for one log line (a crafted path cannot forge a second line)."""
    return "".join(c if c.isprintable() else "?" for c in text[:limit])


class AccessLog:
    """ASGI middleware: one line per request with method, path, status, run id, duration.

    Only the path is logged (no query string, no headers, no body): a query string or a
    body may carry secrets, and the run id is what ties the line to the journal. With
    ``fields`` (``--log-format json``) each request goes there as a record instead:
    client, method, path, status, runbook (a public one, else None), run_id, ms."""

    def __init__(
        self,
        app: ASGIApp,
        log: Callable[[str], None],
        clock: Callable[[], float] = time.perf_counter,
        fields: Callable[[dict[str, Any]], None] | None = None,
        runbooks: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.log = log
        self.clock = clock
        self.fields = fields
        self.runbooks = runbooks

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
            if self.fields is not None:
                self.fields(self.record(scope, status[0] or 500, notes.get("run_id"), took))
            else:
                run = notes.get("run_id") or "-"
                self.log(
                    f"{scope['method']} {printable(scope['path'])} {status[0] or 500} run={run} "
                    f"{took:.1f}ms"
                )

    def record(self, scope: Scope, status: int, run_id: str | None, ms: float) -> dict[str, Any]:
        path = str(scope["path"])
        name = path.removeprefix("/runbooks/") if path.startswith("/runbooks/") else ""
        client = scope.get("client")
        return {
            "client": client[0] if client else None,
            "method": scope["method"],
            "path": printable(path),
            "status": status,
            "runbook": name if name in self.runbooks else None,
            "run_id": run_id,
            "ms": round(ms, 1),
        }


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
) -> Starlette:
    """The app for ``workspace``'s public runbooks; workers start with the app (lifespan).

    ``app.state.pool`` is the worker pool, ``app.state.gates`` the gate of each runbook."""
    gates = gates_of(workspace, secrets, clock)
    limits = {rb.id: rb.max_concurrent for rb in workspace.runbooks.values()}
    pool = WorkerPool(
        journal, executor, workers=workers, log=log, grace=grace, limits=limits, poll=poll
    )
    endpoints = Endpoints(gates, journal, pool, queue_size, log=log, body_timeout=body_timeout)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await pool.start()
        try:
            yield
        finally:
            await pool.stop()

    routes = [
        Route("/healthz", endpoints.healthz, methods=["GET"]),
        Route("/runbooks/{runbook_id}", endpoints.post, methods=["POST"]),
    ]
    app = Starlette(
        routes=routes, lifespan=lifespan, exception_handlers={404: _http_error, 405: _http_error}
    )
    app.add_middleware(AccessLog, log=log, fields=access_log, runbooks=frozenset(gates))
    app.state.pool = pool
    app.state.gates = gates
    app.state.journal = journal
    return app
