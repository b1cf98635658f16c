"""Turn a rendered request and its credentials into the ``httpx.Request`` that is sent.

Split from the executor so what goes on the wire is decided in one short place: the
credentials replace any header of the same name the method wrote, their query parameters
are appended encoded, header values that are not ASCII go as UTF-8 (httpx would refuse
them; ``Accept-Encoding`` is the client's default, see ``_clients``), and a URL httpx
cannot send (no host, a port out of range) is a render error naming it (redacted), not an
exception from deep inside the transport.
"""

from __future__ import annotations

import httpx

from runbench.core.errors import HttpError
from runbench.core.http._auth import Credentials
from runbench.core.http._recorder import one_line
from runbench.core.http._request import BuiltRequest
from runbench.core.http._transfer import port_problem
from runbench.core.secrets import Redactor

_BUILD_ERRORS = (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError, TypeError)


def outgoing(
    client: httpx.AsyncClient,
    built: BuiltRequest,
    creds: Credentials,
    timeout: httpx.Timeout,
    redactor: Redactor,
    ref: str,
) -> httpx.Request:
    """The httpx request for ``built`` with ``creds``; HttpError("render") when httpx
    cannot build it (an invalid URL made from a variable, say)."""
    url = built.url
    if creds.query:
        url += ("&" if "?" in url else "?") + "&".join(
            f"{httpx.QueryParams({n: v})}" for n, v in creds.query
        )
    headers = built.headers
    if creds.headers:
        replaced = {name.lower() for name, _ in creds.headers}
        headers = tuple(h for h in headers if h[0].lower() not in replaced) + creds.headers
    encoded = [(name.encode("utf-8"), _header_bytes(value)) for name, value in headers]
    try:
        request = client.build_request(
            built.verb, url, headers=encoded or None, content=built.body, timeout=timeout
        )
        if not request.url.host:
            raise ValueError("the URL has no host")
        if (problem := port_problem(request.url)) is not None:
            raise ValueError(f"its {problem}")
    except _BUILD_ERRORS as exc:
        raise HttpError(
            "render",
            f"method {ref}: cannot send to {redactor.url(url)}: {one_line(str(exc))}; "
            "check base_url, path and the variables they use",
        ) from None
    return request


def _header_bytes(value: str) -> bytes:
    """A header value as bytes: ASCII as is, anything else as UTF-8 (httpx would refuse)."""
    try:
        return value.encode("ascii")
    except UnicodeEncodeError:
        return value.encode("utf-8")


__all__ = ["outgoing"]
