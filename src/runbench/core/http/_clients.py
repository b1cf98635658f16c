"""The pooled httpx clients of one Executor.

TLS verification and the redirect cap are properties of an ``httpx.AsyncClient``, not of a
request, so integrations that differ in ``verify`` or ``max_redirects`` cannot share one
client. The pool keeps one client per distinct pair and creates it on first use; in the
usual workspace every integration verifies TLS and there is exactly one client, so
connections are reused across all calls of a run.

Building a TLS context reads the CA bundle (10-100 ms: more than a whole local request),
so the contexts live in ``TlsContexts``, which an owner of many executors (the engine:
one client per run; the workbench: one per test) shares between them. A context is
only ever read after it is built, which is what makes sharing it safe.

A run that only speaks plain http needs no CA bundle at all (`runbench run` against a
local service read it for nothing, a tenth of the process's time): a client's https
traffic goes to a transport of its own, built with its context on the first https
request (an https URL builds it before sending, so an unreadable bundle is still the
"tls" error it was). Plain http goes to a transport whose context trusts nothing, so
https can never slip through unverified. With a proxy in the environment the client is
built as before (a mount of ours would take the place of the proxy's).

A run's client keeps the cookies its answers set (a login then the calls it allows), as
httpx does; but httpx wraps every answer in a urllib request and response to look for
them (about a sixth of a local call), so the jar is consulted only when an answer has a
``Set-Cookie`` or ``Set-Cookie2`` header: without one the stdlib jar adds nothing.
"""

from __future__ import annotations

import ssl
import urllib.request
from collections.abc import Callable
from typing import Any

import httpx

from runbench import __version__
from runbench.core.errors import HttpError
from runbench.core.http._transfer import ACCEPT_ENCODING
from runbench.core.workspace import Limits

ClientKey = tuple[bool | str, int]
_HEADERS = (("Accept-Encoding", ACCEPT_ENCODING), ("User-Agent", f"runbench/{__version__}"))
"""Every request's defaults: ``Accept-Encoding`` asks only for what ``_transfer`` decodes
with a bounded output; set on the client once, a method's own header replaces it."""


def timeout_of(limits: Limits) -> httpx.Timeout:
    """httpx timeouts for ``limits`` (writes share the read timeout, pool waits the connect)."""
    return httpx.Timeout(
        connect=limits.connect_timeout,
        read=limits.read_timeout,
        write=limits.read_timeout,
        pool=limits.connect_timeout,
    )


def ssl_context(verify: bool | str) -> ssl.SSLContext | bool:
    """What httpx wants for ``verify``: False, or a context (httpx's default CAs, which
    honour SSL_CERT_FILE/SSL_CERT_DIR, or a CA bundle)."""
    if verify is False:
        return False
    if verify is True:
        return httpx.create_ssl_context()
    return ssl.create_default_context(cafile=verify)


class TlsContexts:
    """TLS contexts by ``verify`` value, each built once (see the module docstring)."""

    def __init__(self) -> None:
        self._contexts: dict[bool | str, ssl.SSLContext | bool] = {}
        self._trusting_nothing: ssl.SSLContext | None = None

    def trusting_nothing(self) -> ssl.SSLContext:
        """A verifying context without a single CA (cheap: for transports that must never
        carry https; any certificate fails)."""
        if self._trusting_nothing is None:
            self._trusting_nothing = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        return self._trusting_nothing

    def get(self, verify: bool | str) -> ssl.SSLContext | bool:
        """The context for ``verify``; OSError/SSLError when its CA bundle is unreadable."""
        context = self._contexts.get(verify)
        if context is None:
            context = self._contexts[verify] = ssl_context(verify)
        return context


