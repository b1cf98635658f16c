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
"""

from __future__ import annotations

import ssl

import httpx

from runbench import __version__
from runbench.core.errors import HttpError
from runbench.core.workspace import Limits

ClientKey = tuple[bool | str, int]
_HEADERS = (("User-Agent", f"runbench/{__version__}"),)


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

    def get(self, verify: bool | str) -> ssl.SSLContext | bool:
        """The context for ``verify``; OSError/SSLError when its CA bundle is unreadable."""
        context = self._contexts.get(verify)
        if context is None:
            context = self._contexts[verify] = ssl_context(verify)
        return context


class ClientPool:
    """One AsyncClient per (verify, max_redirects); closed together. ``tls``: contexts
    shared with other pools (else this pool builds its own)."""

    def __init__(
        self, transport: httpx.AsyncBaseTransport | None = None, tls: TlsContexts | None = None
    ) -> None:
        self._transport = transport
        self._tls = tls if tls is not None else TlsContexts()
        self._clients: dict[ClientKey, httpx.AsyncClient] = {}

    def get(self, limits: Limits) -> httpx.AsyncClient:
        """The client for ``limits``; HttpError("tls") when its CA bundle cannot be read."""
        key: ClientKey = (limits.verify, limits.max_redirects)
        client = self._clients.get(key)
        if client is None:
            try:
                client = self._create(limits)
            except (OSError, ssl.SSLError) as exc:
                raise HttpError(
                    "tls",
                    f"cannot load the CA bundle verify = {limits.verify!r}: {exc}; "
                    "point verify at a readable PEM file",
                ) from None
            self._clients[key] = client
        return client

    def _create(self, limits: Limits) -> httpx.AsyncClient:
        if self._transport is not None:
            return httpx.AsyncClient(
                transport=self._transport,
                max_redirects=limits.max_redirects,
                timeout=timeout_of(limits),
                headers=_HEADERS,
            )
        return httpx.AsyncClient(
            verify=self._tls.get(limits.verify),
            max_redirects=limits.max_redirects,
            timeout=timeout_of(limits),
            headers=_HEADERS,
        )

    async def aclose(self) -> None:
        """Close the clients. An injected transport belongs to whoever injected it (tests
        share one across executors), so clients wrapping it are dropped, not closed."""
        clients, self._clients = list(self._clients.values()), {}
        if self._transport is None:
            for client in clients:
                await client.aclose()


__all__ = ["ClientKey", "ClientPool", "TlsContexts", "ssl_context", "timeout_of"]
