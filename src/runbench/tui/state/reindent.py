"""Pretty-print JSON text a piece at a time, without parsing it, in constant memory.

A 50 MiB response used to be re-indented in one go: one Python string per token (12
million of them), their join, and its UTF-8 encoding, all alive at once: ~800 MB in the
formatter for a 50 MiB body. ``Reindenter.feed`` takes the text in pieces and returns each
piece's output at once, so the caller can write it out and drop it; only a token cut by
the end of a piece is kept for the next one.

Speed: the text is split by one C-level ``re.split`` into strings, structural characters
and what lies between (numbers, true/false/null); the Python loop then only looks at the
first character of each part. The output is the same as scanning token by token
(``{`` or ``[`` opens a line at depth + 1, ``,`` ends a line, ``:`` gets one space, empty
objects and arrays stay ``{}``/``[]``, whitespace between tokens is dropped), and bad
JSON still comes out readable (unbalanced brackets never indent below zero).
"""

from __future__ import annotations

import re
from collections.abc import Callable

_PARTS = re.compile(r'("[^"\\]*(?:\\.[^"\\]*)*(?:\\\Z)?"?|[{}\[\],:])')
"""A string (to its closing quote, or the end), or one structural character. A backslash
at the very end stays inside its string, so a piece never cuts a string in two wrongly."""
_OPENERS = ("{", "[")
_CLOSERS = ("}", "]")
_COLON, _COMMA, _OPEN, _CLOSE = range(4)
_KINDS = {":": _COLON, ",": _COMMA, "{": _OPEN, "[": _OPEN, "}": _CLOSE, "]": _CLOSE}
Put = Callable[[str], None]


class Reindenter:
    """``feed(piece)`` the text in order, then ``feed("", final=True)``."""

    def __init__(self) -> None:
        self._depth = 0
        self._carry = ""
        self._opened = False  # an opener was the last token: its newline waits (for {} / [])
        self._lines: list[str] = ["\n"]  # "\n" and the indent of each depth
        self._commas: list[str] = [",\n"]

    def feed(self, piece: str, *, final: bool = False) -> str:
        """The output for ``piece`` (and what was kept from the last one)."""
        text = self._carry + piece
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

    def _grow(self, depth: int) -> None:
        while len(self._lines) <= depth:
            indent = "\n" + "  " * len(self._lines)
            self._lines.append(indent)
            self._commas.append("," + indent)


def reindent(text: str) -> str:
    """All of ``text`` at once (previews and small bodies)."""
    return Reindenter().feed(text, final=True)


__all__ = ["Reindenter", "reindent"]
