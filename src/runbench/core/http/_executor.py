"""Run integration methods over HTTP and record what happened as an `Exchange`.

One Executor serves one run (or one `runbench test`): it owns the pooled httpx clients, the
parsed templates and compiled output paths, and the run's Redactor, so the per-call cost
is rendering plus the HTTP round trip. A call never raises for anything the remote side
or the workspace data can cause: render errors, auth failures, network errors and
oversized or non-JSON bodies all come back as an Exchange with ``error_kind`` set, so
the engine can follow the failure edge and the journal can show why.
"""

from __future__ import annotations

import asyncio
import codecs
import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

import httpx

from runbench.core.errors import AuthError, ExpressionError, HttpError, SecretError
from runbench.core.expressions import TemplateCache
from runbench.core.halo import HaloAction
from runbench.core.http._auth import NO_CREDENTIALS, Authenticator, Credentials, TokenCache
from runbench.core.http._clients import ClientPool, timeout_of
from runbench.core.http._coerce import OutputEvaluator
from runbench.core.http._failures import classify
from runbench.core.http._offload import OffloadPolicy, evaluate_here, evaluate_in_child
from runbench.core.http._records import (
    Exchange,
    Headers,
    RequestRecord,
    ResponseRecord,
    excerpt,
)
from runbench.core.http._request import BuiltRequest, RequestBuilder
from runbench.core.secrets import Redactor, Secrets
from runbench.core.workspace import Integration, Limits, Method, Output, Workspace

_NETWORK_ERRORS = (httpx.HTTPError, OSError)


