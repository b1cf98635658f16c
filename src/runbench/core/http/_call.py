"""Testing one method: the single function behind `runbench test` and the workbench's ctrl+t.

Both used to build their own ``Executor`` and disagreed on small things (which values win,
what a missing secret looks like). Here is the one definition: the method's
``test_values`` are its inputs; ``overrides`` (``--var NAME=VALUE``) win over test values
and over workspace variables and are never written to the file; a failure that happens
before anything is sent (a missing secret, a template that does not render) comes back
inside the ``Exchange`` like every other failure, with the run's redactor beside it, so
callers print or show it the same way.

Every test is journaled here, once, for both callers: pass ``history`` (a
``runbench.core.history.MethodTestHistory``) and the redacted exchange, with its timing, is
recorded in a worker thread; a history that cannot be written is reported in
``MethodCall.history_error``, never raised (the test itself happened).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

import httpx

from runbench.core.errors import RunbenchError
from runbench.core.http._clients import TlsContexts
from runbench.core.http._executor import Executor
from runbench.core.http._records import Exchange
from runbench.core.secrets import Redactor, Secrets
from runbench.core.workspace import Method, Workspace


@dataclass(frozen=True)
class MethodCall:
    """What a test of a method gives back: the exchange and the redactor that made it safe
    to show (pass every derived text through ``redactor`` too)."""

    exchange: Exchange
    redactor: Redactor
    history_id: int | None = None
    history_error: str | None = None


class MethodTestRecorder(Protocol):
    """Where tests are journaled (``MethodTestHistory``; a Protocol so http does not import it)."""

    def record(self, ref: str, exchange: dict[str, Any], redactor: Redactor, source: str) -> int:
        """Keep one redacted test of ``ref``; its id. Raises RunbenchError."""
        ...


async def call_method(
    workspace: Workspace,
    method: Method,
    *,
    overrides: Mapping[str, Any],
    environ: Mapping[str, str],
    transport: httpx.AsyncBaseTransport | None = None,
    history: MethodTestRecorder | None = None,
    source: str = "cli",
    tls: TlsContexts | None = None,
) -> MethodCall:
    """Send ``method`` with its test values (see the module docstring); never raises a
    ``RunbenchError``: failures are in ``MethodCall.exchange``. ``tls``: TLS contexts
    kept between tests (the workbench's; building one reads the CA bundle)."""
    called = await _send(workspace, method, overrides, environ, transport, tls)
    if history is None:
        return called
    try:
        entry = await asyncio.to_thread(
            history.record, method.ref, called.exchange.to_dict(), called.redactor, source
        )
    except RunbenchError as exc:
        return replace(called, history_error=called.redactor.text(str(exc)))
    return replace(called, history_id=entry)


async def _send(
    workspace: Workspace,
    method: Method,
    overrides: Mapping[str, Any],
    environ: Mapping[str, str],
    transport: httpx.AsyncBaseTransport | None,
    tls: TlsContexts | None,
) -> MethodCall:
    inputs = {**method.test_values, **overrides}
    try:
        secrets = Secrets(workspace.path, environ)
        async with Executor(
            workspace, secrets=secrets, transport=transport, variables=dict(overrides), tls=tls
        ) as executor:
            return MethodCall(await executor.call(method, inputs), executor.redactor)
    except RunbenchError as exc:
        return MethodCall(Exchange(None, None, {}, {}, str(exc), "render", 0.0), Redactor())
