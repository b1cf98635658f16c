"""The pooled httpx clients of one Executor.

TLS verification and the redirect cap are properties of an ``httpx.AsyncClient``, not of a
request, so integrations that differ in ``verify`` or ``max_redirects`` cannot share one
client. The pool keeps one client per distinct pair and creates it on first use; in the
usual workspace every integration verifies TLS and there is exactly one client, so
connections are reused across all calls of a run.
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
    """What httpx wants for ``verify``: False, or a context (default CAs or a CA bundle)."""
    if verify is False:
        return False
    if verify is True:
        return True
    return ssl.create_default_context(cafile=verify)


class ClientPool:
    """One AsyncClient per (verify, max_redirects); closed together."""

    def __init__(self, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._transport = transport
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
            verify=ssl_context(limits.verify),
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


__all__ = ["ClientPool", "ClientKey", "ssl_context", "timeout_of"]
