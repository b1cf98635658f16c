"""Pretty-print JSON text a piece at a time, without parsing it, in constant memory.

A 50 MiB response used to be re-indented in one go: one Python string per token (12
million of them), their join, and its UTF-8 encoding, all alive at once: ~800 MB in the
formatter for a 50 MiB body. ``Reindenter.feed`` takes the text in pieces and returns each
piece's output at once, so the caller can write it out and drop it; only a token cut by
the end of a piece is kept for the next one.

Speed: a piece goes the bulk way (``_bulk``): a dozen C-level passes over the whole piece
(``split('"')`` for the strings, ``re.split`` at the brackets, one ``replace`` per run
of text at one depth, one %-format to put the strings back), no Python step per token;
1.5x faster than the token loop on a 50 MiB body. The token loop (``_tokens``) is the
specification and the way for what the bulk way declines (bad JSON: a closer below depth
zero, a backslash outside strings; pieces with its marks, short pieces). It splits the
text by one C-level ``re.split`` into strings, structural characters and what lies between
(numbers, true/false/null), then looks at the first character of each part. Either way
the output is that of a scan token by token (``{`` or ``[`` opens a line at depth + 1,
``,`` ends a line, ``:`` gets one space, empty objects and arrays stay ``{}``/``[]``,
whitespace between tokens is dropped), and bad JSON still comes out readable (unbalanced
brackets never indent below zero).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import accumulate, islice, repeat
from operator import getitem

_PARTS = re.compile(r'("[^"\\]*(?:\\.[^"\\]*)*(?:\\\Z)?"?|[{}\[\],:])')
"""A string (to its closing quote, or the end), or one structural character. A backslash
at the very end stays inside its string, so a piece never cuts a string in two wrongly."""
_BRACKETS = re.compile(r"([{}\[\]])")
_SPACES = re.compile(r"\s+")
_BULK_UNSAFE = ("\x01", "\x02", "\x03", "\x04", "\x05", "\x06", "\\\n")
"""The bulk path's marks (empty pairs, escapes), and a backslash before a newline (where
``_PARTS`` cuts a string short): a piece with any of them takes the token loop."""
_ESCAPES = (("\\\\", "\x05"), ('\\"', "\x06"))
_EMPTY_PAIRS = (("{}", "\x01"), ("{]", "\x02"), ("[}", "\x03"), ("[]", "\x04"))
_DELTAS = {"{": 1, "[": 1, "}": -1, "]": -1}
BULK_MIN = 4096
"""Pieces shorter than this take the token loop (the bulk path's set-up costs more)."""
_OPENERS = ("{", "[")
_CLOSERS = ("}", "]")
_COLON, _COMMA, _OPEN, _CLOSE = range(4)
_KINDS = {":": _COLON, ",": _COMMA, "{": _OPEN, "[": _OPEN, "}": _CLOSE, "]": _CLOSE}
Put = Callable[[str], None]


class Reindenter:
    """``feed(piece)`` the text in order, then ``feed("", final=True)``."""

    def __init__(self, *, depth: int = 0, bulk_min: int = BULK_MIN) -> None:
        self._depth = depth
        self._carry = ""
        self._opened = False  # an opener was the last token: its newline waits (for {} / [])
        self._lines: list[str] = ["\n"]  # "\n" and the indent of each depth
        self._commas: list[str] = [",\n"]
        self._brackets: dict[str, list[str]] = {
            "{": ["{\n"],
            "[": ["[\n"],
            "}": ["\n}"],
            "]": ["\n]"],
        }
        self._bulk_min = bulk_min

    def continues_at(self, depth: int) -> bool:
        """Whether a ``Reindenter(depth=depth)`` fed the rest of the text would go on
        exactly as this one (at ``depth``, nothing carried, no opener waiting)."""
        return self._depth == depth and not self._carry and not self._opened

    def feed(self, piece: str, *, final: bool = False) -> str:
        """The output for ``piece`` (and what was kept from the last one)."""
        text = self._carry + piece
        if len(text) >= self._bulk_min and not self._opened and not _any_in(_BULK_UNSAFE, text):
            bulk = self._bulk(text)
            if bulk is not None:
                out, self._carry = bulk
                return out + self._tokens(self._carry, final) if final else out
        return self._tokens(text, final)

    def _tokens(self, text: str, final: bool) -> str:
        """``feed`` a token at a time: any text, and the only path for bad JSON."""
        parts = _PARTS.split(text)
        # parts alternate: between, token, between, token, ..., between (the last)
        if final:
            self._carry = ""
        elif parts[-1]:
            self._carry = parts.pop()  # a number or word the next piece may go on with
            parts.append("")
        elif len(parts) > 1:
            token = parts[-2]  # ends exactly at the cut: a string may go on
            if token[0] == '"':
                self._carry = token
                del parts[-2:]
                parts.append("")
            else:
                self._carry = ""
        else:
            self._carry = ""
        out: list[str] = []
        self._emit(parts, out)
        if final and self._opened:
            out.append(self._lines[self._depth])
            self._opened = False
        return "".join(out)

    def _emit(self, parts: list[str], out: list[str]) -> None:
        """Output for ``parts`` (between, token, ..., between): the hot loop. Only the
        token right after an opener needs to know about it (``_after_opener``)."""
        put = out.append
        depth, opened = self._depth, self._opened
        lines, commas = self._lines, self._commas
        kinds = _KINDS
        it = iter(parts)
        for between, token in zip(it, it, strict=False):
            if opened:
                depth = self._after_opener(between, token, depth, put)
                opened = token in _OPENERS
                continue
            if between:
                word = "".join(between.split())
                if word:
                    put(word)
            kind = kinds.get(token)
            if kind is None:  # a string
                put(token)
            elif kind == _COLON:
                put(": ")
            elif kind == _COMMA:
                put(commas[depth])
            elif kind == _OPEN:
                depth += 1
                self._grow(depth)
                put(token)
                opened = True
            else:
                depth = depth - 1 if depth else 0
                put(lines[depth])
                put(token)
        last = "".join(parts[-1].split())
        if last:
            if opened:
                put(lines[depth])
                opened = False
            put(last)
        self._depth, self._opened = depth, opened

    def _after_opener(self, between: str, token: str, depth: int, put: Put) -> int:
        """The first token after ``{`` or ``[``: a closer keeps ``{}``/``[]`` on the line;
        anything else starts the opener's first line. Returns the new depth."""
        word = "".join(between.split())
        if word:
            put(self._lines[depth])
            put(word)
        elif token in _CLOSERS:
            put(token)
            return depth - 1 if depth else 0
        else:
            put(self._lines[depth])
        return self._emit_one(token, depth, put)

    def _emit_one(self, token: str, depth: int, put: Put) -> int:
        kind = _KINDS.get(token)
        if kind is None:
            put(token)
        elif kind == _COLON:
            put(": ")
        elif kind == _COMMA:
            put(self._commas[depth])
        elif kind == _OPEN:
            depth += 1
            self._grow(depth)
            put(token)
        else:
            depth = depth - 1 if depth else 0
            put(self._lines[depth])
            put(token)
        return depth

    def _bulk(self, text: str) -> tuple[str, str] | None:
        """The output for ``text`` and what to carry, by C-level passes over the whole
        piece instead of a Python step per token; None where it might differ from the token
        loop (a backslash outside strings, a closer below depth zero: bad JSON), which then
        does the piece.

        Escaped backslashes and quotes become marks, so every quote left delimits a string
        and ``split('"')`` takes the strings out. What is left (the frame: brackets, commas,
        colons, words, ``""`` per string) loses its whitespace, gets ``": "`` and its empty
        pairs marked; split at the brackets, each segment lies at one depth, so its commas
        take that depth's indent in one ``replace``. The strings then go back between their
        quotes. An unfinished string, or a last opener (``{}`` may be cut in two), waits
        for the next piece."""
        escaped = "\\" in text
        if escaped:
            for escape, mark in _ESCAPES:
                text = text.replace(escape, mark)
        parts = text.split('"')  # outside, string, outside, ..., outside
        carry = _restored('"' + parts.pop()) if len(parts) % 2 == 0 else ""
        frame, carry = _frame_and_carry('""'.join(parts[0::2]), carry)
        if escaped and ("\\" in frame or "\x05" in frame or "\x06" in frame):
            return None
        if len(parts) > 1:  # the strings go back by one %-format: no split, no join
            frame = frame.replace("%", "%%").replace('""', '"%s"')
        out = self._indented(frame)
        if out is None:
            return None
        if len(parts) > 1:
            out %= tuple(parts[1::2])
        return (_restored(out) if escaped else out), carry

    def _indented(self, frame: str) -> str | None:
        """The frame (no strings: ``""`` in their place) with its line breaks and indents."""
        if _SPACES.search(frame):
            frame = _SPACES.sub("", frame)
        for pair, mark in _EMPTY_PAIRS:
            if pair in frame:
                frame = frame.replace(pair, mark)
        pieces = _BRACKETS.split(frame.replace(":", ": "))
        brackets = pieces[1::2]
        depths = list(accumulate(map(_DELTAS.__getitem__, brackets), initial=self._depth))
        if min(depths) < 0:
            return None
        self._grow(max(depths))
        pieces[0::2] = map(
            str.replace, pieces[0::2], repeat(","), map(self._commas.__getitem__, depths)
        )
        pieces[1::2] = map(
            getitem, map(self._brackets.__getitem__, brackets), islice(depths, 1, None)
        )
        out = "".join(pieces)
        for pair, mark in _EMPTY_PAIRS:
            if mark in out:
                out = out.replace(mark, pair)
        self._depth = depths[-1]
        return out

    def _grow(self, depth: int) -> None:
        while len(self._lines) <= depth:
            indent = "\n" + "  " * len(self._lines)
            self._lines.append(indent)
            self._commas.append("," + indent)
            for opener in _OPENERS:
                self._brackets[opener].append(opener + indent)
            for closer in _CLOSERS:
                self._brackets[closer].append(indent + closer)


def _frame_and_carry(frame: str, carry: str) -> tuple[str, str]:
    """A last opener waits with the carry: its newline depends on what follows."""
    kept = frame.rstrip()
    if kept[-1:] in _OPENERS:
        return kept[:-1], frame[len(kept) - 1 :] + carry
    return frame, carry


def _any_in(needles: tuple[str, ...], text: str) -> bool:
    return any(needle in text for needle in needles)


def _restored(text: str) -> str:
    for escape, mark in _ESCAPES:
        if mark in text:
            text = text.replace(mark, escape)
    return text


def reindent(text: str) -> str:
    """All of ``text`` at once (previews and small bodies)."""
    return Reindenter().feed(text, final=True)


__all__ = ["Reindenter", "reindent"]
