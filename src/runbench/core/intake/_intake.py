"""What a public runbook endpoint accepts: payload parsing, typed inputs, and the ``Gate``
that puts them after the auth checks (``_auth``: Basic, HMAC signatures).

A webhook endpoint is reachable by anyone who learns its URL, so everything a caller sends
is checked here before anything is written to the journal. This module is pure (no web
framework, no I/O besides the injected secrets and clock) so every rule can be tested
without a server and reused by any front end.

Rules that matter for safety:

* auth is checked on the *raw* body before it is parsed, and every auth failure looks the
  same to the caller (one ``Refusal``), so a probe learns nothing about why it failed;
* secrets and signatures are compared with ``hmac.compare_digest`` (constant time), and
  with timestamps a signature is only good for ``tolerance`` seconds (replay protection);
* several signing secrets may be active at once, so a secret can be rotated without a
  window in which the sender's deliveries are refused.

Inputs are picked from the payload by name, or by a ``from`` path whose root is
``payload`` (the whole body after parsing) or, on Halo webhook runbooks, ``ticket`` /
``action``. They are coerced to their declared type here so a bad value is refused with
422 at the door instead of failing a run later.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from runbench.core.engine import coerce
from runbench.core.errors import (
    ExpressionError,
    NoMatchError,
    UnknownVariableError,
    WorkspaceError,
)
from runbench.core.expressions import CompiledPath, compile_path, render
from runbench.core.files import json_error_text
from runbench.core.intake._auth import (
    ALGORITHMS,
    check_basic,
    check_signature,
    decode_digest,
    fresh,
    header,
    keyed,
)
from runbench.core.intake._json import NotStrictJson, load_strict
from runbench.core.secrets import Secrets
from runbench.core.workspace import InputSpec, Runbook

INPUT_ROOTS: tuple[str, ...] = ("payload", "ticket", "action")
"""Roots of an input's ``from`` path: the parsed body; on Halo webhooks also its ticket/action."""

