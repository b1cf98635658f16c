"""Run integration methods over HTTP and record what happened as an `Exchange`.

One Executor serves one run (or one `runbench test`): it owns the pooled httpx clients, the
parsed templates and compiled output paths, and the run's Redactor, so the per-call cost
is rendering plus the HTTP round trip. A call never raises: render errors, auth
failures, network errors, oversized, undecodable or non-JSON bodies (and, as a last net,
anything unexpected) all come back as an Exchange with ``error_kind`` set and a one-line
reason, so the engine can follow the failure edge and the journal can show why. Each call
has a total deadline (the step's timeout, else the integration's ``total_timeout``), so a
server that trickles one byte a second cannot hold a run.

Outputs declared ``secret = true`` are registered with the run's secrets before any record
of the exchange is made, so the response that delivered a token is stored without it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from runbench.core.errors import AuthError, ExpressionError, HttpError, SecretError
from runbench.core.expressions import TemplateCache
from runbench.core.halo import HaloAction
from runbench.core.http._auth import NO_CREDENTIALS, Authenticator, Credentials, TokenCache
from runbench.core.http._clients import ClientPool, TlsContexts, timeout_of
from runbench.core.http._coerce import OutputEvaluator
from runbench.core.http._deadline import Deadlines
from runbench.core.http._failures import classify, deadline_passed, failed_url
from runbench.core.http._offload import OffloadPolicy, evaluate_here, evaluate_in_child
from runbench.core.http._outgoing import outgoing
from runbench.core.http._recorder import Recorder, decode_body, may_have_sent, one_line
from runbench.core.http._records import Exchange, RequestRecord, ResponseRecord, excerpt
from runbench.core.http._request import BuiltRequest, RequestBuilder
from runbench.core.http._transfer import Guard, Received, exchange
from runbench.core.secrets import Redactor, Secrets
from runbench.core.workspace import Integration, Limits, Method, Output, Workspace

_NETWORK_ERRORS = (httpx.HTTPError, httpx.InvalidURL, OSError, ExceptionGroup)


@dataclass
class _Stage:
    """What one call is waiting on, so a deadline names the right server."""

    getting_token: bool = False


class Executor:
    """Calls methods of one workspace; use as ``async with Executor(...) as ex``."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        secrets: Secrets,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        variables: Mapping[str, Any] | None = None,
        tokens: TokenCache | None = None,
        offload: OffloadPolicy | None = None,
        templates: TemplateCache | None = None,
        tls: TlsContexts | None = None,
        outputs: OutputEvaluator | None = None,
    ) -> None:
        """``offload``: when outputs over a big body are evaluated in a child process
        (see ``runbench.core.http._offload``); by default above 2 MiB. ``templates``: the
        parsed-template cache to share (an engine passes its own); ``tls``: the TLS
        contexts to share (building one reads the CA bundle); ``outputs``: the compiled
        output paths to share (an engine passes its own)."""
        self.workspace = workspace
        self.secrets = secrets
        secrets.preload(workspace)
        self._redactor = secrets.redactor
        self._record = Recorder(self._redactor)
        self.tokens = tokens if tokens is not None else TokenCache()
        templates = templates if templates is not None else TemplateCache()
        self._auth = Authenticator(secrets, self._redactor, self.tokens, clock, templates)
        self._clients = ClientPool(transport, tls)
        self._builder = RequestBuilder(templates)
        self._outputs = outputs if outputs is not None else OutputEvaluator()
        self._offload = offload if offload is not None else OffloadPolicy()
        self._base = {**workspace.variables, **(variables or {})}
        self._timeouts: dict[tuple[float, float], httpx.Timeout] = {}
        self._no_auth_guard = Guard(redactor=self._redactor)  # most calls: made once
        self._deadlines = Deadlines()  # one timer for the calls, not one a call

    @property
    def redactor(self) -> Redactor:
        """Blanks every secret this executor (or anyone using its Secrets) has seen."""
        return self._redactor

    async def __aenter__(self) -> Executor:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self._deadlines.close()
        await self._clients.aclose()

    # -- calls ----------------------------------------------------------------------------
    async def call(
        self,
        method: Method,
        variables: Mapping[str, Any],
        *,
        extra_outputs: Sequence[Output] = (),
        timeout: float | None = None,
    ) -> Exchange:
        """Render, send and record ``method``; ``timeout`` caps the whole call (seconds;
        default: the integration's ``total_timeout``). Never raises (but can be cancelled)."""
        started = time.perf_counter()
        try:  # the deadline is awaited here, not in a coroutine of its own: one frame less
            ready = self._ready(method, variables, extra_outputs, timeout, started)
            if isinstance(ready, Exchange):
                return ready
            integration, built, scope, outputs, deadline = ready
            stage = _Stage()
            try:
                running = self._run(integration, method, built, scope, outputs, started, stage)
                return await self._deadlines.within(deadline, running)
            except TimeoutError:
                return self._timed_out(
                    method, integration, built, timeout, deadline, stage, started
                )
        except Exception as exc:  # the last net: whatever it was, the step fails with a reason
            error = HttpError(
                "protocol", f"method {method.ref}: unexpected {type(exc).__name__}: {exc}"
            )
            return self._record.failed(error, None, started, sent=True)

    def _ready(
        self,
        method: Method,
        variables: Mapping[str, Any],
        extra_outputs: Sequence[Output],
        timeout: float | None,
        started: float,
    ) -> tuple[Integration, BuiltRequest, Mapping[str, Any], tuple[Output, ...], float] | Exchange:
        """What the call sends and its deadline, or the Exchange of a call that cannot be made."""
        integration = self.workspace.integrations.get(method.integration)
        if integration is None:
            error = HttpError(
                "render", f"method {method.ref}: no integration '{method.integration}'"
            )
            return self._record.failed(error, None, started, sent=False)
        scope = {**self._base, **variables} if variables else self._base
        secret_names = self._redactor.names
        if secret_names:  # a secret variable's value is secret wherever it came from (--var)
            for name in secret_names & scope.keys():
                self.secrets.remember_value(scope[name])
        try:
            built = self._builder.build(integration, method, scope)
        except ExpressionError as exc:
            error = HttpError("render", f"method {method.ref}: {exc}")
            return self._record.failed(error, None, started, sent=False)
        outputs = tuple(method.outputs) + tuple(extra_outputs)
        deadline = timeout if timeout is not None else integration.limits.total_timeout
        return integration, built, scope, outputs, deadline

    def _timed_out(
        self,
        method: Method,
        integration: Integration,
        built: BuiltRequest,
        timeout: float | None,
        deadline: float,
        stage: _Stage,
        started: float,
    ) -> Exchange:
        waited_on = (
            f"the token endpoint (token_url of integration '{integration.id}')"
            if stage.getting_token
            else self._redactor.url(built.url)
        )
        error = deadline_passed(method.ref, integration.id, timeout, deadline, waited_on)
        return self._record.failed(
            error, self._record.built(built, NO_CREDENTIALS), started, sent=True
        )

    async def call_halo(
        self,
        action: HaloAction,
        body: str,
        variables: Mapping[str, Any],
        *,
        extra_outputs: Sequence[Output] = (),
        timeout: float | None = None,
    ) -> Exchange:
        """Call a Halo API action through the workspace's Halo integration (``halo = ID``)."""
        halo = self.workspace.halo
        if not halo or halo not in self.workspace.integrations:
            error = HttpError(
                "render",
                f"Halo action '{action.id}' needs the workspace's Halo integration: "
                'set halo = "ID" at the top of the workspace to an integration',
            )
            return self._record.failed(error, None, time.perf_counter(), sent=False)
        method = Method(
            id=action.id,
            integration=halo,
            verb=action.verb,
            path=action.endpoint,
            body_type="json" if body.strip() else "none",
            body=body,
            title=action.title,
        )
        return await self.call(method, variables, extra_outputs=extra_outputs, timeout=timeout)

    # -- sending --------------------------------------------------------------------------
    async def _run(
        self,
        integration: Integration,
        method: Method,
        built: BuiltRequest,
        scope: Mapping[str, Any],
        outputs: Sequence[Output],
        started: float,
        stage: _Stage,
    ) -> Exchange:
        limits = integration.limits
        use_auth = method.auth != "none" and integration.auth.type != "none"
        try:
            client = self._clients.get(limits, built.url)
            stage.getting_token = use_auth
            creds = (
                await self._creds(integration, scope, client, None) if use_auth else NO_CREDENTIALS
            )
            stage.getting_token = False
            request = self._request(client, limits, built, creds, method.ref)
        except HttpError as exc:
            return self._record.failed(
                exc, self._record.built(built, NO_CREDENTIALS), started, sent=False
            )
        attempts = 1
        try:
            received = await self._send(client, request, limits, creds)
            if received.response.status_code == 401 and creds.token_key is not None:
                stage.getting_token = True
                creds = await self._creds(integration, scope, client, creds.token)
                stage.getting_token = False
                request = self._request(client, limits, built, creds, method.ref)
                attempts = 2
                received = await self._send(client, request, limits, creds)
        except HttpError as exc:
            return self._record.failed(
                exc, self._record.sent(request), started, attempts, sent=True
            )
        except _NETWORK_ERRORS as exc:
            shown = self._redactor.url(str(failed_url(exc, request)))
            error = classify(exc, shown, limits)
            return self._record.failed(
                error, self._record.sent(request), started, attempts, sent=may_have_sent(exc)
            )
        return await self._finish(request, received, outputs, started, attempts)

    async def _creds(
        self,
        integration: Integration,
        scope: Mapping[str, Any],
        client: httpx.AsyncClient,
        stale: str | None,
    ) -> Credentials:
        try:
            return await self._auth.credentials(integration, scope, client, stale=stale)
        except SecretError as exc:
            raise AuthError(f"integration '{integration.id}': {exc}") from None
        except ExpressionError as exc:
            raise AuthError(f"integration '{integration.id}': token_url: {exc}") from None

    def _request(
        self,
        client: httpx.AsyncClient,
        limits: Limits,
        built: BuiltRequest,
        creds: Credentials,
        ref: str,
    ) -> httpx.Request:
        return outgoing(client, built, creds, self._timeout(limits), self._redactor, ref)

    def _timeout(self, limits: Limits) -> httpx.Timeout:
        """httpx's timeouts for ``limits``, built once per pair of values."""
        key = (limits.connect_timeout, limits.read_timeout)
        found = self._timeouts.get(key)
        if found is None:
            found = self._timeouts[key] = timeout_of(limits)
        return found

    def _send(
        self, client: httpx.AsyncClient, request: httpx.Request, limits: Limits, creds: Credentials
    ) -> Coroutine[Any, Any, Received]:
        """The transfer to await (a plain function: no coroutine frame of its own)."""
        guard = self._no_auth_guard
        if creds.headers or creds.query:
            guard = Guard(
                tuple(name for name, _ in creds.headers),
                tuple(name for name, _ in creds.query),
                self._redactor,
            )
        return exchange(
            client,
            request,
            limit=limits.max_response_bytes,
            follow=limits.follow_redirects,
            max_redirects=limits.max_redirects,
            guard=guard,
        )

    async def _finish(
        self,
        request: httpx.Request,
        received: Received,
        outputs: Sequence[Output],
        started: float,
        attempts: int,
    ) -> Exchange:
        response = received.response
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        error: HttpError | None = None
        if outputs and 200 <= response.status_code < 300:
            values, errors, error = await self._evaluate(outputs, received)
            self._remember_secret_outputs(outputs, values)
        recorder, redactor = self._record, self._redactor

        def records() -> tuple[RequestRecord, ResponseRecord]:  # at their first read
            text = decode_body(received.content, response.headers.get("content-type"))
            shown = ResponseRecord(
                response.status_code,
                response.reason_phrase,
                recorder.headers(response.headers.multi_items()),
                redactor.text(text),
                len(received.content),
                received.elapsed_ms,
            )
            return recorder.sent(request), shown

        return Exchange.deferred(
            records,
            response.status_code,
            values,
            {k: redactor.text(v) for k, v in errors.items()} if errors else {},
            redactor.text(one_line(str(error))) if error else None,
            error.kind if error else None,
            (time.perf_counter() - started) * 1000,
            attempts,
            redactor.variables(values) if values else None,
        )

    def _remember_secret_outputs(
        self, outputs: Sequence[Output], values: Mapping[str, Any]
    ) -> None:
        for output in outputs:
            if output.secret:
                self._redactor.secret_name(output.name)
                if output.name in values:
                    self.secrets.remember_value(values[output.name])

    async def _evaluate(
        self, outputs: Sequence[Output], received: Received
    ) -> tuple[dict[str, Any], dict[str, str], HttpError | None]:
        """Parse the body and evaluate ``outputs``: in a child process for a big body
        (falling back to this process if the child fails), here otherwise."""
        response = received.response
        if len(received.content) > self._offload.threshold:
            values, errors, is_json = await evaluate_in_child(
                self._outputs,
                outputs,
                received.content,
                response.status_code,
                response.headers,
                python=self._offload.python,
            )
        else:
            values, errors, is_json = evaluate_here(
                self._outputs, outputs, received.content, response.status_code, response.headers
            )
        if not is_json:
            readers = self._outputs.json_readers(outputs)
            if readers:
                kind = response.headers.get("content-type", "no content type")
                text = decode_body(received.content, response.headers.get("content-type"))
                what = (
                    f"it starts with {excerpt(self._redactor.text(text), 80)}"
                    if text
                    else "it is empty"
                )
                return (
                    {},
                    {},
                    HttpError(
                        "invalid_json",
                        f"response body is not JSON ({kind}; {what}), but output(s) "
                        f"{', '.join(readers)} read inside it; check the URL or the Accept header",
                    ),
                )
        return values, errors, None


__all__ = ["Executor"]
