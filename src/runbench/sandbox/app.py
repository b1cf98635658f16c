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
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runbench.sandbox.config_api import ConfigApi
from runbench.sandbox.halo_api import HaloApi
from runbench.sandbox.openai import OpenAIStandIn
from runbench.sandbox.reports import ReportApi
from runbench.sandbox.store import HaloState


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


def create_app(
    *,
    client_id: str = "runbench",
    client_secret: str = "sandbox-secret",
    api_key: str = "sk-sandbox",
    data_file: Path | None = None,
    clock: Callable[[], float] = time.time,
) -> Starlette:
    """A new sandbox app with its own state (seeded, or loaded from ``data_file``)."""
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
    app = Starlette(routes=routes, exception_handlers={404: _http_error, 405: _http_error})
    app.state.halo = halo
    app.state.openai = ai
    app.state.credentials = {
        "client_id": client_id,
        "client_secret": client_secret,
        "api_key": api_key,
    }
    return app
