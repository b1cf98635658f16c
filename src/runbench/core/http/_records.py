"""What one HTTP call leaves behind: the request as sent, the response, the outputs.

These records are what the journal stores, the workbench shows and `runbench test --json`
prints, so they are built already redacted: the executor passes every header, URL, body
and error message through the run's Redactor before a record exists. Output values are
the exception: later steps need the real values, so ``Exchange.outputs`` is raw and
``Exchange.to_dict()`` uses the redacted copy the executor made alongside.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import httpx

from runbench.core.errors import HttpError
from runbench.core.files import load_json_text

Headers = tuple[tuple[str, str], ...]
_RECORDS = ("request", "response")


@dataclass(frozen=True)
class RequestRecord:
    """The request as sent (redacted)."""

    method: str
    url: str
    headers: Headers
    body: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "url": self.url,
            "headers": headers_dict(self.headers),
            "body": self.body,
        }


@dataclass(frozen=True)
class ResponseRecord:
    """The response as received (redacted); ``size`` is the body size in bytes."""

    status: int
    reason: str
    headers: Headers
    body: str
    size: int
    elapsed_ms: float

    def json(self) -> Any:
        """The body parsed as JSON; HttpError("invalid_json") when it is not JSON."""
        try:
            return load_json_text(self.body)
        except ValueError as exc:
            raise HttpError(
                "invalid_json",
                f"response body is not JSON ({exc}); it starts with {excerpt(self.body)}",
            ) from None

    def scope(self) -> dict[str, Any]:
        """What output paths see: see :func:`output_scope`."""
        return output_scope(self.body, self.status, self.headers)[0]

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "headers": headers_dict(self.headers),
            "body": self.body,
            "size": self.size,
            "elapsed_ms": round(self.elapsed_ms, 3),
        }


@dataclass(frozen=True)
class Exchange:
    """One method call: request, response, outputs, and the error if it failed.

    ``error_kind`` is one of: timeout, connect, dns, tls, too_large, invalid_json,
    redirects, protocol, render, auth (None when the call completed; a non-2xx status is
    not an error, only not ``ok``). ``outputs`` hold the real values (later steps need
    them); everything else, and ``to_dict()``, is redacted.

    One made by :meth:`deferred` builds its request and response records at their first
    read: a run without a journal or a listener reads neither (see ``deferred``)."""

    request: RequestRecord | None
    response: ResponseRecord | None
    outputs: Mapping[str, Any]
    output_errors: Mapping[str, str]
    error: str | None
    error_kind: str | None
    elapsed_ms: float
    attempts: int = 1
    shown_outputs: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)
    sent: bool = True
    """Could the request have reached the server? False only when it provably did not
    (render or auth failure, no connection): then even a POST is safe to retry."""

    @classmethod
    def deferred(
        cls,
        records: Callable[[], tuple[RequestRecord, ResponseRecord]],
        status: int,
        outputs: Mapping[str, Any],
        output_errors: Mapping[str, str],
        error: str | None,
        error_kind: str | None,
        elapsed_ms: float,
        attempts: int = 1,
        shown_outputs: Mapping[str, Any] | None = None,
    ) -> Exchange:
        """An answered call whose request and response records ``records`` makes at their
        first read (from whichever thread reads them first: read them on the thread that
        owns the redactor, as ``Run.record_exchange`` does before handing the exchange to
        the journal). Decoding, redacting and copying headers and bodies were a quarter of
        what the engine added to a step (~30 of ~125 us of CPU with an in-process transport),
        and a run without a journal or a listener reads neither; ``status`` answers ``ok`` without them. Made later, a record is redacted
        with every secret known then: never less than it would have been."""
        made = cls(
            None,
            None,
            outputs,
            output_errors,
            error,
            error_kind,
            elapsed_ms,
            attempts,
            shown_outputs,
        )
        state = made.__dict__
        del state["request"], state["response"]  # until read: see __getattr__
        state["_records"] = records
        state["_status"] = status
        return made

    if not TYPE_CHECKING:  # hidden from mypy: it would let any misspelt attribute through

        def __getattr__(self, name: str) -> Any:
            """Called only for an attribute the instance lacks: the request or response
            of a :meth:`deferred` exchange, made now and kept."""
            state = self.__dict__
            records = state.get("_records") if name in _RECORDS else None
            if records is None:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            state["request"], state["response"] = records()
            del state["_records"]  # and what it held (the httpx request and response)
            return state[name]

    @property
    def body_bytes(self) -> int:
        """About how much memory its bodies hold (characters of request and response;
        a :meth:`deferred` exchange makes its records to count them)."""
        request = len(self.request.body) if self.request is not None else 0
        return request + (len(self.response.body) if self.response is not None else 0)

    @property
    def ok(self) -> bool:
        status = self.status
        return self.error is None and status is not None and 200 <= status < 300

    @property
    def status(self) -> int | None:
        state = self.__dict__
        if "_status" in state:  # deferred: known without making the records
            return state["_status"]  # type: ignore[no-any-return]
        return self.response.status if self.response is not None else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able and redacted: request, response, outputs, output_errors, error,
        error_kind, elapsed_ms, attempts, sent."""
        outputs = self.outputs if self.shown_outputs is None else self.shown_outputs
        return {
            "request": self.request.to_dict() if self.request else None,
            "response": self.response.to_dict() if self.response else None,
            "outputs": dict(outputs),
            "output_errors": dict(self.output_errors),
            "error": self.error,
            "error_kind": self.error_kind,
            "elapsed_ms": round(self.elapsed_ms, 3),
            "attempts": self.attempts,
            "sent": self.sent,
        }

    def stored(self) -> dict[str, Any]:
        """What the journal keeps of it (redacted): request, response, error, elapsed_ms;
        :meth:`to_dict` less the outputs, built for nothing at every step."""
        return {
            "request": self.request.to_dict() if self.request else None,
            "response": self.response.to_dict() if self.response else None,
            "error": self.error,
            "elapsed_ms": round(self.elapsed_ms, 3),
        }

    def shown(self) -> Exchange:
        """This exchange with the redacted outputs in ``outputs`` (for events and views,
        which must never hold a secret)."""
        if self.shown_outputs is None:
            return self
        return replace(self, outputs=self.shown_outputs)


def output_scope(
    body: str | bytes, status: int, headers: Headers | httpx.Headers
) -> tuple[dict[str, Any], bool]:
    """The roots of an output path (``response``: the body as JSON, else its text;
    ``status``; ``headers``, looked up case-insensitively) and whether the body was JSON."""
    parsed: Any = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    is_json = False
    if body.strip():
        try:
            parsed, is_json = load_json_text(body), True
        except (ValueError, RecursionError):  # RecursionError: nested too deeply to parse
            pass
    shown = headers if isinstance(headers, httpx.Headers) else httpx.Headers(headers)
    scope = {"response": parsed, "status": status, "headers": shown}
    return scope, is_json


def headers_dict(headers: Headers) -> dict[str, str]:
    """Header pairs as a dict; repeated names are joined with ", " (as HTTP allows)."""
    result: dict[str, str] = {}
    for name, value in headers:
        result[name] = f"{result[name]}, {value}" if name in result else value
    return result


def excerpt(text: str, limit: int = 120) -> str:
    """A short, single-line quote of ``text`` for error messages."""
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[: limit - 1] + "…")


__all__ = ["Exchange", "Headers", "RequestRecord", "ResponseRecord", "excerpt", "headers_dict"]
