"""The spellings a secret takes on its way through requests, answers and logs, as regexes.

A secret does not stay in one spelling: a URL carries it percent-encoded (either hex
case; ``+`` for a space; encoded twice when a URL travels inside another URL's query), a
JSON body escaped (``\\/``, ``\\"``, ``\\u00e9``; Go escapes ``<>&`` as ``\\u003c``...; a
JSON document inside a JSON string doubles every backslash; a JSON body inside a URL
percent-encodes the backslash), an HTML page as entities (``&amp;``, ``&#39;``), and a
Basic header or a JWT as base64 together with text around it.

``spelling_pattern`` is the everyday pattern: letters and digits stand for themselves
(no common encoder rewrites them, and literal characters keep the one compiled regex as
fast as a plain search), every other character matches all of the spellings above.
``thorough_pattern`` also accepts the rare encoders that escape letters and digits too
(``\\u0061``, ``%61``, ``&#97;``); it is slow, so the Redactor compiles it only for a value
that such a text is seen to hold (see ``_views``). ``base64_fragments`` are the parts of
the base64 of any text containing a value, at each alignment and in both alphabets.
"""

from __future__ import annotations

import base64
import json
import re
from functools import lru_cache

MIN_BASE64_FRAGMENT = 6
"""Base64 fragments shorter than this are not searched for (too likely to occur by chance)."""

_LITERAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_BACKSLASHES = r"(?:\\|%5[cC]|%255[cC])+"
"""The backslash of a JSON escape: doubled once per level of JSON-in-a-string, and
percent-encoded when the JSON travels in a URL."""
_JSON_SHORT = {'"': '"', "/": "/", "\b": "b", "\f": "f", "\n": "n", "\r": "r", "\t": "t"}
_NAMED_ENTITIES = {"&": ("amp",), "<": ("lt",), ">": ("gt",), '"': ("quot",), "'": ("apos",)}
_BREAKS = frozenset("\r\n")


def _either_case(text: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in text)


def _percent(char: str) -> list[str]:
    """``char`` percent-encoded once and twice (``%2F``, ``%252F``), hex in either case."""
    data = char.encode("utf-8")
    once = "".join("%" + _either_case(f"{b:02X}") for b in data)
    twice = "".join("%25" + _either_case(f"{b:02X}") for b in data)
    return [once, twice]


def _unicode_escape(char: str) -> str:
    """``\\u00e9`` (a surrogate pair beyond the BMP), any backslash spelling, either case."""
    code = ord(char)
    if code > 0xFFFF:
        high = 0xD800 + ((code - 0x10000) >> 10)
        low = 0xDC00 + ((code - 0x10000) & 0x3FF)
        return _unicode_escape(chr(high)) + _unicode_escape(chr(low))
    return _BACKSLASHES + "u" + _either_case(f"{code:04x}")


def _entities(char: str) -> list[str]:
    code = ord(char)
    forms = [f"&#0*{code};", f"&#[xX]0*{_either_case(f'{code:x}')};"]
    forms += [f"&{name};" for name in _NAMED_ENTITIES.get(char, ())]
    return forms


@lru_cache(maxsize=2048)
def char_pattern(char: str, thorough: bool = False) -> str:
    """A regex matching ``char`` in each of its spellings. Letters and digits match only
    themselves unless ``thorough``. A line break in a value may be missing (texts are
    also searched with their line breaks taken out)."""
    if char in _LITERAL and not thorough:
        return char
    forms = [re.escape(char), *_percent(char), _unicode_escape(char), *_entities(char)]
    if char == " ":
        forms += [r"\+", "%2[bB]"]
    if char == "\\":
        forms[0] = _BACKSLASHES
    elif char in _JSON_SHORT:
        short = _JSON_SHORT[char]  # the " of \" and the / of \/ may be percent-encoded too
        tail = (
            short
            if short in _LITERAL
            else "(?:" + "|".join([re.escape(short), *_percent(short)]) + ")"
        )
        forms.append(_BACKSLASHES + tail)
    pattern = "(?:" + "|".join(forms) + ")"
    return pattern + "?" if char in _BREAKS else pattern


def spelling_pattern(value: str) -> str:
    """A regex matching ``value`` in each of its everyday spellings. What a text loses when
    its line breaks (and the indentation after them) are taken out may be missing: line
    breaks, spaces and tabs, and a backslash before a line break or an ``n``/``r`` (a
    line break as a JSON escape)."""
    parts: list[str] = []
    for index, char in enumerate(value):
        pattern = char_pattern(char)
        if char in " \t":
            pattern += "?"
        elif char in "nr" and value[index - 1 : index] == "\\":
            parts[-1] = f"(?:{parts[-1]}{char})?"
            continue
        elif char == "\\" and value[index + 1 : index + 2] in _BREAKS:
            pattern += "?"
        parts.append(pattern)
    return "".join(parts)


@lru_cache(maxsize=256)
def thorough_pattern(value: str) -> re.Pattern[str]:
    """``value`` also with its letters and digits escaped (slow: used only where needed)."""
    return re.compile("".join(char_pattern(char, thorough=True) for char in value))


def _fragments_of(raw: bytes) -> set[str]:
    found: set[str] = set()
    for offset in range(3):
        stream = b"\0" * offset + raw + b"\0\0"
        encoded = base64.b64encode(stream).decode("ascii")
        first = -(-offset * 8 // 6)  # the first character made only of the value's bits
        last = (offset * 8 + len(raw) * 8) // 6  # one past the last such character
        fragment = encoded[first:last]
        if len(fragment) >= MIN_BASE64_FRAGMENT:
            found.add(fragment)
            found.add(fragment.replace("+", "-").replace("/", "_"))
    return found


def base64_fragments(value: str) -> set[str]:
    """Parts of the base64 encoding of ``value`` that appear in the base64 of any text
    containing it (whatever comes before it), in both alphabets; also of its JSON
    spellings (a JWT or a base64 JSON document holds the value JSON-escaped)."""
    spellings = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    spellings |= {s.replace("/", "\\/") for s in spellings}
    found: set[str] = set()
    for spelling in spellings:
        found |= _fragments_of(spelling.encode("utf-8", "surrogatepass"))
    return found


__all__ = [
    "MIN_BASE64_FRAGMENT",
    "base64_fragments",
    "char_pattern",
    "spelling_pattern",
    "thorough_pattern",
]
