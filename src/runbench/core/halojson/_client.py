"""Halo's configuration API, called through the workspace's Halo integration.

``pull`` and ``push`` read and write runbooks (``/api/Webhook``, ``type = 1``) and custom
integrations (``/api/CustomIntegration``) with the same Executor every method uses, so the
integration's OAuth 2.0 credentials, limits (size cap, timeouts) and secret redaction
apply unchanged, and each call has a total deadline. A refusal is a ``RunError`` saying
which call, what Halo answered and what to check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

import httpx

from runbench.core.errors import HttpError, RunError, UsageError
from runbench.core.http import Exchange, Executor
from runbench.core.secrets import Secrets
from runbench.core.workspace import Method, Workspace

CALL_SECONDS = 60.0
_ID, _PAYLOAD = "_halo_id", "_halo_payload"


class HaloClient:
    """Use as ``async with HaloClient(workspace, secrets=...) as halo``."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        secrets: Secrets,
        transport: httpx.AsyncBaseTransport | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> None:
        if not workspace.halo or workspace.halo not in workspace.integrations:
            raise UsageError(
                f"{workspace.path}: pull and push go through the workspace's Halo integration: "
                'set halo = "INTEGRATION" at the top of the workspace'
            )
        self.workspace = workspace
        self._executor = Executor(
            workspace, secrets=secrets, transport=transport, variables=variables
        )

    async def __aenter__(self) -> HaloClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._executor.aclose()

    async def _call(
        self,
        verb: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        record: str | int | None = None,
        payload: Sequence[Mapping[str, Any]] | None = None,
    ) -> Any:
        method = Method(
            id="_halo_config",
            integration=self.workspace.halo,
            verb=verb,
            path=path + (f"/<<{_ID}>>" if record is not None else ""),
            query=dict(query or {}),
            body_type="json" if payload is not None else "none",
            body=f"<<{_PAYLOAD}>>" if payload is not None else "",
        )
        scope = {_ID: record, _PAYLOAD: list(payload or [])}
        exchange = await self._executor.call(method, scope, timeout=CALL_SECONDS)
        where = f"{verb} {path}" + (f"/{record}" if record is not None else "")
        return _answer(exchange, where)

    async def runbooks(self) -> list[dict[str, Any]]:
        """Every runbook (summaries: id, name, ...)."""
        return _rows(await self._call("GET", "/api/Webhook", query={"type": "1"}))

    async def runbook(self, guid: str) -> dict[str, Any]:
        found = await self._call(
            "GET", "/api/Webhook", record=guid, query={"includedetails": "true"}
        )
        return _object(found, f"runbook {guid}")

    async def integrations(self) -> list[dict[str, Any]]:
        return _rows(await self._call("GET", "/api/CustomIntegration"))

    async def integration(self, integration_id: int) -> dict[str, Any]:
        found = await self._call(
            "GET", "/api/CustomIntegration", record=integration_id, query={"includedetails": "true"}
        )
        return _object(found, f"custom integration {integration_id}")

    async def save_runbooks(self, objects: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return _saved(await self._call("POST", "/api/Webhook", payload=objects), len(objects))

    async def save_integrations(self, objects: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        saved = await self._call("POST", "/api/CustomIntegration", payload=objects)
        return _saved(saved, len(objects))


def _answer(exchange: Exchange, where: str) -> Any:
    if exchange.error is not None:
        raise RunError(f"Halo {where}: {exchange.error}")
    response = exchange.response
    if response is None:
        raise RunError(f"Halo {where}: no response")
    if not exchange.ok:
        hint = {
            401: " (check the Halo integration's credentials)",
            403: " (may the API application read and edit configuration?)",
            404: " (does this Halo have that record and API?)",
        }.get(response.status, "")
        body = " ".join(response.body.split())[:200]
        raise RunError(f"Halo {where}: HTTP {response.status}{hint}: {body}")
    try:
        return response.json()
    except HttpError as exc:
        raise RunError(f"Halo {where}: {exc}") from None


def _rows(body: Any) -> list[dict[str, Any]]:
    """A list answer: a bare array, or a wrapper such as ``{"record_count", "webhooks"}``."""
    if isinstance(body, dict):
        lists = [v for v in body.values() if isinstance(v, list)]
        body = lists[0] if len(lists) == 1 else []
    return [row for row in body if isinstance(row, dict)] if isinstance(body, list) else []


def _object(body: Any, what: str) -> dict[str, Any]:
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    if not isinstance(body, dict):
        raise RunError(f"Halo answered {type(body).__name__} for {what}, not an object")
    return body


def _saved(body: Any, count: int) -> list[dict[str, Any]]:
    rows = body if isinstance(body, list) else [body]
    saved = [row for row in rows if isinstance(row, dict)]
    if len(saved) != count:
        raise RunError(f"Halo saved {len(saved)} object(s) of {count}; pull to see what it has")
    return saved


__all__ = ["HaloClient"]
