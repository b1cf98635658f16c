"""Find the line of every key in a TOML text.

``tomllib`` is fast and strict but forgets where things were; errors must point at a
line. This scanner walks the text once and records the line of each table header and
each ``key =`` (including keys inside single- and multi-line inline tables and arrays of
inline tables, indexed by position). It assumes the text already parsed as TOML.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

KeyPath = tuple[str, ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_WS = " \t"
# the rest of a one-line string: a backslash takes the character after it (the scanner
# moves a run at a time, not a character: the scan is a third of an import's CPU)
_BASIC_REST = re.compile(r'(?:[^"\\]|\\[\s\S]?)*')
_BARE_VALUE = re.compile(r"[^,\]}\n#]*")


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines: dict[KeyPath, int] = {}
        self.headers: list[tuple[KeyPath, int]] = []

    # -- low level -------------------------------------------------------------
    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def advance(self, count: int = 1) -> None:
        end = min(self.pos + count, len(self.text))
        self.line += self.text.count("\n", self.pos, end)
        self.pos = max(self.pos, end)

    def advance_to(self, index: int) -> None:
        """Move to ``index`` (or the end of the text when it is -1)."""
        self.advance((len(self.text) if index < 0 else index) - self.pos)

    def skip_space(self, newlines: bool) -> None:
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in _WS or (newlines and char in "\r\n"):
                self.advance()
            elif char == "#":
                self.advance_to(self.text.find("\n", self.pos))
            else:
                return

    def skip_line(self) -> None:
        self.advance_to(self.text.find("\n", self.pos))
        self.advance()

    # -- keys and values -------------------------------------------------------
    def read_key(self) -> KeyPath:
        parts: list[str] = []
        while True:
            self.skip_space(False)
            char = self.peek()
            if char in "\"'":
                parts.append(self.read_string())
            else:
                match = _BARE.match(self.text, self.pos)
                if not match:
                    return tuple(parts)
                parts.append(match.group())
                self.advance(match.end() - self.pos)
            self.skip_space(False)
            if self.peek() != ".":
                return tuple(parts)
            self.advance()

    def read_string(self) -> str:
        quote = self.peek()
        if self.text.startswith(quote * 3, self.pos):
            self.advance(3)
            end = self.text.find(quote * 3, self.pos)
            while quote == '"' and end > 0 and self._escaped(end):
                end = self.text.find(quote * 3, end + 1)
            end = len(self.text) if end < 0 else end
            while self.text.startswith(quote, end + 3):  # up to two extra quotes belong inside
                end += 1
            value = self.text[self.pos : end]
            self.advance(end + 3 - self.pos)
            return value
        self.advance()
        start = self.pos
        if quote == '"':
            match = _BASIC_REST.match(self.text, self.pos)
            self.advance_to(match.end() if match else self.pos)
        else:
            self.advance_to(self.text.find(quote, self.pos))
        value = self.text[start : self.pos]
        self.advance()
        return value

    def _escaped(self, index: int) -> bool:
        count = 0
        while index - 1 - count >= 0 and self.text[index - 1 - count] == "\\":
            count += 1
        return count % 2 == 1

    def read_value(self, path: KeyPath) -> None:
        self.skip_space(False)
        char = self.peek()
        if char in "\"'":
            self.read_string()
        elif char == "{":
            self.read_inline_table(path)
        elif char == "[":
            self.read_array(path)
        else:
            match = _BARE_VALUE.match(self.text, self.pos)
            self.advance_to(match.end() if match else self.pos)

    def read_inline_table(self, path: KeyPath) -> None:
        self.advance()  # {
        while True:
            self.skip_space(True)
            if self.peek() in ("}", ""):
                self.advance()
                return
            if self.peek() == ",":
                self.advance()
                continue
            line = self.line
            key = self.read_key()
            if not key:
                self.advance()
                continue
            self.lines.setdefault(path + key, line)
            self.skip_space(False)
            if self.peek() == "=":
                self.advance()
            self.read_value(path + key)

    def read_array(self, path: KeyPath) -> None:
        self.advance()  # [
        index = 0
        while True:
            self.skip_space(True)
            char = self.peek()
            if char in ("]", ""):
                self.advance()
                return
            if char == ",":
                self.advance()
                index += 1
                continue
            self.lines.setdefault(path + (str(index),), self.line)
            self.read_value(path + (str(index),))

    # -- statements ------------------------------------------------------------
    def scan(self) -> dict[KeyPath, int]:
        table: KeyPath = ()
        arrays: dict[KeyPath, int] = {}
        while True:
            self.skip_space(True)
            if self.pos >= len(self.text):
                return self.lines
            line = self.line
            if self.peek() == "[":
                double = self.peek(1) == "["
                self.advance(2 if double else 1)
                table = self.read_key()
                if double:
                    arrays[table] = arrays.get(table, -1) + 1
                    table = table + (str(arrays[table]),)
                self.lines.setdefault(table, line)
                self.headers.append((table, line))
                self.skip_line()
                continue
            key = self.read_key()
            if not key:
                self.skip_line()
                continue
            self.lines.setdefault(table + key, line)
            self.skip_space(False)
            if self.peek() == "=":
                self.advance()
            self.read_value(table + key)


def key_lines(text: str) -> dict[KeyPath, int]:
    """Map each key path in ``text`` to the 1-based line where it is written."""
    return _Scanner(text).scan()


class LazyKeyLines(Mapping[KeyPath, int]):
    """``key_lines(text)``, scanned on first use. Lines are looked up only to place a
    problem, so loading a clean workspace (every ``runbench run``) never scans: the scan
    cost more than parsing the TOML."""

    __slots__ = ("_lines", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._lines: dict[KeyPath, int] | None = None

    def _scanned(self) -> dict[KeyPath, int]:
        # The text stays: a thread that saw no lines yet scans it too, never an empty one.
        lines = self._lines
        if lines is None:
            lines = self._lines = key_lines(self._text)
        return lines

    def __getitem__(self, keys: KeyPath) -> int:
        return self._scanned()[keys]

    def __contains__(self, keys: object) -> bool:
        return keys in self._scanned()

    def __iter__(self) -> Iterator[KeyPath]:
        return iter(self._scanned())

    def __len__(self) -> int:
        return len(self._scanned())


def header_lines(text: str) -> list[tuple[KeyPath, int]]:
    """Every ``[table]`` / ``[[array]]`` header of ``text``: (key path, 1-based line)."""
    scanner = _Scanner(text)
    scanner.scan()
    return scanner.headers


def rename_in_headers(text: str, keys: KeyPath, new_key: str) -> str | None:
    """``text`` with the table at ``keys`` renamed where it is written as headers:
    ``[a.old]`` and ``[a.old.sub]`` become ``[a.new]`` and ``[a.new.sub]`` in place, and
    no other line changes (so a rename is a small diff, and the table keeps its place).

    None when the table is written another way (``old = { ... }`` or dotted keys), or
    not at all; the caller falls back to a structural edit then."""
    lines = text.splitlines(keepends=True)
    depth = len(keys)
    changed = False
    for path, number in key_lines(text).items():
        if path[:depth] != keys:
            continue
        line = lines[number - 1]
        if not line.lstrip().startswith("["):
            if len(path) == depth:
                return None
            continue
        new_line = _renamed_header(line, depth, new_key)
        if new_line is None:
            return None
        lines[number - 1] = new_line
        changed = True
    return "".join(lines) if changed else None


def _renamed_header(line: str, depth: int, new_key: str) -> str | None:
    """One header line with key segment ``depth - 1`` replaced (comments kept)."""
    indent = line[: len(line) - len(line.lstrip())]
    scanner = _Scanner(line.lstrip())
    double = scanner.text.startswith("[[")
    scanner.advance(2 if double else 1)
    key = scanner.read_key()
    scanner.skip_space(False)
    close = "]]" if double else "]"
    if len(key) < depth or not scanner.text.startswith(close, scanner.pos):
        return None
    parts = [*key[: depth - 1], new_key, *key[depth:]]
    header = ".".join(toml_key(part) for part in parts)
    rest = scanner.text[scanner.pos + len(close) :]
    opening = "[[" if double else "["
    return f"{indent}{opening}{header}{close}{rest}"


def toml_key(name: str) -> str:
    """``name`` as a TOML key: bare when it can be, else a basic string."""
    if _BARE.fullmatch(name):
        return name
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
