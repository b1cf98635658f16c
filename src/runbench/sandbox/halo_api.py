"""Halo's HTTP surface as the sandbox serves it: ``/auth/token`` and ``/api/*``.

Mirrors what runbooks see from a real Halo tenant closely enough to build against:
client-credentials tokens that expire, bearer-protected resources, save by ``POST`` of a
JSON array, list wrappers with paging. Every refusal is JSON with a message saying what
to change, because the workbench shows response bodies to the user verbatim.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runbench.sandbox._resources import RESOURCES, ResourceSpec, find_resource
from runbench.sandbox.bodies import BodyError, read_body, read_json
from runbench.sandbox.seed import control_settings
from runbench.sandbox.store import TOKEN_LIFETIME, HaloState, InputError

DEFAULT_PAGE_SIZE = 50


def _error(status: int, error: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": error, "message": message}, status_code=status, headers=headers)


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (unquote(user), unquote(password)) if sep else None


class HaloApi:
    """Request handlers bound to one state and one set of accepted credentials."""

    def __init__(self, state: HaloState, *, client_id: str, client_secret: str) -> None:
        self.state = state
        self.client_id = client_id
        self.client_secret = client_secret

    def routes(self) -> list[Route]:
        return [
            Route("/auth/token", self.token, methods=["POST"]),
            Route("/api/{resource}/{record_id:int}", self.get_one, methods=["GET"]),
            Route("/api/{resource}", self.collection, methods=["GET", "POST"]),
        ]

    # --- token -----------------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        try:
            body = await read_body(request)
        except BodyError as exc:
            return self._oauth_error(exc.status, "invalid_request", str(exc))
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        grant = form.get("grant_type", "")
        if not grant:
            return self._oauth_error(
                400,
                "invalid_request",
                "grant_type is missing; send form-encoded grant_type=client_credentials",
            )
        if grant != "client_credentials":
            return self._oauth_error(
                400,
                "unsupported_grant_type",
                f"grant_type {grant!r} is not supported here; use client_credentials",
            )
        given = (form.get("client_id", ""), form.get("client_secret", ""))
        if not given[0]:
            given = _basic_credentials(request.headers.get("authorization", "")) or given
        if given != (self.client_id, self.client_secret):
            return self._oauth_error(
                401,
                "invalid_client",
                "client_id or client_secret is wrong; `runbench sandbox` prints the accepted ones",
            )
        return JSONResponse(
            {
                "access_token": self.state.issue_token(),
                "token_type": "Bearer",
                "expires_in": TOKEN_LIFETIME,
                "scope": form.get("scope") or "all",
            }
        )

    @staticmethod
    def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
        return JSONResponse({"error": error, "error_description": description}, status_code=status)

    def refuse(self, request: Request) -> Response | None:
        """A 401 response unless the request carries a valid bearer token."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            message = (
                "no bearer token: get one from POST /auth/token and send "
                "'Authorization: Bearer <token>'"
            )
        else:
            status = self.state.token_state(token)
            if status == "valid":
                return None
            message = (
                "the bearer token has expired; get a new one from POST /auth/token"
                if status == "expired"
                else "the bearer token is not one this sandbox issued; "
                "get one from POST /auth/token"
            )
        return _error(
            401, "unauthorized", message, **{"WWW-Authenticate": 'Bearer error="invalid_token"'}
        )

    # --- resources -------------------------------------------------------------------------

    async def get_one(self, request: Request) -> Response:
        refused = self.refuse(request)
        if refused is not None:
            return refused
        spec = self._resource(request)
        if isinstance(spec, Response):
            return spec
        record_id = int(request.path_params["record_id"])
        record = self.state.get(spec.name, record_id)
        if record is None:
            return _error(404, "not_found", f"no {spec.name} record with id {record_id}")
        return JSONResponse(record)

    async def collection(self, request: Request) -> Response:
        refused = self.refuse(request)
        if refused is not None:
            return refused
        if request.path_params["resource"].lower() == "control" and request.method == "GET":
            return JSONResponse(control_settings(str(request.base_url).rstrip("/")))
        spec = self._resource(request)
        if isinstance(spec, Response):
            return spec
        if request.method == "POST":
            return await self._save(request, spec)
        try:
            return self._list(spec, request.query_params)
        except InputError as exc:
            return _error(400, "bad_request", str(exc))

    @staticmethod
    def _resource(request: Request) -> ResourceSpec | Response:
        name = request.path_params["resource"]
        spec = find_resource(name)
        if spec is None:
            known = ", ".join(f"/api/{s.name}" for s in RESOURCES.values())
            return _error(
                404, "not_found", f"the sandbox has no /api/{name}; it has /api/Control, {known}"
            )
        return spec

    async def _save(self, request: Request, spec: ResourceSpec) -> Response:
        try:
            payload = await read_json(request)
        except BodyError as exc:
            return _error(exc.status, "bad_request", f"{spec.name}: {exc}")
        if not isinstance(payload, list):
            return _error(
                400,
                "bad_request",
                f"{spec.name}: Halo saves with a JSON array; send [{{...}}], "
                f"not a JSON {type(payload).__name__}",
            )
        try:
            # off the event loop: the save waits for its fsync, other requests need not
            saved = await run_in_threadpool(self.state.save, spec.name, payload)
        except InputError as exc:
            return _error(400, "bad_request", str(exc))
        return JSONResponse(saved if len(saved) > 1 else saved[0], status_code=201)

    def _list(self, spec: ResourceSpec, params: Mapping[str, str]) -> Response:
        filters = {f: _int_param(params, f) for f in spec.filters if params.get(f)}
        found = self.state.query(spec.name, search=params.get("search", ""), filters=filters)
        paged = params.get("pageinate", "").lower() == "true"
        page_size = _int_param(params, "page_size") if params.get("page_size") else None
        page_no = _int_param(params, "page_no") if params.get("page_no") else 1
        if paged:
            size = page_size or DEFAULT_PAGE_SIZE
            rows = found[(page_no - 1) * size : page_no * size]
        else:
            size, page_no, rows = len(found), 1, found
        if spec.wrapper is None:
            return JSONResponse(rows)
        body: dict[str, Any] = {
            "record_count": len(found),
            "page_no": page_no,
            "page_size": size,
            spec.wrapper: rows,
        }
        return JSONResponse(body)


def _int_param(params: Mapping[str, str], name: str) -> int:
    raw = params.get(name, "")
    try:
        value = int(raw)
    except ValueError:
        raise InputError(f"query parameter {name}={raw!r} must be an integer") from None
    if name in ("page_size", "page_no") and value < 1:
        raise InputError(f"query parameter {name} must be 1 or more (pages count from 1)")
    return value
