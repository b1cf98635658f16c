"""Other views of a text in which a secret may hide from the everyday patterns.

* **Line breaks.** Base64 is wrapped at 64 or 76 columns (MIME, PEM), plain text is
  hard-wrapped, and a JSON string may hold the wrapped lines as ``\\n`` escapes, so a
  secret can be split across a line break. ``Unbroken`` is the text with its line breaks
  (and the indentation after them) taken out, and maps a match found there back to the
  original text, so one scan finds a secret whether or not it was split.
* **Escaped letters.** A few encoders escape every character (``\\u0061``, ``%61``,
  ``&#97;``). ``exotic`` says cheaply whether a text has any escaped letter or digit;
  only then are its decoded views (``decoded``) searched for known values.
* **Cut short.** An error message quotes a value cut to a length, ending with ``…`` or
  ``...``; when that value held a secret, the quote ends with a prefix of it that no
  pattern of the whole value matches. ``truncated_spans`` finds such prefixes.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable, Iterator
from urllib.parse import unquote

MIN_PREFIX = 6
"""The shortest cut-off prefix of a secret that is blanked before an ellipsis."""

_ESCAPED_BREAK = re.compile(r"(?<!\\)\\+[rn]")
"""A line break as a JSON escape."""
_CUTS = (
    (("\r",), re.compile(r"\r")),
    (("\n",), re.compile(r"\n[ \t]*")),
    (("\\n", "\\r"), _ESCAPED_BREAK),
)
_ESCAPED_ALNUM = (
    ("\\u00", re.compile(r"\\u00(?:3[0-9]|[46][1-9a-fA-F]|[57][0-9aA])")),
    ("%", re.compile(r"%(?:25)*(?:3[0-9]|[46][1-9a-fA-F]|[57][0-9aA])")),
    ("&#", re.compile(r"&#(?:0*(?:4[89]|5[0-7]|6[5-9]|[7-9][0-9]|1[01][0-9]|12[0-2])|[xX])")),
)
_JSON_ESCAPE = re.compile(r'\\+(?:u([0-9a-fA-F]{4})|(["/bfnrt\\]))')
_JSON_SHORT = {'"': '"', "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_ELLIPSIS = re.compile(r"…|\.\.\.")


class Unbroken:
    """``text`` without line breaks, with the way back to positions in ``text``.

    Taking the breaks out is a few C-level substitutions; the way back is worked out
    only when something was found (rarely), one substitution at a time."""

    def __init__(self, text: str) -> None:
        self._steps: list[tuple[str, re.Pattern[str]]] = []
        for markers, cut in _CUTS:
            if any(marker in text for marker in markers):
                after = _remove(text, _spans(text, cut))
                if len(after) != len(text):
                    self._steps.append((text, cut))
                    text = after
        self.text = text
        self._escaped = next(
            (i for i, (_text, cut) in enumerate(self._steps) if cut is _ESCAPED_BREAK), None
        )
        """The step that took out escaped breaks, if any did (see :meth:`spans`)."""

    def spans(self, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
        """The matches of ``pattern`` in the joined text, as spans of the original, and in
        the text before its escaped breaks were taken out (sorted): ``\\n`` may be a line
        break's escape or a secret's own backslash before an ``n`` (``C:\\new...``), and
        taken out as an escape it would hide a secret that ends in a backslash or starts
        with ``n``. Real line breaks take nothing of a secret with them."""
        spans = self._back(_found(pattern, self.text), self._steps)
        if self._escaped is not None:
            before = self._steps[self._escaped][0]
            spans += self._back(_found(pattern, before), self._steps[: self._escaped])
            spans.sort()
        return spans

    @staticmethod
    def _back(
        spans: list[tuple[int, int]], steps: list[tuple[str, re.Pattern[str]]]
    ) -> list[tuple[int, int]]:
        """``spans`` in the text after ``steps``, as spans of the text before them."""
        for before, cut in reversed(steps):
            if not spans:
                break
            back = _Way(before, cut)
            spans = [(back.original(start), back.original(end - 1) + 1) for start, end in spans]
        return spans

    def search(self, pattern: re.Pattern[str]) -> bool:
        """Does ``pattern`` match the joined text, or the text with its escaped breaks
        (see :meth:`spans`)?"""
        if pattern.search(self.text) is not None:
            return True
        escaped = self._escaped
        return escaped is not None and pattern.search(self._steps[escaped][0]) is not None


def _found(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text) if m.end() > m.start()]


class _Way:
    """From positions in ``cut.sub("", text)`` back to positions in ``text``."""

    def __init__(self, text: str, cut: re.Pattern[str]) -> None:
        self._joined_at = [0]  # where each kept piece starts in the joined text ...
        self._text_at = [0]  # ... and in the original
        removed = 0
        for start, end in _spans(text, cut):
            removed += end - start
            self._joined_at.append(end - removed)
            self._text_at.append(end)

    def original(self, position: int) -> int:
        index = bisect.bisect_right(self._joined_at, position) - 1
        return self._text_at[index] + position - self._joined_at[index]


def _spans(text: str, cut: re.Pattern[str]) -> list[tuple[int, int]]:
    """What ``cut`` takes out of ``text``. Of a run of backslashes before ``r``/``n`` only
    the escape itself goes: the last backslash (JSON) or two (JSON inside JSON), with the
    letter; the ones before it are escaped backslashes, part of the text (of a secret)."""
    spans = []
    for match in cut.finditer(text):
        start, end = match.span()
        if text[start] == "\\":
            slashes = end - 1 - start
            start = end - (3 if slashes % 2 == 0 else 2)
        spans.append((start, end))
    return spans


def _remove(text: str, spans: list[tuple[int, int]]) -> str:
    pieces, position = [], 0
    for start, end in spans:
        pieces.append(text[position:start])
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def has_breaks(text: str) -> bool:
    return "\n" in text or "\r" in text or "\\n" in text or "\\r" in text


def replace_spans(text: str, spans: Iterable[tuple[int, int]], by: str) -> str:
    """``text`` with each of ``spans`` (sorted, maybe overlapping) replaced by ``by``."""
    out: list[str] = []
    position = 0
    for start, end in spans:
        if end <= position:
            continue
        out.append(text[position : max(start, position)])
        out.append(by)
        position = end
    out.append(text[position:])
    return "".join(out)


def exotic(text: str) -> bool:
    """Does ``text`` escape a letter or digit (``\\u0061``, ``%61``, ``&#97;``)?"""
    return any(marker in text and rx.search(text) for marker, rx in _ESCAPED_ALNUM)


def _json_unescape(text: str) -> str:
    if "\\" not in text:
        return text

    def one(match: re.Match[str]) -> str:
        code, short = match.groups()
        return chr(int(code, 16)) if code else _JSON_SHORT.get(short, short)

    joined = _JSON_ESCAPE.sub(one, text)
    return joined.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def decoded(text: str) -> Iterator[str]:
    """``text`` and what it becomes as JSON escapes, percent-encoding and HTML entities
    are undone, in turn, a few levels deep (each view also without line breaks)."""
    import html  # here: html.entities' table is ~2 ms of start-up; only exotic texts come here

    seen = {text}
    current = text
    yield text
    for _ in range(3):
        for decode in (_json_unescape, unquote, html.unescape):
            after = decode(current)
            if after not in seen:
                seen.add(after)
                current = after
                yield after
                if has_breaks(after):
                    yield Unbroken(after).text


def spellings(value: str) -> set[str]:
    """How an error message quotes ``value``: as is, JSON-escaped, ``repr``-escaped."""
    forms = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    forms.add(repr(value)[1:-1])
    return {form for form in forms if len(form) >= MIN_PREFIX}


def truncated_spans(text: str, values: Iterable[str]) -> list[tuple[int, int]]:
    """Spans of ``text`` that are a prefix of one of ``values`` (``MIN_PREFIX`` long or
    more) right before an ellipsis: a secret quoted and cut short."""
    spans = []
    forms = [form for value in values for form in spellings(value)]
    for mark in _ELLIPSIS.finditer(text):
        end = mark.start()
        for form in forms:
            start = _prefix_before(text, end, form)
            if start is not None:
                spans.append((start, end))
    return sorted(spans)


def _prefix_before(text: str, end: int, form: str) -> int | None:
    """The start of the longest prefix of ``form`` that ends at ``end`` in ``text``."""
    head = form[:MIN_PREFIX]
    lowest = max(0, end - len(form))
    start = text.find(head, lowest, end)
    while start != -1:
        if form.startswith(text[start:end]):
            return start
        start = text.find(head, start + 1, end)
    return None


__all__ = [
    "MIN_PREFIX",
    "Unbroken",
    "decoded",
    "exotic",
    "has_breaks",
    "replace_spans",
    "truncated_spans",
]
