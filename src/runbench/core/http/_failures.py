"""Turn httpx's exceptions into runbench's error kinds, with messages that say what to do.

httpx reports a refused connection, a failed DNS lookup and a bad certificate all as
``ConnectError``; the user needs to know which, because the fixes differ (start the
server, fix the host name, fix ``verify``). The distinction is made from the exception
chain (an ``ssl.SSLError`` cause) and, for DNS, from the resolver's message, which is
all the OS gives us.
"""

from __future__ import annotations

import ssl

import httpx

from runbench.core.errors import HttpError
from runbench.core.workspace import Limits

_DNS_MARKERS = (
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "no address associated",
    "getaddrinfo failed",
    "name resolution",
    "[errno -2]",
    "[errno -3]",
    "[errno -5]",
    "[errno 8]",
    "[errno 11001]",
)
_TLS_MARKERS = ("[ssl", "ssl:", "sslerror", "certificate", "handshake", "tlsv")


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _host(url: str) -> str:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return url
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.host}{port}" or url


def _leaf(exc: Exception) -> Exception:
    """The first exception inside ``exc`` when anyio wrapped it in a task group's group."""
    while isinstance(exc, ExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def failed_url(exc: BaseException, sent: httpx.Request) -> httpx.URL:
    """The URL a request failed at: a redirect's target when a later hop failed."""
    try:
        request = exc.request if isinstance(exc, httpx.RequestError) else sent
    except RuntimeError:  # an error raised without its request
        request = sent
    return request.url


def classify(exc: Exception, url: str, limits: Limits) -> HttpError:
    """The HttpError for ``exc``, raised while requesting ``url`` (already redacted)."""
    exc = _leaf(exc)
    if isinstance(exc, HttpError):
        return exc
    host = _host(url)
    text = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return _timeout(exc, host, limits)
    if isinstance(exc, httpx.TooManyRedirects):
        return HttpError(
            "redirects",
            f"more than {limits.max_redirects} redirects from {url} (a redirect loop?); "
            "check the URL or raise max_redirects on the integration",
        )
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
        return HttpError("render", f"cannot send to {url!r}: {text}; check base_url and path")
    if isinstance(exc, httpx.ProtocolError | httpx.DecodingError):
        return HttpError("protocol", f"{host} broke the HTTP protocol: {text}")
    if isinstance(exc, httpx.ConnectError | ssl.SSLError | OSError):
        return _connect(exc, host, text)
    if isinstance(exc, httpx.TransportError):
        return HttpError("connect", f"connection to {host} failed: {text}")
    return HttpError("protocol", f"request to {host} failed: {type(exc).__name__}: {text}")


def _timeout(exc: httpx.TimeoutException, host: str, limits: Limits) -> HttpError:
    if isinstance(exc, httpx.ConnectTimeout):
        return HttpError(
            "timeout",
            f"could not connect to {host} within connect_timeout = {limits.connect_timeout:g} s; "
            "check the host is reachable, or raise connect_timeout on the integration",
        )
    if isinstance(exc, httpx.PoolTimeout):
        return HttpError("timeout", f"no free connection to {host} in time (too many at once)")
    return HttpError(
        "timeout",
        f"{host} did not answer within read_timeout = {limits.read_timeout:g} s; "
        "the server may be slow or stuck: raise read_timeout on the integration",
    )


def _connect(exc: BaseException, host: str, text: str) -> HttpError:
    chain = _chain(exc)
    lowered = " ".join(str(e).lower() for e in chain)
    is_ssl = any(isinstance(e, ssl.SSLError) for e in chain)
    if not is_ssl and any(m in lowered for m in _DNS_MARKERS):
        return HttpError(
            "dns",
            f"cannot resolve host {host.rsplit(':', 1)[0]!r}: {text}; check the host name "
            "in base_url (and your network/DNS)",
        )
    if is_ssl or any(m in lowered for m in _TLS_MARKERS):
        return HttpError(
            "tls",
            f"TLS handshake with {host} failed: {text}; if the server uses a self-signed "
            'certificate set verify = "/path/to/ca.pem" (or verify = false) on the integration',
        )
    if "refused" in lowered or any(isinstance(e, ConnectionRefusedError) for e in chain):
        return HttpError(
            "connect",
            f"connection refused by {host}: nothing listens there; check the port in "
            "base_url and that the server is running",
        )
    return HttpError("connect", f"cannot connect to {host}: {text}")


def deadline_passed(
    ref: str, integration: str, timeout: float | None, deadline: float, waited_on: str
) -> HttpError:
    """A call's total deadline passed (``timeout``: the step's, else ``total_timeout``)."""
    what = (
        f"the step's timeout of {deadline:g} s"
        if timeout is not None
        else f"total_timeout = {deadline:g} s of integration '{integration}'"
    )
    return HttpError(
        "timeout",
        f"method {ref}: {what} was reached before {waited_on} answered in full "
        f"(connect, redirects and body count); raise "
        f"{'the step timeout' if timeout is not None else 'it'} if the server is just slow",
    )


__all__ = ["classify", "deadline_passed", "failed_url"]
