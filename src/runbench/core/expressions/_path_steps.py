"""The steps of a compiled output path and the words used to explain a miss.

Split from ``runbench.core.expressions._paths``: each step (child, index, filter, header lookup) knows
how to take one hop through a JSON value and, when it finds nothing, how to say what was
there instead. ``paths`` parses text into these steps and evaluates them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from runbench.core.errors import (
    suggest,
)
from runbench.core.files import load_json_text

MAX_NUMBER_CHARS = 4000
"""Longer numbers in text stay text: Python converts at most 4,300 digits to an int (and
``json`` reads no longer number, so no response holds one to compare with)."""

Scope = Mapping[str, Any]

_NAME_STOPS = frozenset('^[]!="<>')
_INDEX = re.compile(r"-?[0-9]+(?=\])")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")


class _Slow(Exception):
    """Raised by fast helpers: let the reference evaluator decide and explain."""


class _Miss(Exception):
    """A step found nothing; the message says what was there instead."""


_MISSING: Any = object()  # "no value here" (None is a value)
_NO_BOOL: Any = object()  # a filter value that is neither true nor false


# ----------------------------------------------------------------------------- descriptions


_KINDS: tuple[tuple[Any, str], ...] = (
    (bool, "a boolean"),
    (str, "a string"),
    (int | float, "a number"),
    (Mapping, "an object"),
)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    kind = next((name for cls, name in _KINDS if isinstance(value, cls)), None)
    return kind or ("an array" if _is_array(value) else f"a Python {type(value).__name__}")


def _is_array(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes | bytearray)


def _short(value: Any, limit: int = 30) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except ValueError:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _listing(items: Sequence[str], limit: int = 10) -> str:
    more = len(items) - limit
    return ", ".join(items[:limit]) + (f", … ({more} more)" if more > 0 else "")


def _count(n: int) -> str:
    return "an empty array" if n == 0 else f"{n} element" + ("" if n == 1 else "s")


def _plural(label: str) -> str:
    return f"{label}s" if label.isidentifier() and not label.endswith("s") else f"{label} values"


def _scalar_text(value: Any) -> str | None:
    """A scalar as a filter value compares: strings as they are, others as JSON text."""
    if isinstance(value, str):
        return value
    return json.dumps(value) if value is None or isinstance(value, int | float) else None


def json_in_string(value: Any) -> Any:
    """A string holding a JSON object or array, parsed; else ``_MISSING``.

    Halo's paths walk on into such a string (an AI answer whose content is a JSON document:
    ``response^choices[0]^message^content^field!``). A Markdown code fence around the
    document (```` ```json ... ``` ````), which chat models like to add, is ignored."""
    if not isinstance(value, str):
        return _MISSING
    text = value.strip()
    if text.startswith("```") and text.endswith("```") and len(text) > 6:
        text = text[3:-3]
        text = text[text.find("\n") + 1 :] if "\n" in text else text
        text = text.strip()
    if text[:1] not in ("{", "["):
        return _MISSING
    try:
        return load_json_text(text)
    except ValueError:
        return _MISSING


def _dig(value: Any, props: tuple[str, ...]) -> Any:
    for prop in props:
        try:
            value = value[prop]
        except (KeyError, TypeError, IndexError):
            return _MISSING
    return value


# ----------------------------------------------------------------------------- steps
# Each step has: `text` (as written), `apply(value, where)` for the reference evaluator and
# `emit()`: its line(s) of the fast function, with `{k}` standing for the constant returned.


@dataclass(frozen=True, slots=True)
class _Child:
    """``^name``: a key of an object."""

    text: str
    name: str

    def apply(self, value: Any, where: str) -> Any:
        try:
            return value[self.name]
        except (KeyError, TypeError, IndexError):
            pass
        if not isinstance(value, Mapping):
            parsed = json_in_string(value)
            if parsed is not _MISSING:
                return self.apply(parsed, where)
            raise _Miss(f"{where} is {_kind(value)}, not an object{self._pick(value, where)}")
        keys = [str(k) for k in value]
        if not keys:
            raise _Miss(f"no key {self.name!r} in {where} (an empty object)")
        hint = suggest(self.name, keys)
        did = f"; did you mean {hint[0]!r}?" if hint else ""
        raise _Miss(f"no key {self.name!r} in {where} (keys: {_listing(keys)}{did})")

    def _pick(self, value: Any, where: str) -> str:
        """What to write instead, where ``value`` is an array: ``[n]`` picks an item."""
        if not _is_array(value):
            return ""
        if self.name.isdigit():
            return f" (an item is picked with brackets: {where}[{self.name}])"
        return f" (pick an item first: {where}[0]^{self.name})"

    def emit(self) -> tuple[str, Any]:
        return "v = v[{k}]", self.name


@dataclass(frozen=True, slots=True)
class _Index:
    """``[n]``: an element of an array (negative counts from the end)."""

    text: str
    index: int

    def apply(self, value: Any, where: str) -> Any:
        if not _is_array(value):
            parsed = json_in_string(value)
            if parsed is not _MISSING:
                return self.apply(parsed, where)
            raise _Miss(f"{where} is {_kind(value)}, not an array")
        try:
            return value[self.index]
        except IndexError:
            raise _Miss(
                f"index {self.text[1:-1]} out of range in {where} ({_count(len(value))})"
            ) from None

    def emit(self) -> tuple[str, Any]:
        return "if v.__class__ is not L: raise S\nv = v[{k}]", self.index


@dataclass(frozen=True, slots=True)
class _Filter:
    """`[prop=value]`: the first element whose prop matches. A bare value matches an element
    value whose text is the same, or a number equal to it; a quoted value only by text."""

    text: str
    props: tuple[str, ...]
    value: str
    quoted: bool
    accepted: frozenset[Any] = field(compare=False)
    boolean: Any = field(compare=False)
    plain: bool = field(compare=False)  # True and False are not in `accepted`, boolean unset

    def matches(self, found: Any) -> bool:
        if self.quoted:
            return _scalar_text(found) == self.value
        try:
            hit = found in self.accepted and found.__class__ is not bool
        except TypeError:  # unhashable: an object or array never matches
            return False
        return hit or found is self.boolean

    def find(self, seq: Sequence[Any]) -> Any:
        for element in seq:
            found = _dig(element, self.props)
            if found is not _MISSING and self.matches(found):
                return element
        return _MISSING

    def fast(self, seq: Any) -> Any:
        if seq.__class__ is not list:
            raise _Slow
        if self.quoted:
            hit = self.find(seq)
            if hit is _MISSING:
                raise _Slow
            return hit
        props, accepted, boolean = self.props, self.accepted, self.boolean
        key = props[0]
        if self.plain and len(props) == 1:  # the common case: no bool checks, one key
            for element in seq:
                if element.__class__ is dict and element.get(key, _MISSING) in accepted:
                    return element
            raise _Slow
        for element in seq:
            found = element
            for prop in props:
                found = found.get(prop, _MISSING) if found.__class__ is dict else _MISSING
            if (found in accepted and found.__class__ is not bool) or found is boolean:
                return element
        raise _Slow  # not found among plain dicts: the reference evaluator looks again

    def apply(self, value: Any, where: str) -> Any:
        if not _is_array(value):
            parsed = json_in_string(value)
            if parsed is not _MISSING:
                return self.apply(parsed, where)
            raise _Miss(f"{where} is {_kind(value)}, not an array")
        hit = self.find(value)
        if hit is _MISSING:
            raise _Miss(f"no element with {self.text[1:-1]} in {where} ({self._seen(value)})")
        return hit

    def _seen(self, seq: Sequence[Any]) -> str:
        if not seq:
            return "an empty array"
        label = "^".join(self.props)
        values = [_short(v) for e in seq if (v := _dig(e, self.props)) is not _MISSING]
        if not values:
            return f"{_count(len(seq))}, none has {label!r}"
        return f"{_count(len(seq))}, {_plural(label)} {_listing(list(dict.fromkeys(values)))}"

    def emit(self) -> tuple[str, Any]:
        return "v = {k}(v)", self.fast


def _make_filter(text: str, props: tuple[str, ...], value: str, quoted: bool) -> _Filter:
    accepted: set[Any] = {value}
    if not quoted and _JSON_NUMBER.fullmatch(value) and len(value) <= MAX_NUMBER_CHARS:
        number: float = float(value) if any(c in value for c in ".eE") else int(value)
        if math.isfinite(number):
            accepted.add(number)
    if value == "null":
        accepted.add(None)
    boolean = {"true": True, "false": False}.get(value, _NO_BOOL)
    plain = boolean is _NO_BOOL and True not in accepted and False not in accepted
    return _Filter(text, props, value, quoted, frozenset(accepted), boolean, plain)


@dataclass(frozen=True, slots=True)
class _Header:
    """`headers^Name`: header names compare case-insensitively."""

    text: str
    name: str

    def find(self, headers: Any) -> Any:
        try:
            return headers[self.name]
        except (KeyError, TypeError, IndexError):
            pass
        if isinstance(headers, Mapping):
            wanted = self.name.lower()
            for key, value in headers.items():
                if isinstance(key, str) and key.lower() == wanted:
                    return value
        return _MISSING

    def fast(self, headers: Any) -> Any:
        hit = self.find(headers)
        if hit is _MISSING:
            raise _Slow
        return hit

    def apply(self, value: Any, where: str) -> Any:
        if not isinstance(value, Mapping):
            raise _Miss(f"{where} is {_kind(value)}, not a set of headers")
        hit = self.find(value)
        if hit is _MISSING:
            names = _listing([str(k) for k in value]) or "none"
            raise _Miss(f"no header {self.name!r} in {where} (headers: {names})")
        return hit

    def emit(self) -> tuple[str, Any]:
        return "v = {k}(v)", self.fast


_Step = _Child | _Index | _Filter | _Header
