"""Turn what was sent and received into redacted records, and a failure into an Exchange.

Split from the executor so the path from raw httpx objects to what may be stored or shown
is in one short place: every URL, header, body and message goes through the shared
Redactor here, and every error message is flattened to one line (a journal row, a CLI
line and a workbench cell all show it whole).
"""

from __future__ import annotations

import codecs
import time
from collections.abc import Sequence

import httpx

from runbench.core.errors import HttpError
from runbench.core.http._auth import Credentials
from runbench.core.http._records import Exchange, Headers, RequestRecord
from runbench.core.http._request import BuiltRequest
from runbench.core.secrets import Redactor

_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
    httpx.InvalidURL,
)


def may_have_sent(exc: BaseException) -> bool:
    """Could the server have received (part of) the request before ``exc``? Only a
    failure to connect proves it did not."""
    return not isinstance(exc, _NOT_SENT)


def one_line(text: str) -> str:
    return " ".join(text.split())


def decode_body(content: bytes, content_type: str | None) -> str:
    """The body as text in its declared charset; UTF-8 when the charset is unknown or not
    a text encoding (``charset=base64``, ``charset=idna``)."""
    name = _charset(content_type)
    if name != "utf-8":
        try:
            return content.decode(name, "replace")
        except (LookupError, UnicodeError, ValueError, TypeError):
            pass
    return content.decode("utf-8", "replace")


def _charset(content_type: str | None) -> str:
    """The charset of a Content-Type (httpx's own parser goes through email.message: slow)."""
    if content_type:
        found = content_type.lower().find("charset=")
        if found >= 0:
            name = content_type[found + 8 :].split(";")[0].strip().strip('"')
            try:
                return codecs.lookup(name).name
            except (LookupError, ValueError):
                pass
    return "utf-8"


class Recorder:
    """Builds the redacted records of one executor."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor

    def headers(self, pairs: Sequence[tuple[str, str]]) -> Headers:
        return tuple(self.redactor.headers(pairs))

    def built(self, built: BuiltRequest, creds: Credentials) -> RequestRecord:
        """The request as it would have been sent (nothing was)."""
        body = built.body.decode("utf-8", "replace") if built.body else ""
        return RequestRecord(
            built.verb,
            self.redactor.url(built.url),
            self.headers(built.headers + creds.headers),
            self.redactor.text(body),
        )

    def sent(self, request: httpx.Request) -> RequestRecord:
        """The request as httpx sent it (or tried to)."""
        try:
            body = request.content.decode("utf-8", "replace") if request.content else ""
        except httpx.RequestNotRead:
            body = ""
        raw = [
            (k.decode("utf-8", "replace"), v.decode("utf-8", "replace"))
            for k, v in request.headers.raw
        ]
        return RequestRecord(
            request.method,
            self.redactor.url(str(request.url)),
            self.headers(raw),
            self.redactor.text(body),
        )

    def failed(
        self,
        error: HttpError,
        request: RequestRecord | None,
        started: float,
        attempts: int = 1,
        *,
        sent: bool,
    ) -> Exchange:
        return Exchange(
            request,
            None,
            {},
            {},
            self.redactor.text(one_line(str(error))),
            error.kind,
            (time.perf_counter() - started) * 1000,
            attempts,
            sent=sent,
        )


__all__ = ["Recorder", "decode_body", "may_have_sent", "one_line"]