class _Received:
    """A response read within the size limit (the real body, before redaction)."""

    __slots__ = ("response", "content", "elapsed_ms")

    def __init__(self, response: httpx.Response, content: bytes, elapsed_ms: float) -> None:
        self.response = response
        self.content = content
        self.elapsed_ms = elapsed_ms


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
    ) -> None:
        """``offload``: when outputs over a big body are evaluated in a child process
        (see ``runbench.core.http._offload``); by default above 2 MiB. ``templates``: the
        parsed-template cache to share (an engine passes its own)."""
        self.workspace = workspace
        self.secrets = secrets
        self._redactor = Redactor(secrets.known_values())
        self.tokens = tokens if tokens is not None else TokenCache()
        templates = templates if templates is not None else TemplateCache()
        self._auth = Authenticator(secrets, self._redactor, self.tokens, clock, templates)
        self._clients = ClientPool(transport)
        self._builder = RequestBuilder(templates)
        self._outputs = OutputEvaluator()
        self._offload = offload if offload is not None else OffloadPolicy()
        self._base = {**workspace.variables, **(variables or {})}
        self._secrets_version = secrets.version

    @property
    def redactor(self) -> Redactor:
        """Blanks every secret this executor (or anyone using its Secrets) has seen."""
        self._sync_secrets()
        return self._redactor

    def _sync_secrets(self) -> None:
        if self.secrets.version != self._secrets_version:
            self._secrets_version = self.secrets.version
            self._redactor.add(*self.secrets.known_values())

    async def __aenter__(self) -> Executor:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
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
        """Render, send and record ``method``; ``timeout`` caps the whole call (seconds)."""
        started = time.perf_counter()
        self._sync_secrets()
        integration = self.workspace.integrations.get(method.integration)
        if integration is None:
            return self._failed(
                HttpError("render", f"method {method.ref}: no integration '{method.integration}'"),
                None,
                started,
            )
        scope = {**self._base, **variables} if variables else self._base
        try:
            built = self._builder.build(integration, method, scope)
        except ExpressionError as exc:
            message = f"method {method.ref}: {exc}"
            return self._failed(HttpError("render", message), None, started)
        outputs = tuple(method.outputs) + tuple(extra_outputs)
        if timeout is None:
            return await self._run(integration, method, built, scope, outputs, started)
        try:
            async with asyncio.timeout(timeout):
                return await self._run(integration, method, built, scope, outputs, started)
        except TimeoutError:
            error = HttpError(
                "timeout",
                f"method {method.ref}: the step's timeout of {timeout:g} s was reached "
                f"before {self._redactor.url(built.url)} answered; raise the step's timeout",
            )
            return self._failed(error, self._record(built, Credentials()), started)

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
            return self._failed(error, None, time.perf_counter())
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
    ) -> Exchange:
        use_auth = method.auth != "none" and integration.auth.type != "none"
        try:
            client = self._clients.get(integration.limits)
            creds = (
                await self._creds(integration, scope, client, None) if use_auth else NO_CREDENTIALS
            )
        except HttpError as exc:
            return self._failed(exc, self._record(built, NO_CREDENTIALS), started)
        request = self._request(client, integration.limits, built, creds)
        attempts = 1
        try:
            received = await self._send(client, request, integration.limits)
            if received.response.status_code == 401 and creds.token_key is not None:
                creds = await self._creds(integration, scope, client, creds.token)
                request = self._request(client, integration.limits, built, creds)
                attempts = 2
                received = await self._send(client, request, integration.limits)
        except HttpError as exc:
            return self._failed(exc, self._record_sent(request), started, attempts)
        except _NETWORK_ERRORS as exc:
            shown = self._redactor.url(str(request.url))
            error = classify(exc, shown, integration.limits)
            return self._failed(error, self._record_sent(request), started, attempts)
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
        self, client: httpx.AsyncClient, limits: Limits, built: BuiltRequest, creds: Credentials
    ) -> httpx.Request:
        url = built.url
        if creds.query:
            url += ("&" if "?" in url else "?") + "&".join(
                f"{httpx.QueryParams({n: v})}" for n, v in creds.query
            )
        headers = built.headers
        if creds.headers:
            replaced = {name.lower() for name, _ in creds.headers}
            headers = tuple(h for h in headers if h[0].lower() not in replaced) + creds.headers
        return client.build_request(
            built.verb, url, headers=headers, content=built.body, timeout=timeout_of(limits)
        )

    async def _send(
        self, client: httpx.AsyncClient, request: httpx.Request, limits: Limits
    ) -> _Received:
        sent = time.perf_counter()
        response = await client.send(request, stream=True, follow_redirects=limits.follow_redirects)
        try:
            content = await self._read(response, limits)
        finally:
            await response.aclose()
        return _Received(response, content, (time.perf_counter() - sent) * 1000)

    async def _read(self, response: httpx.Response, limits: Limits) -> bytes:
        limit = limits.max_response_bytes
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _too_large(response, limit, f"it announces {declared} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise _too_large(response, limit, f"more than {limit} bytes arrived")
            chunks.append(chunk)
        return b"".join(chunks)

    # -- records --------------------------------------------------------------------------
    def _headers(self, pairs: Sequence[tuple[str, str]]) -> Headers:
        return tuple(self._redactor.headers(pairs))

    def _record(self, built: BuiltRequest, creds: Credentials) -> RequestRecord:
        body = built.body.decode("utf-8", "replace") if built.body else ""
        headers = built.headers + creds.headers
        return RequestRecord(
            built.verb,
            self._redactor.url(built.url),
            self._headers(headers),
            self._redactor.text(body),
        )

    def _record_sent(self, request: httpx.Request) -> RequestRecord:
        body = request.content.decode("utf-8", "replace") if request.content else ""
        return RequestRecord(
            request.method,
            self._redactor.url(str(request.url)),
            self._headers(
                [
                    (k.decode("utf-8", "replace"), v.decode("utf-8", "replace"))
                    for k, v in request.headers.raw
                ]
            ),
            self._redactor.text(body),
        )

    async def _finish(
        self,
        request: httpx.Request,
        received: _Received,
        outputs: Sequence[Output],
        started: float,
        attempts: int,
    ) -> Exchange:
        response = received.response
        text = received.content.decode(_charset(response.headers.get("content-type")), "replace")
        record = ResponseRecord(
            response.status_code,
            response.reason_phrase,
            self._headers(response.headers.multi_items()),
            self._redactor.text(text),
            len(received.content),
            received.elapsed_ms,
        )
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        error: HttpError | None = None
        if outputs and 200 <= response.status_code < 300:
            values, errors, error = await self._evaluate(outputs, received, text)
        shown = self._redactor.value(values) if values else None
        return Exchange(
            self._record_sent(request),
            record,
            values,
            {k: self._redactor.text(v) for k, v in errors.items()},
            self._redactor.text(str(error)) if error else None,
            error.kind if error else None,
            (time.perf_counter() - started) * 1000,
            attempts,
            shown,
        )

    async def _evaluate(
        self, outputs: Sequence[Output], received: _Received, text: str
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

    def _failed(
        self, error: HttpError, request: RequestRecord | None, started: float, attempts: int = 1
    ) -> Exchange:
        return Exchange(
            request,
            None,
            {},
            {},
            self._redactor.text(str(error)),
            error.kind,
            (time.perf_counter() - started) * 1000,
            attempts,
        )


def _charset(content_type: str | None) -> str:
    """The charset of a Content-Type (httpx's own parser goes through email.message: slow)."""
    if content_type:
        found = content_type.lower().find("charset=")
        if found >= 0:
            name = content_type[found + 8 :].split(";")[0].strip().strip('"')
            try:
                return codecs.lookup(name).name
            except LookupError:
                pass
    return "utf-8"


def _too_large(response: httpx.Response, limit: int, why: str) -> HttpError:
    return HttpError(
        "too_large",
        f"response from {response.request.url.host} is larger than max_response_bytes = "
        f"{limit} ({why}); stopped reading. Raise max_response_bytes on the integration or "
        "ask the API for less (paging, filters)",
    )


__all__ = ["Executor"]
