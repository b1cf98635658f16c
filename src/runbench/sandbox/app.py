"""Assemble the sandbox: Halo's token and API endpoints plus an OpenAI stand-in.

One Starlette app serves both so a demo needs one port and one process. The state
objects hang off ``app.state`` (``app.state.halo``, ``app.state.openai``) so tests and
the e2e harness can check what a run wrote without another HTTP round trip.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runbench.sandbox.config_api import ConfigApi
from runbench.sandbox.halo_api import HaloApi
from runbench.sandbox.openai import OpenAIStandIn
from runbench.sandbox.reports import ReportApi
from runbench.sandbox.store import HaloState
from runbench.webguards import BODY_TIMEOUT, Deadlines


async def _healthz(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    reason = {404: "not_found", 405: "method_not_allowed"}.get(status, "error")
    message = (
        f"no endpoint {request.method} {request.url.path} in the sandbox"
        if status == 404
        else f"{request.method} is not allowed on {request.url.path}"
    )
    return JSONResponse({"error": reason, "message": message}, status_code=status)


class CloseAfterTimeout:
    """Adds ``Connection: close`` to a 408 (``bodies.read_body``'s body deadline), as serve
    does: uvicorn would otherwise keep reading the rest of the body the client is still
    trickling in, holding the connection for as long as it keeps sending."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_closing_after_408(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 408:
                headers = [*message.get("headers", []), (b"connection", b"close")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_closing_after_408)


def create_app(
    *,
    client_id: str = "runbench",
    client_secret: str = "sandbox-secret",
    api_key: str = "sk-sandbox",
    data_file: Path | None = None,
    clock: Callable[[], float] = time.time,
    body_timeout: float = BODY_TIMEOUT,
) -> Starlette:
    """A new sandbox app with its own state (seeded, or loaded from ``data_file``); a body
    not in within ``body_timeout`` seconds of its headers is answered 408."""
    halo = HaloState(clock=clock, data_file=data_file)
    api = HaloApi(halo, client_id=client_id, client_secret=client_secret)
    ai = OpenAIStandIn(api_key=api_key, clock=clock)
    routes = [
        Route("/healthz", _healthz, methods=["GET"]),
        *ReportApi(api).routes(),
        *ConfigApi(api).routes(),
        *api.routes(),
        *ai.routes(),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={404: _http_error, 405: _http_error},
        middleware=[Middleware(CloseAfterTimeout)],
    )
    app.state.halo = halo
    app.state.openai = ai
    app.state.body_deadlines = Deadlines(body_timeout)  # read by bodies.read_body
    app.state.credentials = {
        "client_id": client_id,
        "client_secret": client_secret,
        "api_key": api_key,
    }
    return app
