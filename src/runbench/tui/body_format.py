"""Turn a response body into indexed lines for the viewer, fast enough for 50 MiB.

Runs in a thread worker. Small JSON is pretty-printed exactly (``json.loads`` +
``json.dumps``). Large minified JSON is re-indented by a token scan instead (``json.loads``
of 50 MiB holds the GIL for a second or more), and that scan runs in a separate process:
in a thread it would still compete for the GIL and make every key press wait up to
hundreds of milliseconds. A preview of the first part is formatted in the thread and
handed out at once. The result keeps one string plus an array of line starts (not
millions of line objects), which pickles back from the process as two flat buffers.
"""

from __future__ import annotations

import json
import re
import struct
import subprocess
import sys
from array import array
from collections.abc import Callable
from dataclasses import dataclass

EXACT_LIMIT = 2 * 1024 * 1024
"""Bodies up to this size are pretty-printed with the json module."""
PREVIEW_CHARS = 256 * 1024
"""How much of a large body is formatted first, as a preview."""

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[{}\[\],:]|[^\s{}\[\],:"]+')
_NEWLINE = re.compile("\n")


@dataclass(frozen=True)
class Lines:
    """Text with its line starts; ``line(i)`` slices without copying the whole text."""

    text: str
    starts: array  # type: ignore[type-arg]
    width: int
    json: bool = False

    @property
    def count(self) -> int:
        return len(self.starts)

    def line(self, index: int) -> str:
        start = self.starts[index]
        if index + 1 < len(self.starts):
            return self.text[start : self.starts[index + 1] - 1]
        return self.text[start:]


def index_lines(text: str, *, is_json: bool = False) -> Lines:
    starts = array("q", [0])
    starts.extend(m.end() for m in _NEWLINE.finditer(text))
    width = max(map(len, text.split("\n")), default=0)
    return Lines(text, starts, width, is_json)


EMPTY = index_lines("")


def looks_like_json(body: str, content_type: str) -> bool:
    mime = content_type.split(";")[0].strip().lower()
    return mime.endswith("json") or body.lstrip()[:1] in ("{", "[")


def reindent(text: str) -> str:
    """Pretty-print JSON text by scanning tokens (tolerant: bad JSON comes out readable)."""
    out: list[str] = []
    put = out.append
    depth = 0
    previous = ""
    for match in _TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first in "{[":
            depth += 1
            put(token)
            put("\n" + "  " * depth)
        elif first in "}]":
            depth = max(depth - 1, 0)
            if previous in ("{", "["):
                out[-1] = ""  # empty object/array stays on one line
            else:
                put("\n" + "  " * depth)
            put(token)
        elif first == ",":
            put(",\n" + "  " * depth)
        elif first == ":":
            put(": ")
        else:
            put(token)
        previous = first
    return "".join(out)


def format_body(
    body: str, content_type: str = "", preview: Callable[[Lines], None] | None = None,
    *, in_process: bool = False,
) -> Lines:
    """The body as viewer lines; calls ``preview`` first when the body is large.

    ``in_process``: re-indent a large body in a child process (see the module docstring)."""
    if not looks_like_json(body, content_type):
        return index_lines(body)
    if len(body) <= EXACT_LIMIT:
        try:
            return index_lines(json.dumps(json.loads(body), indent=2, ensure_ascii=False), is_json=True)
        except ValueError:
            return index_lines(body)
    if body.count("\n", 0, PREVIEW_CHARS) > PREVIEW_CHARS // 200:
        return index_lines(body, is_json=True)  # already laid out on lines
    if preview is not None:
        preview(index_lines(reindent(body[:PREVIEW_CHARS]), is_json=True))
    if in_process:
        try:
            return _in_child(body)
        except (OSError, ValueError, struct.error, subprocess.SubprocessError):
            pass  # no child process here: format in this thread instead
    return index_lines(reindent(body), is_json=True)


_HEADER = struct.Struct("<QQ")  # width, number of line starts


def _in_child(body: str) -> Lines:
    """Re-indent ``body`` in ``python -m runbench.tui.body_format`` (stdin -> stdout)."""
    done = subprocess.run(
        [sys.executable, "-m", "runbench.tui.body_format"], input=body.encode("utf-8"),
        capture_output=True, check=True,
    )
    width, count = _HEADER.unpack_from(done.stdout)
    starts = array("q")
    end = _HEADER.size + count * starts.itemsize
    starts.frombytes(done.stdout[_HEADER.size : end])
    return Lines(done.stdout[end:].decode("utf-8"), starts, width, True)


def _child_main() -> None:
    lines = index_lines(reindent(sys.stdin.buffer.read().decode("utf-8")), is_json=True)
    out = sys.stdout.buffer
    out.write(_HEADER.pack(lines.width, len(lines.starts)))
    out.write(lines.starts.tobytes())
    out.write(lines.text.encode("utf-8"))
    out.flush()


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


if __name__ == "__main__":
    _child_main()
