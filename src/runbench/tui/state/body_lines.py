"""Turn a response body into indexed lines for the viewer, fast enough for 50 MiB.

Runs in a thread worker. Small JSON is pretty-printed exactly (``json.loads`` +
``json.dumps``). Large minified JSON is re-indented by a token scan instead (``json.loads``
of 50 MiB holds the GIL for a second or more), and that scan runs in a separate process
at a lower priority: in a thread it would compete for the GIL, and at equal priority for
the CPU, and make every key press wait up to hundreds of milliseconds. A preview of the
first part is formatted in the thread and handed out at once.

The result keeps one text plus an array of line starts (not millions of line objects).
From the child process it comes back through an unnamed temporary file that is memory
mapped, not read: the text stays UTF-8 bytes and ``Lines.line`` decodes a line at a time.
Copying or decoding ~100 MB in this process would hold the GIL (and freeze the keyboard)
for 100+ ms. For the same reason every scan over a big text here works in slices. The
lines keep a descriptor of that file (``Lines.fd``, closed with them) so that a search
child can map the same pages (``search_child``).

The child (``format_child``) reads the body whole, re-indents it a slice at a time
(``reindent.Reindenter``) on two cores when it has them, and writes the output and its
line starts as it goes, never holding its output whole (the formatter used to hold the
body, its tokens, their join and its encoding at once: 18x the body for the workbench as
a whole). The file is the text, then the line starts, then a trailer with their sizes.
The preview is formatted here while the child works.
"""

from __future__ import annotations

import json
import mmap
import os
import re
import struct
import subprocess
import tempfile
import weakref
from array import array
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from operator import sub
from typing import IO, TypeVar

from runbench.core.child import ChildSpec, end, spawn, write_frame
from runbench.core.files import load_json_text
from runbench.tui.state.format_child import CHILD_NICENESS, SPLIT_MIN, TRAILER, aligned
from runbench.tui.state.reindent import reindent

EXACT_LIMIT = 2 * 1024 * 1024
"""Bodies up to this size are pretty-printed with the json module."""
PREVIEW_CHARS = 256 * 1024
"""How much of a large body is formatted first, as a preview."""
SLICE = 1024 * 1024
"""Scans over a big text go this many characters (or line starts) at a time, so that a
thread holds the GIL only briefly between two chances for the UI thread to run."""

_NEWLINE = re.compile("\n")
_NEWLINE_BYTES = re.compile(b"\n")

Text = str | bytes | memoryview
"""A str, or UTF-8 bytes (a memory-mapped view of the child's output)."""


@dataclass(frozen=True)
class Lines:
    """Text with its line starts; ``line(i)`` slices one line, never copying the whole text.

    ``starts`` are offsets in ``data``'s own units: characters of a str, bytes of UTF-8."""

    data: Text
    starts: Sequence[int]
    width: int
    json: bool = False
    fd: int | None = field(default=None, compare=False)
    """A descriptor of the file ``data`` maps, when it does (a child searches it there)."""

    @property
    def count(self) -> int:
        return len(self.starts)

    @property
    def text(self) -> str:
        """The whole text (decodes all of it when it is bytes: for tests and small texts)."""
        return self.data if isinstance(self.data, str) else str(self.data, "utf-8", "replace")

    def bounds(self, index: int) -> tuple[int, int]:
        start = self.starts[index]
        end = self.starts[index + 1] - 1 if index + 1 < len(self.starts) else len(self.data)
        return start, end

    def line(self, index: int) -> str:
        start, end = self.bounds(index)
        return _decoded(self.data[start:end])

    def part(self, index: int, begin: int, stop: int) -> str:
        """Columns ``begin:stop`` of a line, without slicing the rest of a very long line
        (for UTF-8 bytes these are byte columns; a character cut in two is left out)."""
        start, end = self.bounds(index)
        return _decoded(self.data[min(start + begin, end) : min(start + stop, end)], "ignore")

    def head(self, size: int) -> str:
        return _decoded(self.data[:size], "ignore")


def _decoded(piece: Text, errors: str = "replace") -> str:
    return piece if isinstance(piece, str) else str(piece, "utf-8", errors)


def index_lines(text: Text, *, is_json: bool = False) -> Lines:
    """``text`` with its line starts and the length of its longest line (in its units)."""
    newline = _NEWLINE if isinstance(text, str) else _NEWLINE_BYTES
    starts = array("q", [0])
    for begin in range(0, len(text), SLICE):
        starts.extend(m.end() for m in newline.finditer(text, begin, begin + SLICE))  # type: ignore[arg-type]
    width = len(text) - starts[-1]
    for begin in range(1, len(starts), SLICE):
        chunk = starts[begin - 1 : begin + SLICE]
        width = max(width, max(map(sub, chunk[1:], chunk)) - 1)
    return Lines(text, starts, width, is_json)


