"""Send one request and read its answer, within limits: redirects, size, decompression.

httpx follows redirects by itself, but on a cross-origin redirect it strips only the
``Authorization`` header: an API key under ``X-Api-Key``, a bearer token under a custom
header name or a key in the query string would travel to the other host. So redirects are
followed here, one hop at a time: each hop that leaves the origin of the first request
(other than an http -> https upgrade of the same host, as httpx allows) loses every header
the integration's auth added, every header and query parameter that holds a known secret,
and a redirect that would re-send a body holding a secret to another origin is refused.

Bodies are read from the raw stream and decompressed here with a bounded output
(``zlib``'s ``max_length``): httpx's decoder inflates a whole network chunk at once, so a
64 KiB gzip bomb would become ~64 MiB in memory before any size check. Reading stops as
soon as the decoded body passes ``max_response_bytes``. Encodings other than gzip and
deflate are not asked for (``Accept-Encoding: gzip, deflate``) and pass through as sent.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from runbench.core.errors import HttpError
from runbench.core.secrets import Redactor

ACCEPT_ENCODING = "gzip, deflate"
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Received:
    """A response read within the size limit (the real body, before redaction)."""

    response: httpx.Response
    content: bytes
    elapsed_ms: float


@dataclass(frozen=True)
class Guard:
    """What must not leave the origin: the names of the headers and query parameters the
    auth added, and the redactor that knows every secret value."""

    headers: tuple[str, ...] = ()
    query: tuple[str, ...] = ()
    redactor: Redactor | None = None


async def exchange(
    client: httpx.AsyncClient,
    request: httpx.Request,
    *,
    limit: int,
    follow: bool,
    max_redirects: int,
    guard: Guard,
) -> Received:
    """Send ``request`` (following up to ``max_redirects`` redirects when ``follow``) and
    read the body, at most ``limit`` decoded bytes. Raises httpx errors and HttpError."""
    started = time.perf_counter()
    origin = request.url
    response = await client.send(request, stream=True, follow_redirects=False)
    hops = 0
    while follow and response.next_request is not None:
        following = response.next_request
        await response.aclose()
        hops += 1
        if hops > max_redirects:
            raise httpx.TooManyRedirects("too many redirects", request=following)
        if (problem := port_problem(following.url)) is not None:
            shown = guard.redactor.url(str(following.url)) if guard.redactor else "another URL"
            raise HttpError(
                "protocol", f"{origin.host} redirects to {shown}, whose {problem}; not followed"
            )
        if not _keeps_credentials(origin, following.url):
            _strip(following, request.content, guard)
        response = await client.send(following, stream=True, follow_redirects=False)
    try:
        content = await read_capped(response, limit)
    finally:
        await response.aclose()
    return Received(response, content, (time.perf_counter() - started) * 1000)


def port_problem(url: httpx.URL) -> str | None:
    """What is wrong with ``url``'s port, if anything (httpx accepts any number; the
    socket layer then fails deep inside a task group)."""
    if url.port is not None and not 0 < url.port <= 65535:
        return f"port {url.port} is not between 1 and 65535"
    return None


def _port(url: httpx.URL) -> int | None:
    return url.port or _DEFAULT_PORTS.get(url.scheme)


def _keeps_credentials(origin: httpx.URL, target: httpx.URL) -> bool:
    """Same scheme, host and port; or the same host upgraded from http to https."""
    if origin.host != target.host:
        return False
    if origin.scheme == target.scheme:
        return _port(origin) == _port(target)
    return origin.scheme == "http" and target.scheme == "https" and target.port is None


def _strip(request: httpx.Request, body: bytes, guard: Guard) -> None:
    """Take from ``request`` (a hop to another origin) everything that carries a
    credential; refuse a hop whose path or user info holds one (the first server put it
    there), and to re-send a ``body`` that holds one."""
    redactor = guard.redactor
    dropped = {name.lower() for name in guard.headers}
    for name, value in list(request.headers.multi_items()):
        if name.lower() in dropped or (
            redactor is not None and (redactor.is_sensitive_header(name) or redactor.reveals(value))
        ):
            request.headers.pop(name, None)
    url = request.url
    for name, value in url.params.multi_items():
        if name in guard.query or (redactor is not None and redactor.reveals(value)):
            url = url.copy_remove_param(name)
    request.url = url
    if redactor is not None and redactor.reveals(
        f"{url.userinfo.decode()} {url.raw_path.decode()}"
    ):
        raise HttpError(
            "redirects",
            f"the server redirected to another origin ({url.host}) with a credential in the "
            "URL's path or user info; refused. Call the final URL directly, or set "
            "follow_redirects = false on the integration",
        )
    resends_body = request.method not in ("GET", "HEAD") and body
    if resends_body and redactor is not None and redactor.reveals(body.decode("utf-8", "replace")):
        raise HttpError(
            "redirects",
            f"the server redirected to another origin ({url.host}) and the request body, "
            "which holds a credential, would be sent there again; refused. Call the final "
            "URL directly, or set follow_redirects = false on the integration",
        )


async def read_capped(response: httpx.Response, limit: int) -> bytes:
    """The decoded body, or HttpError("too_large") as soon as it passes ``limit`` bytes
    (announced, raw or decompressed)."""
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(response, limit, f"it announces {declared} bytes")
    if not response.is_stream_consumed:  # the network's: read here, within the cap (asking
        return await _read_stream(response, limit)  # costs less than catching ResponseNotRead)
    content = response.content  # a transport that hands over a finished response (tests)
    if len(content) > limit:
        raise too_large(response, limit, f"more than {limit} bytes arrived")
    return content


async def _read_stream(response: httpx.Response, limit: int) -> bytes:
    encodings = _encodings(response)
    decoders = [_Inflater(name) for name in reversed(encodings)]
    chunks: list[bytes] = []
    size = 0
    async for raw in response.aiter_raw():
        data = raw
        for decoder in decoders:
            data = decoder.feed(data, limit - size)
        size += len(data)
        if size > limit:
            raise too_large(response, limit, f"more than {limit} bytes arrived")
        chunks.append(data)
    tail = b""
    for decoder in decoders:
        tail = decoder.feed(tail, limit - size) + decoder.finish(limit - size)
    size += len(tail)
    if size > limit:
        raise too_large(response, limit, f"more than {limit} bytes arrived")
    chunks.append(tail)
    return b"".join(chunks)


def _encodings(response: httpx.Response) -> Sequence[str]:
    """The Content-Encodings to undo, in the order they were applied; none when one of
    them is not gzip or deflate (the body is then kept as sent, like httpx does)."""
    names = [
        part.strip().lower()
        for value in response.headers.get_list("content-encoding")
        for part in value.split(",")
    ]
    applied = [name for name in names if name not in ("", "identity")]
    if all(name in ("gzip", "x-gzip", "deflate") for name in applied):
        return applied
    return []


class _Inflater:
    """gzip or deflate, decompressing at most ``room + 1`` bytes per call."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._started = False
        wbits = zlib.MAX_WBITS | 16 if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._zlib = zlib.decompressobj(wbits)

    def feed(self, data: bytes, room: int) -> bytes:
        if not data:
            return b""
        try:
            out = self._zlib.decompress(data, max(room, 0) + 1)
        except zlib.error as exc:
            if self.encoding == "deflate" and not self._started:
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, no header
                self._started = True
                return self.feed(data, room)
            raise _undecodable(self.encoding, exc) from None
        self._started = True
        return out

    def finish(self, room: int) -> bytes:
        try:
            return self._zlib.flush(max(room, 0) + 1)
        except zlib.error as exc:
            raise _undecodable(self.encoding, exc) from None


def _undecodable(encoding: str, exc: zlib.error) -> HttpError:
    return HttpError(
        "protocol", f"the response says Content-Encoding: {encoding}, but cannot be decoded ({exc})"
    )


def too_large(response: httpx.Response, limit: int, why: str) -> HttpError:
    return HttpError(
        "too_large",
        f"response from {response.request.url.host} is larger than max_response_bytes = "
        f"{limit} ({why}); stopped reading. Raise max_response_bytes on the integration or "
        "ask the API for less (paging, filters)",
    )


__all__ = [
    "port_problem",
    "ACCEPT_ENCODING",
    "Guard",
    "Received",
    "exchange",
    "read_capped",
    "too_large",
]