JSON_TYPES: tuple[str, ...] = ("application/json", "text/json")
MAX_DEPTH = 64
"""Deepest nesting of arrays/objects a JSON body may have (deeper ones get 400)."""
_DIGITS = sys.get_int_max_str_digits()
"""Python's limit on an integer's digits in text (4,300 unless set otherwise)."""
FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Refusal:
    """Why a request is turned away: the HTTP status and a message safe to show the caller.

    ``inputs`` names each bad input with the reason (422 only)."""

    status: int
    message: str
    inputs: Mapping[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        found: dict[str, Any] = {"error": self.message}
        if self.inputs:
            found["inputs"] = dict(self.inputs)
        return found


UNAUTHORIZED = Refusal(401, "unauthorized")
"""The one answer to every auth failure, whatever the reason."""


@dataclass(frozen=True)
class Submission:
    """An accepted request: the run's typed inputs and its context (``ticket``/``action``)."""

    inputs: Mapping[str, Any]
    context: Mapping[str, Any]


# -- payloads -------------------------------------------------------------------------
def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def parse_payload(body: bytes, content_type: str | None) -> Any:
    """The body as data: a JSON object, Halo's formCollection (flattened), or form fields.

    Returns a Refusal (400 malformed, 415 unsupported) instead of raising. An empty body
    is an empty object whatever its type, so a bare POST runs with the defaults."""
    if not body or body.isspace():  # what strip() would empty, without copying the body
        return {}
    kind = media_type(content_type)
    if kind == FORM_TYPE:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return Refusal(400, "the form body is not UTF-8")
        return dict(parse_qsl(text, keep_blank_values=True))
    if kind in JSON_TYPES or kind.endswith("+json"):
        return _parse_json(body)
    return Refusal(415, "send application/json or application/x-www-form-urlencoded")


def _parse_json(body: bytes) -> Any:
    """JSON or a 400: any parser refusal (bad syntax, encoding, an integer over Python's
    4,300 digits, nesting deep enough to exhaust the stack) and nesting over MAX_DEPTH."""
    try:
        data = load_strict(body)
    except NotStrictJson as exc:
        return Refusal(400, str(exc))
    except RecursionError:
        return Refusal(400, f"the JSON body is nested deeper than {MAX_DEPTH} levels")
    except json.JSONDecodeError as exc:  # where, never what: the body is not echoed
        return Refusal(400, f"the body is not valid JSON ({json_error_text(exc)})")
    except ValueError:  # the parser's one other refusal: Python's integer digit limit
        return Refusal(
            400,
            f"the JSON body holds a number of more than {_DIGITS:,} digits; send it as a string",
        )
    if not isinstance(data, dict):
        return Refusal(400, "the JSON body must be an object")
    if body.count(b"[") + body.count(b"{") > MAX_DEPTH and depth(data) > MAX_DEPTH:
        return Refusal(400, f"the JSON body is nested deeper than {MAX_DEPTH} levels")
    collection = data.get("formCollection")
    if isinstance(collection, list):
        return flatten_form_collection(collection)
    return data


def depth(value: Any) -> int:
    """How deeply arrays and objects nest in ``value`` (iterative: no recursion limit)."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, level = pending.pop()
        children = item.values() if isinstance(item, dict) else item
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            pending.extend(
                (child, level + 1) for child in children if isinstance(child, dict | list)
            )
    return deepest


def flatten_form_collection(items: list[Any]) -> dict[str, Any]:
    """Halo's ``[{"Key": k, "Value": v}, ...]`` as ``{k: v}`` (``key``/``value`` too)."""
    found: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        key = item.get("Key", item.get("key"))
        if isinstance(key, str):
            found[key] = item.get("Value", item.get("value"))
    return found


def halo_context(payload: Mapping[str, Any]) -> dict[str, Any]:
    """``ticket`` and ``action`` of a Halo webhook payload.

    ``{"ticket": {...}, "action": {...}}`` gives both; any other object is the ticket
    itself (Halo's ticket webhooks post the ticket at the top level)."""
    ticket = payload.get("ticket")
    if isinstance(ticket, dict):
        action = payload.get("action")
        return {"ticket": ticket, "action": action if isinstance(action, dict) else {}}
    return {"ticket": dict(payload), "action": {}}


# -- inputs ---------------------------------------------------------------------------
_ABSENT: Any = object()


def compile_sources(runbook: Runbook) -> dict[str, CompiledPath]:
    """The ``from`` paths of a runbook's inputs; WorkspaceError names a bad one."""
    found: dict[str, CompiledPath] = {}
    for name, spec in runbook.inputs.items():
        if not spec.source:
            continue
        try:
            found[name] = compile_path(spec.source, roots=INPUT_ROOTS)
        except ExpressionError as exc:
            raise WorkspaceError(
                f"runbooks.{runbook.id}.inputs.{name}.from: {exc}; roots are "
                f'{", ".join(INPUT_ROOTS)} (e.g. "payload^customer^name")'
            ) from None
    return found


def pick(spec: InputSpec, path: CompiledPath | None, scope: Mapping[str, Any]) -> Any:
    """The raw value of one input (``_ABSENT`` when the payload has none or it is null)."""
    if path is None:
        value = scope["payload"].get(spec.name, _ABSENT)
    else:
        try:
            value = path.evaluate(scope)
        except (NoMatchError, UnknownVariableError):
            return _ABSENT  # nothing there, or a ticket/action root on a non-webhook runbook
        if path.raw and value is not None:
            value = render(value, True)
    return _ABSENT if value is None else value


def select_inputs(
    specs: Mapping[str, InputSpec],
    paths: Mapping[str, CompiledPath],
    scope: Mapping[str, Any],
) -> dict[str, Any] | Refusal:
    """Declared inputs, typed, with defaults; 422 naming every input that is missing or bad.

    Undeclared payload keys are ignored: a webhook sender decides what it posts, the
    runbook decides what it reads."""
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name, spec in specs.items():
        value = pick(spec, paths.get(name), scope)
        if value is _ABSENT:
            if not spec.has_default:
                problems[name] = "missing (no default)"
                continue
            value = spec.default
        try:
            values[name] = coerce(value, spec.type)
        except (TypeError, ValueError) as exc:
            problems[name] = f"must be {spec.type} ({exc})"
    if problems:
        names = ", ".join(f"'{n}'" for n in problems)
        return Refusal(422, f"invalid input {names}", problems)
    return values


# -- the gate of one runbook ----------------------------------------------------------
class Gate:
    """Everything the endpoint of one public runbook checks, prepared once at start.

    Secrets are resolved when the gate is built, so a missing secret stops ``serve`` at
    start (SecretError naming it) instead of refusing every delivery later."""

    def __init__(
        self,
        runbook: Runbook,
        secrets: Secrets,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.runbook = runbook
        self.endpoint = runbook.endpoint
        self._clock = clock
        self._paths = compile_sources(runbook)
        end = self.endpoint
        self._username = secrets.resolve(end.username).encode() if end.auth == "basic" else b""
        self._password = secrets.resolve(end.password).encode() if end.auth == "basic" else b""
        signing = (
            tuple(secrets.resolve(s).encode() for s in end.secrets)
            if end.auth == "signature"
            else ()
        )
        self._keyed = keyed(signing, end.algorithm)  # the secrets are kept only in these
        self._digest_size = ALGORITHMS[end.algorithm]().digest_size
        if end.auth == "signature" and not signing:
            raise WorkspaceError(
                f'runbooks.{runbook.id}.endpoint: auth = "signature" needs secret = "..." '
                "or secrets = [...]"
            )

    @property
    def auth(self) -> str:
        return self.endpoint.auth

    def authenticate(self, headers: Mapping[str, str], body: bytes) -> Refusal | None:
        """None when the caller may post; otherwise ``UNAUTHORIZED`` (whatever the reason)."""
        end = self.endpoint
        if end.auth == "none":
            return None
        if end.auth == "basic":
            ok = check_basic(header(headers, "Authorization"), self._username, self._password)
            return None if ok else UNAUTHORIZED
        timestamp: str | None = None
        if end.timestamp_header:
            timestamp = header(headers, end.timestamp_header)
            if not fresh(timestamp, self._clock(), end.tolerance):
                return UNAUTHORIZED
        given = header(headers, end.header)
        ok = check_signature(given, body, end, self._keyed, timestamp=timestamp)
        return None if ok else UNAUTHORIZED

    def delivery_id(self, headers: Mapping[str, str]) -> str | None:
        """The delivery id, whole (the journal keys it by a hash, per runbook)."""
        if not self.endpoint.delivery_header:
            return None
        found = (header(headers, self.endpoint.delivery_header) or "").strip()
        return found or None

    def precheck(self, headers: Mapping[str, str]) -> Refusal | None:
        """Auth as far as the headers go, before the body is read: Basic fully; for a
        signature, that it is there and well-formed (and the timestamp fresh). A caller
        without credentials is refused without being able to make us read its body."""
        end = self.endpoint
        if end.auth == "none":
            return None
        if end.auth == "basic":
            ok = check_basic(header(headers, "Authorization"), self._username, self._password)
            return None if ok else UNAUTHORIZED
        if end.timestamp_header and not fresh(
            header(headers, end.timestamp_header), self._clock(), end.tolerance
        ):
            return UNAUTHORIZED
        given = (header(headers, end.header) or "").strip()
        if end.prefix:
            if not given.startswith(end.prefix):
                return UNAUTHORIZED
            given = given[len(end.prefix) :]
        digest = decode_digest(given.strip(), end.encoding) if given else None
        return None if digest is not None and len(digest) == self._digest_size else UNAUTHORIZED

    def too_large(self, content_length: str | None) -> Refusal | None:
        """413 when the declared Content-Length is over the limit (checked before reading)."""
        if content_length is None:
            return None
        try:
            size = int(content_length)
        except ValueError:
            return Refusal(400, "Content-Length is not a number")
        return self.oversize() if size > self.endpoint.max_body else None

    def oversize(self) -> Refusal:
        return Refusal(413, f"the body is over {self.endpoint.max_body} bytes")

    def admit(self, body: bytes, content_type: str | None) -> Submission | Refusal:
        """Parse the (already authenticated) body into the run's inputs and context."""
        payload = parse_payload(body, content_type)
        if isinstance(payload, Refusal):
            return payload
        context = halo_context(payload) if self.endpoint.halo_webhook else {}
        scope = {"payload": payload, **context}
        inputs = select_inputs(self.runbook.inputs, self._paths, scope)
        if isinstance(inputs, Refusal):
            return inputs
        return Submission(inputs, context)
