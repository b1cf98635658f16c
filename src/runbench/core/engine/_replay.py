"""Replay: run a recorded run again, offline, with HTTP answered from the journal.

"What happened in that run?" is easier to answer by stepping through it again than by
reading a trace. A replay re-runs the same runbook with the same inputs, context and
variable overrides, and an httpx transport serves each step's recorded responses in the
order they were recorded, so nothing touches the network. Sleeps are instant and
missing secrets resolve to a placeholder (the recorded requests were redacted anyway).
If the runbook changed since, the replay shows where it now diverges: a request with no
recorded answer fails as a connection error naming the step.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from runbench.core.engine._engine import Engine
from runbench.core.engine._handle import RunHandle
from runbench.core.engine._results import RunResult
from runbench.core.errors import RunError, SecretError
from runbench.core.journal import ExchangeRow, Journal, RunRow
from runbench.core.secrets import REDACTED, Secrets
from runbench.core.workspace import Secretish, Workspace

if TYPE_CHECKING:
    from runbench.core.engine._runner import Run

_DROPPED_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})
_TOKEN = b'{"access_token": "replay-token", "token_type": "Bearer", "expires_in": 3600}'


class ReplaySecrets(Secrets):
    """Secrets that never fail: a missing one becomes a placeholder."""

    def resolve(self, value: Secretish, *, sensitive: bool = True) -> str:
        try:
            return super().resolve(value, sensitive=sensitive)
        except SecretError:
            return REDACTED


class ReplayTransport(httpx.AsyncBaseTransport):
    """Serves one recorded run's responses, in order, per step of ``run``."""

    def __init__(self, run: Run, exchanges: list[ExchangeRow]) -> None:
        self.run = run
        self.queues: dict[str, deque[ExchangeRow]] = {}
        for row in exchanges:
            if row.request is not None:
                self.queues.setdefault(row.step, deque()).append(row)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        step = self.run.current or ""
        queue = self.queues.get(step, deque())
        if _is_token_request(request) and not (queue and _same_path(queue[0], request)):
            return httpx.Response(
                200, headers={"content-type": "application/json"}, content=_TOKEN, request=request
            )
        if not queue:
            raise httpx.ConnectError(
                f"replay: no recorded response left for step '{step}' "
                f"({request.method} {request.url.path})",
                request=request,
            )
        row = queue.popleft()
        if row.response is None:
            raise _recorded_error(row, request)
        return _response(row.response, request)


def _is_token_request(request: httpx.Request) -> bool:
    return request.method == "POST" and b"grant_type=" in request.content


def _same_path(row: ExchangeRow, request: httpx.Request) -> bool:
    recorded = row.request.get("url", "") if isinstance(row.request, dict) else ""
    return bool(recorded) and httpx.URL(recorded).path == request.url.path


def _recorded_error(row: ExchangeRow, request: httpx.Request) -> Exception:
    text = f"replay: recorded error: {row.error}"
    if row.error and "timeout" in row.error.lower():
        return httpx.ReadTimeout(text, request=request)
    return httpx.ConnectError(text, request=request)


def _response(recorded: Mapping[str, Any], request: httpx.Request) -> httpx.Response:
    headers = [
        (name, value)
        for name, value in dict(recorded.get("headers") or {}).items()
        if name.lower() not in _DROPPED_HEADERS
    ]
    body = str(recorded.get("body") or "").encode("utf-8")
    return httpx.Response(
        int(recorded.get("status", 200)), headers=headers, content=body, request=request
    )


class _Recording:
    """The recorded run and its child runs, handed to replayed runs in creation order."""

    def __init__(self, journal: Journal, row: RunRow) -> None:
        self.journal = journal
        self.root = row.id
        self.children: deque[str] = deque(self._descendants(row.id))

    def _descendants(self, run_id: str) -> list[str]:
        found: list[str] = []
        for child in self.journal.children(run_id):
            found.append(child.id)
            found.extend(self._descendants(child.id))
        return found

    def transport_for(self, run: Run) -> httpx.AsyncBaseTransport:
        source = self.root
        if run.parent_id is not None:
            source = self.children.popleft() if self.children else ""
        return ReplayTransport(run, self.journal.exchanges(source) if source else [])


def start_replay(
    journal: Journal,
    run_id: str,
    workspace: Workspace,
    *,
    record: bool = False,
    engine_options: Mapping[str, Any] | None = None,
    **start_options: Any,
) -> tuple[Engine, RunHandle]:
    """An engine replaying ``run_id`` and the handle of the replayed run (for debugging)."""
    row = journal.find_run(run_id)
    if row.damaged is not None:
        raise RunError(row.damaged)
    recording = _Recording(journal, row)
    options: dict[str, Any] = {"sleep": _instant, **(engine_options or {})}
    engine = Engine(
        workspace,
        journal=journal if record else None,
        secrets=ReplaySecrets(workspace.path, {}),
        transport_factory=recording.transport_for,
        trigger="replay",
        **options,
    )
    handle = engine.start(
        row.runbook,
        inputs=row.inputs,
        context=row.context,
        variables=row.overrides,
        **start_options,
    )
    return engine, handle


async def replay(
    journal: Journal,
    run_id: str,
    workspace: Workspace,
    *,
    record: bool = False,
) -> RunResult:
    """Re-run recorded run ``run_id`` offline; ``record`` journals it (trigger 'replay')."""
    _, handle = start_replay(journal, run_id, workspace, record=record)
    return await handle.result()


async def _instant(_seconds: float) -> None:
    return None


__all__ = ["ReplaySecrets", "ReplayTransport", "replay", "start_replay"]
