"""``/api/Webhook`` and ``/api/CustomIntegration`` as the sandbox serves them.

List (``GET``, a ``{"record_count", "webhooks"|"integrations"}`` wrapper; ``type=1`` picks
runbooks, ``includedetails=true`` includes steps or methods), one record (``GET /{id}``),
and save (``POST`` of an array: the saved object back, or an array for several). Bearer
tokens from ``/auth/token`` as everywhere in the sandbox's Halo API.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runbench.sandbox.bodies import BodyError, read_json
from runbench.sandbox.halo_api import HaloApi
from runbench.sandbox.store import InputError


def _error(status: int, message: str) -> JSONResponse:
    kind = {400: "bad_request", 404: "not_found"}.get(status, "error")
    return JSONResponse({"error": kind, "message": message}, status_code=status)


class ConfigApi:
    def __init__(self, api: HaloApi) -> None:
        self.api = api
        self.config = api.state.config

    def routes(self) -> list[Route]:
        routes: list[Route] = []
        for name in ("Webhook", "webhook"):
            routes.append(Route(f"/api/{name}", self.webhooks, methods=["GET", "POST"]))
            routes.append(Route(f"/api/{name}/{{guid}}", self.webhook, methods=["GET"]))
        for name in ("CustomIntegration", "customintegration"):
            routes.append(Route(f"/api/{name}", self.integrations, methods=["GET", "POST"]))
            routes.append(
                Route(f"/api/{name}/{{record_id:int}}", self.integration, methods=["GET"])
            )
        return routes

    async def _array(self, request: Request, what: str) -> list[Any] | Response:
        try:
            payload = await read_json(request)
        except BodyError as exc:
            return _error(exc.status, f"{what}: {exc}")
        if not isinstance(payload, list) or not payload:
            return _error(400, f"{what}: Halo saves with a non-empty JSON array; send [{{...}}]")
        return payload

    @staticmethod
    def _saved(saved: list[dict[str, Any]]) -> Response:
        return JSONResponse(saved if len(saved) > 1 else saved[0], status_code=201)

    async def webhooks(self, request: Request) -> Response:
        refused = self.api.refuse(request)
        if refused is not None:
            return refused
        if request.method == "POST":
            payload = await self._array(request, "Webhook")
            if isinstance(payload, Response):
                return payload
            try:
                return self._saved(self.config.save_webhooks(payload))
            except InputError as exc:
                return _error(400, str(exc))
        kind = request.query_params.get("type", "")
        details = request.query_params.get("includedetails", "").lower() == "true"
        if kind and not kind.lstrip("-").isdigit():
            return _error(400, f"query parameter type={kind!r} must be an integer")
        rows = self.config.webhooks(int(kind) if kind else None, details)
        return JSONResponse({"record_count": len(rows), "webhooks": rows})

    async def webhook(self, request: Request) -> Response:
        refused = self.api.refuse(request)
        if refused is not None:
            return refused
        guid = request.path_params["guid"]
        found = self.config.webhook(guid)
        if found is None:
            return _error(404, f"no Webhook with id {guid}")
        return JSONResponse(found)

    async def integrations(self, request: Request) -> Response:
        refused = self.api.refuse(request)
        if refused is not None:
            return refused
        if request.method == "POST":
            payload = await self._array(request, "CustomIntegration")
            if isinstance(payload, Response):
                return payload
            try:
                return self._saved(self.config.save_integrations(payload))
            except InputError as exc:
                return _error(400, str(exc))
        details = request.query_params.get("includedetails", "").lower() == "true"
        rows = self.config.integrations(details)
        return JSONResponse({"record_count": len(rows), "integrations": rows})

    async def integration(self, request: Request) -> Response:
        refused = self.api.refuse(request)
        if refused is not None:
            return refused
        record_id = int(request.path_params["record_id"])
        found = self.config.integration(record_id)
        if found is None:
            return _error(404, f"no CustomIntegration with id {record_id}")
        return JSONResponse(found)


__all__ = ["ConfigApi"]
