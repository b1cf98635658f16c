"""The strict JSON a public endpoint accepts: what one parser reads the same as any other.

Python's ``json`` is lenient where other parsers differ, and a webhook body is read by
more than one program (the sender signed it, a proxy may log it, the run's steps send
parts of it on). So a body is refused when parsers disagree on it or it cannot travel on:
``NaN``/``Infinity`` (not JSON; the journal cannot store them either) and numbers that
overflow to infinity; duplicate keys (one parser takes the first, another the last: a
signed body could mean two things); anything but UTF-8, a byte order mark included
(``json.loads`` on bytes quietly accepts UTF-16 and a BOM); strings with a lone
surrogate escape (``"\\ud800"``), which no UTF-8 encoder can write out again.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_LONE_SURROGATE_ESCAPE = re.compile(r"\\[uU][dD][89a-fA-F]")
"""A surrogate escape: checked further only when one is there."""


class NotStrictJson(ValueError):
    """Why a body is refused (the message is the 400's ``error``)."""


def _constant(name: str) -> Any:
    raise NotStrictJson(f"the JSON body holds {name}, which is not JSON; send a number or null")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise NotStrictJson(f"the JSON number {text[:20]} is too large for a float")
    return number


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise NotStrictJson(f"the JSON body has the key {key[:40]!r} twice in one object")
        found[key] = value
    return found


_STRICT = json.JSONDecoder(
    parse_constant=_constant, parse_float=_finite, object_pairs_hook=_unique_keys
)
"""Built once: ``json.loads`` with these hooks built a decoder and its scanner per body,
which cost more than parsing a webhook's body. It holds no state between calls."""


def load_strict(body: bytes) -> Any:
    """``body`` as JSON, or NotStrictJson saying why not; also ValueError and
    RecursionError from the parser itself (bad syntax, an integer over 4,300 digits,
    nesting deep enough to exhaust the stack)."""
    if body.startswith(b"\xef\xbb\xbf"):
        raise NotStrictJson(
            "the JSON body starts with a UTF-8 byte order mark (bytes EF BB BF at offset 0),"
            " which JSON may not begin with; send the same UTF-8 text without those 3 bytes"
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotStrictJson(
            f"the JSON body is not UTF-8 ({exc.reason} at byte offset {exc.start}; UTF-16"
            " or Latin-1 perhaps); send it encoded as UTF-8"
        ) from None
    data = _STRICT.decode(text)
    if _LONE_SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise NotStrictJson(
                "the JSON body holds a lone surrogate escape (\\ud800-\\udfff), not a character"
            ) from None
    return data


__all__ = ["NotStrictJson", "load_strict"]