class _HttpsOnFirstUse(httpx.AsyncBaseTransport):
    """A client's https transport, built (with its TLS context) on first use."""

    def __init__(self, build: Callable[[], httpx.AsyncBaseTransport], limits: Limits) -> None:
        self._build = build
        self._limits = limits
        self._built: httpx.AsyncBaseTransport | None = None

    def build(self) -> httpx.AsyncBaseTransport:
        """The transport (OSError/SSLError when the CA bundle cannot be read)."""
        if self._built is None:
            self._built = self._build()
        return self._built

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            transport = self.build()
        except (OSError, ssl.SSLError) as exc:  # a redirect to https: see ClientPool.get
            raise _unreadable(self._limits, exc) from None
        return await transport.handle_async_request(request)

    async def aclose(self) -> None:
        if self._built is not None:
            await self._built.aclose()


class _CookieJar(httpx.Cookies):
    """httpx's cookies, searched only in answers that set one (see the module docstring)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


class _RunClient(httpx.AsyncClient):
    """An AsyncClient whose jar is a :class:`_CookieJar` (the property httpx reads it by)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._jar = _CookieJar(super().cookies)  # with any cookies= given (httpx's own)

    @property
    def cookies(self) -> httpx.Cookies:
        return self._jar

    @cookies.setter
    def cookies(self, cookies: httpx._types.CookieTypes) -> None:
        self._jar = _CookieJar(cookies)


def _client(
    limits: Limits,
    *,
    verify: ssl.SSLContext | bool = True,
    transport: httpx.AsyncBaseTransport | None = None,
    mounts: dict[str, httpx.AsyncBaseTransport | None] | None = None,
) -> httpx.AsyncClient:
    return _RunClient(
        verify=verify,
        transport=transport,
        mounts=mounts,
        max_redirects=limits.max_redirects,
        timeout=timeout_of(limits),
        headers=_HEADERS,
    )


def _unreadable(limits: Limits, exc: BaseException) -> HttpError:
    return HttpError(
        "tls",
        f"cannot load the CA bundle verify = {limits.verify!r}: {exc}; "
        "point verify at a readable PEM file",
    )


class ClientPool:
    """One AsyncClient per (verify, max_redirects); closed together. ``tls``: contexts
    shared with other pools (else this pool builds its own)."""

    def __init__(
        self, transport: httpx.AsyncBaseTransport | None = None, tls: TlsContexts | None = None
    ) -> None:
        self._transport = transport
        self._tls = tls if tls is not None else TlsContexts()
        self._clients: dict[ClientKey, httpx.AsyncClient] = {}
        self._https: dict[ClientKey, _HttpsOnFirstUse] = {}

    def get(self, limits: Limits, url: str = "https:") -> httpx.AsyncClient:
        """The client for ``limits`` to send to ``url``; HttpError("tls") when its CA
        bundle cannot be read (checked when ``url`` is https: see the module docstring)."""
        key: ClientKey = (limits.verify, limits.max_redirects)
        client = self._clients.get(key)
        https = self._https.get(key)
        try:
            if client is None:
                client, https = self._create(limits)
                self._clients[key] = client
                if https is not None:
                    self._https[key] = https
            if https is not None and url[:6].lower() == "https:":
                https.build()
        except (OSError, ssl.SSLError) as exc:
            raise _unreadable(limits, exc) from None
        return client

    def _create(self, limits: Limits) -> tuple[httpx.AsyncClient, _HttpsOnFirstUse | None]:
        if self._transport is not None:
            return _client(limits, transport=self._transport), None
        if limits.verify is False or urllib.request.getproxies():
            return _client(limits, verify=self._tls.get(limits.verify)), None
        tls, verify = self._tls, limits.verify
        https = _HttpsOnFirstUse(lambda: httpx.AsyncHTTPTransport(verify=tls.get(verify)), limits)
        plain = httpx.AsyncHTTPTransport(verify=tls.trusting_nothing())
        return _client(limits, transport=plain, mounts={"https://": https}), https

    async def aclose(self) -> None:
        """Close the clients. An injected transport belongs to whoever injected it (tests
        share one across executors), so clients wrapping it are dropped, not closed."""
        clients, self._clients, self._https = list(self._clients.values()), {}, {}
        if self._transport is None:
            for client in clients:
                await client.aclose()


__all__ = ["ClientKey", "ClientPool", "TlsContexts", "ssl_context", "timeout_of"]
