"""``POST /runbooks/{id}``: a delivery, checked and committed to the journal before 202.

Order of checks, cheapest and least revealing first: unknown or non-public runbook
(404, the same body as any unknown path), declared size (413), auth as far as the
headers go (401: Basic fully, a signature's presence and form), then the body, read
under a deadline (408, and the connection closed) and a size cap (413), the signature
over the raw body (401, one body for every reason), payload and inputs (415, 400, 422),
then the journal: a repeated delivery id answers with the first run, a full queue
answers 503, otherwise the run is committed as *queued* before ``202`` goes out. The
rules live in ``runbench.core.intake``; this module only moves bytes and statuses.

It is a bare ASGI app, not a Starlette endpoint: this is the path every webhook takes,
and building Request and Response objects for a status and a run id cost a fifth of
the server's time per delivery. The journal is written on its own thread, so a request
waits for its commit without holding the event loop; a journal that cannot be written
answers 503 (Retry-After), never 500.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from typing import Any

from starlette.types import Receive, Scope, Send

from runbench.core.errors import JournalError
from runbench.core.intake import Gate, Refusal, Submission
from runbench.core.journal import Journal
from runbench.core.secrets import Redactor
from runbench.serve.workers import WorkerPool
from runbench.webguards import BODY_TIMEOUT, Deadlines

LOG_KEY = "runbench.log"
"""Where a request's notes for the access log live in the ASGI scope (status, run id)."""
RETRY_AFTER = "5"
NOT_FOUND_BODY = b'{"error":"not found"}'
UNAVAILABLE = Refusal(503, "the journal is unavailable; retry later")
QUEUE_FULL = Refusal(503, "the queue is full; retry later")
_JSON = (b"content-type", b"application/json")


class ClientGone(Exception):
    """The client disconnected before its body was in."""


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The body, or None as soon as it grows past ``limit`` (Content-Length can lie)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def send_json(
    send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [_JSON, (b"content-length", str(len(body)).encode())]
    await send(
        {"type": "http.response.start", "status": status, "headers": headers + (extra or [])}
    )
    await send({"type": "http.response.body", "body": body})


def refusal_headers(refusal: Refusal, gate: Gate) -> list[tuple[bytes, bytes]]:
    extra: list[tuple[bytes, bytes]] = []
    if refusal.status == 503:
        extra.append((b"retry-after", RETRY_AFTER.encode()))
    if refusal.status == 401 and gate.auth == "basic":
        extra.append((b"www-authenticate", b'Basic realm="runbench"'))
    if refusal.status == 408:
        extra.append((b"connection", b"close"))
    return extra


class Deliveries:
    """The ASGI app of ``POST /runbooks/{runbook_id}`` (see the module docstring)."""

    def __init__(
        self,
        gates: Mapping[str, Gate],
        journal: Journal,
        pool: WorkerPool,
        queue_size: int,
        *,
        log: Callable[[str], None] = print,
        body_timeout: float = BODY_TIMEOUT,
        redactor: Redactor | None = None,
    ) -> None:
        """``redactor``: blanks secrets in what is stored and logged (the workspace's)."""
        self.gates = gates
        self.redactor = redactor or Redactor()
        self.journal = journal
        self.pool = pool
        self.queue_size = queue_size
        self.log = log
        self.body_timeout = body_timeout
        self.deadlines = Deadlines(body_timeout)  # one sweep, not a timer per body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        notes: dict[str, Any] = scope.setdefault(LOG_KEY, {})
        gate = self.gates.get(scope["path_params"]["runbook_id"])
        if gate is None:
            notes["status"] = 404
            await send_json(send, 404, NOT_FOUND_BODY)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            outcome = await self._admit(gate, headers, receive)
        except Exception as exc:  # a bug: say so in the log, never a traceback to the caller
            why = self.redactor.text(f"{type(exc).__name__}: {exc}")
            self.log(f"error on POST /runbooks/{gate.runbook.id}: {why}")
            notes["status"] = 500
            await send_json(send, 500, b'{"error":"error"}')
            return
        if isinstance(outcome, Refusal):
            notes["status"] = outcome.status
            body = json.dumps(outcome.body(), separators=(",", ":")).encode()
            await send_json(send, outcome.status, body, refusal_headers(outcome, gate))
            return
        notes["status"], notes["run_id"] = 202, outcome
        await send_json(send, 202, b'{"run_id":"%s"}' % outcome.encode())

    async def _admit(
        self, gate: Gate, headers: Mapping[str, str], receive: Receive
    ) -> str | Refusal:
        refusal = gate.too_large(headers.get("content-length"))
        refusal = refusal or gate.precheck(headers)
        if refusal is not None:
            return refusal
        loop = asyncio.get_running_loop()  # once: each look-up is a getpid() system call
        task = asyncio.current_task(loop)
        assert task is not None  # an ASGI app runs in a task
        self.deadlines.start(task, loop)
        try:
            body = await read_body(receive, gate.endpoint.max_body)
        except ClientGone:
            return Refusal(400, "the client went away")
        except asyncio.CancelledError:
            if not self.deadlines.expired(task):
                raise
            return Refusal(408, f"the body did not arrive within {self.body_timeout:g} s")
        finally:
            self.deadlines.stop(task)
        if body is None:
            return gate.oversize()
        refusal = gate.authenticate(headers, body)
        if refusal is not None:
            return refusal
        submission = gate.admit(body, headers.get("content-type"))
        if isinstance(submission, Refusal):
            return submission
        return await self._enqueue(gate, submission, gate.delivery_id(headers), loop)

    async def _enqueue(
        self,
        gate: Gate,
        submission: Submission,
        delivery_id: str | None,
        loop: asyncio.AbstractEventLoop,
    ) -> str | Refusal:
        full = self.pool.backlog >= self.queue_size
        if full and delivery_id is None:  # overload: refuse without touching the journal
            return QUEUE_FULL
        inputs = self.redactor.stored(submission.inputs)
        context = self.redactor.stored(submission.context)
        held = None  # a secret was blanked: its real value stays in this process (``held``)
        if inputs is not submission.inputs or context is not submission.context:
            held = self.journal.next_run_id()
            self.pool.held.hold(held, submission.inputs, submission.context)
        try:
            run_id, created = await self.journal.admit(
                gate.runbook.id,
                inputs,
                context,
                "serve",
                delivery_id,
                full=full,
                run_id=held,
                loop=loop,
            )
        except JournalError as exc:
            if held is not None:
                self.pool.held.forget(held)
            self.pool.failed("accepting a delivery", exc)
            return UNAVAILABLE
        if held is not None and run_id != held:  # a repeat, or refused: not a new run
            self.pool.held.forget(held)
        self.pool.recovered()
        if run_id is None:
            return QUEUE_FULL
        if created:
            self.pool.notify()
        return run_id


__all__ = ["BODY_TIMEOUT", "LOG_KEY", "Deliveries", "read_body", "send_json"]
