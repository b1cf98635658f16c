"""Who may post to a public endpoint: HTTP Basic and HMAC signatures (with a timestamp
against replays, and several secrets at once for rotation).

Every comparison of a secret or a digest is constant-time (``hmac.compare_digest``), every
secret is tried (no early exit), and the callers turn every failure into the one
``UNAUTHORIZED`` answer, so a probe learns nothing about why it failed. Kept apart from
``_intake`` (payloads, inputs, the ``Gate`` that uses both): these checks read no payload,
only the raw body's bytes, the headers and the secrets.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from runbench.core.workspace import Endpoint

try:  # the C HMAC that hmac.HMAC wraps: its copy skips a Python object and two calls
    from _hashlib import hmac_new as _openssl_hmac
except ImportError:  # a Python built without OpenSSL
    _openssl_hmac = None  # type: ignore[assignment]

ALGORITHMS: Mapping[str, Callable[..., Any]] = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha512": hashlib.sha512,
}


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name: as given, or lower-cased (plain dicts from tests, ASGI scopes)."""
    found = headers.get(name)
    return found if found is not None else headers.get(name.lower())


def check_basic(authorization: str | None, username: bytes, password: bytes) -> bool:
    """``Authorization: Basic ...`` matches (both parts compared in constant time)."""
    if not authorization:
        return False
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    user, sep, word = decoded.partition(b":")
    user_ok = hmac.compare_digest(user, username)
    word_ok = hmac.compare_digest(word, password)
    return bool(sep) and user_ok and word_ok


class Key(Protocol):
    """An HMAC with its key set up (:func:`keyed`): OpenSSL's own, or ``hmac.HMAC``."""

    def copy(self) -> Key: ...

    def update(self, msg: bytes, /) -> None: ...

    def digest(self) -> bytes: ...


def keyed(secrets: tuple[bytes, ...], algorithm: str) -> tuple[Key, ...]:
    """An HMAC per secret with its key already set up, to sign with by :func:`sign`.

    A copy of one signs a body for half or less of what a new HMAC costs (OpenSSL 3 looks
    the digest up and sets the key up again for each new one), on every delivery. It is
    OpenSSL's HMAC object itself where there is one: copying ``hmac.HMAC`` builds a
    Python object around a copy of it, a third of the signature's cost."""
    if _openssl_hmac is not None:
        try:
            return tuple(_openssl_hmac(secret, digestmod=algorithm) for secret in secrets)
        except (ValueError, TypeError):  # this OpenSSL lacks the digest (FIPS builds), or
            pass  # the private _hashlib.hmac_new changed its signature: Python's hmac
    return tuple(hmac.new(secret, digestmod=ALGORITHMS[algorithm]) for secret in secrets)


def sign(key: Key, message: bytes) -> bytes:
    """The HMAC digest of ``message`` under ``key`` (from :func:`keyed`): what a sender
    computes."""
    mac = key.copy()
    mac.update(message)
    return mac.digest()


def decode_digest(text: str, encoding: str) -> bytes | None:
    """The digest bytes of a signature header value, or None when it is not well-formed."""
    try:
        if encoding == "hex":
            return bytes.fromhex(text)
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def signed_message(body: bytes, timestamp: str | None) -> bytes:
    """What is signed: the raw body, or ``"{timestamp}.{body}"`` with a timestamp header."""
    return body if timestamp is None else timestamp.encode("ascii", "replace") + b"." + body


def check_signature(
    given: str | None,
    body: bytes,
    endpoint: Endpoint,
    secrets: tuple[Key, ...],
    *,
    timestamp: str | None = None,
) -> bool:
    """The signature header value ``given`` is the HMAC of the body under one of ``secrets``
    (:func:`keyed`).

    Every secret is tried (no early exit), so timing does not tell which one matched."""
    if not given or not secrets:
        return False
    value = given.strip()
    if endpoint.prefix:
        if not value.startswith(endpoint.prefix):
            return False
        value = value[len(endpoint.prefix) :]
    digest = decode_digest(value.strip(), endpoint.encoding)
    if digest is None:
        return False
    message = signed_message(body, timestamp)
    matched = False
    for secret in secrets:
        matched |= hmac.compare_digest(digest, sign(secret, message))
    return matched


def fresh(timestamp: str | None, now: float, tolerance: float) -> bool:
    """A Unix-seconds timestamp within ``tolerance`` of ``now`` (past or future)."""
    if not timestamp:
        return False
    try:
        at = float(timestamp.strip())
    except ValueError:
        return False
    return math.isfinite(at) and abs(now - at) <= tolerance


__all__ = [
    "ALGORITHMS",
    "Key",
    "check_basic",
    "check_signature",
    "decode_digest",
    "fresh",
    "header",
    "keyed",
    "sign",
    "signed_message",
]