EMPTY = index_lines("")


def looks_like_json(body: str, content_type: str) -> bool:
    mime = content_type.split(";")[0].strip().lower()
    return mime.endswith("json") or body[:1024].lstrip()[:1] in ("{", "[")


def format_body(
    body: str,
    content_type: str = "",
    preview: Callable[[Lines], None] | None = None,
    *,
    in_process: bool = False,
    cancelled: Callable[[], bool] = lambda: False,
) -> Lines:
    """The body as viewer lines; calls ``preview`` first when the body is large.

    ``in_process``: re-indent a large body in a child process (see the module docstring).
    ``cancelled``: asked while the child works; once true the child is ended and
    ``FormatCancelled`` raised (a newer response, or the viewer gone: the workbench's exit
    waits for its worker threads, and a 50 MiB body would hold it for seconds)."""
    if not looks_like_json(body, content_type):
        return index_lines(body)
    if len(body) <= EXACT_LIMIT:
        try:
            return index_lines(
                json.dumps(load_json_text(body), indent=2, ensure_ascii=False), is_json=True
            )
        except ValueError:
            return index_lines(body)
    if body.count("\n", 0, PREVIEW_CHARS) > PREVIEW_CHARS // 200:
        return index_lines(body, is_json=True)  # already laid out on lines
    started = _try(lambda: _start_child(body)) if in_process else None
    if preview is not None:  # while the child works
        try:
            preview(index_lines(reindent(body[:PREVIEW_CHARS]), is_json=True))
        except BaseException:  # e.g. the app has closed: the child is not left running
            if started is not None:
                end(started[0])
                started[1].close()
            raise
    if started is not None:
        lines = _try(lambda: _child_result(*started, cancelled))
        if lines is not None:
            return lines
    return index_lines(reindent(body), is_json=True)  # no child here: in this thread


_T = TypeVar("_T")


def _try(step: Callable[[], _T]) -> _T | None:
    """``step()``, or None when the child process could not do it."""
    try:
        return step()
    except (OSError, ValueError, struct.error, subprocess.SubprocessError):
        return None


def _start_child(body: str) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
    """Start ``python -m runbench.tui.state.format_child`` on ``body``; its output goes to
    an unnamed temporary file (which ``_child_result`` maps). The child reads the body whole
    before it starts, so this returns as soon as the body is written."""
    out = tempfile.TemporaryFile()
    try:
        child = spawn(
            ChildSpec("runbench.tui.state.format_child", niceness=CHILD_NICENESS), stdout=out
        )
    except BaseException:
        out.close()
        raise
    try:
        assert child.stdin is not None  # a pipe: see spawn
        write_frame(child.stdin, {"split_min": SPLIT_MIN}, body)
    except BaseException:
        end(child)
        out.close()
        raise
    finally:
        with suppress(OSError):
            child.stdin.close()  # type: ignore[union-attr]
    return child, out


class FormatCancelled(Exception):
    """``format_body``'s caller cancelled it while the child worked (the child is ended)."""


WAIT_STEP = 0.1
"""Seconds between two looks at ``cancelled`` while the child formats."""


def _child_result(
    child: subprocess.Popen[bytes], out: IO[bytes], cancelled: Callable[[], bool]
) -> Lines:
    """Wait for the child and map its file: nothing of it is copied or decoded here (see
    the module docstring)."""
    with out:
        code = _wait(child, cancelled)
        if code:
            raise subprocess.CalledProcessError(code, child.args)
        view = memoryview(mmap.mmap(out.fileno(), 0, access=mmap.ACCESS_READ))
        size, count, width = TRAILER.unpack_from(view, len(view) - TRAILER.size)
        fd = os.dup(out.fileno())  # after the last step that may fail: never left open
    starts = aligned(size)
    lines = Lines(view[:size], view[starts : starts + count * 8].cast("q"), width, True, fd)
    weakref.finalize(lines, os.close, fd)  # the search child's way to the same pages
    return lines


def _wait(child: subprocess.Popen[bytes], cancelled: Callable[[], bool]) -> int:
    while True:
        try:
            return child.wait(WAIT_STEP)
        except subprocess.TimeoutExpired:
            if cancelled():
                end(child)
                raise FormatCancelled from None


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
