"""The body formatter's child process (``python -m runbench.tui.state.format_child``), on
two cores when it has them.

Why a child process at all: see ``body_lines``. Why two: re-indenting 50 MiB is CPU-bound
and a workbench's machine usually has a second core. A body of ``SPLIT_MIN`` or more is cut
in two at a comma; a forked copy of this process (sharing the decoded text, not copying it)
formats the second part into a file of its own while this process does the first, then
its text and line starts are appended to this one's.

The cut is a guess: the depth there is counted without knowing which brackets lie inside
strings, and the comma itself may lie inside a string. It is checked once the first part is
done, against the re-indenter's exact state (that depth, nothing carried, no opener
waiting): where they differ the second part is formatted again here, in order. So the output
is always the one a single pass gives, and bad JSON only costs the second core's work.

The output file is the text, then the line starts (8-byte integers, aligned), then a
trailer with their sizes and the longest line (``TRAILER``); ``body_lines`` maps it.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import signal
import struct
import sys
import tempfile
from array import array
from dataclasses import dataclass
from itertools import accumulate, islice
from typing import IO, NoReturn

from runbench.core.child import die_with_parent, lower_priority, read_frame
from runbench.tui.state.reindent import Reindenter

SLICE = 1024 * 1024
"""Characters re-indented (and written) at a time: the output is never held whole."""
SPLIT_MIN = 4 * 1024 * 1024
"""Bodies from this size on are formatted in two parts at once (smaller: not worth a fork)."""
SHARE = 0.45
"""Where the cut goes, as a share of the body: this process also appends the second part
(its text and its line starts, shifted), so it takes a little less."""
CHILD_NICENESS = 10
TRAILER = struct.Struct("<QQQ")  # text bytes, line starts, width: after text and starts


def aligned(size: int) -> int:
    return (size + 7) // 8 * 8


class LineWriter:
    """Writes UTF-8 text a piece at a time and notes where each line starts."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.size = 0
        self.starts = array("q", [0])
        self.width = 0

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        lines = data.split(b"\n")
        if len(lines) > 1:  # C-level loops only: millions of lines per body
            ongoing = self.size - self.starts[-1] + len(lines[0])
            self.width = max(self.width, ongoing, max(map(len, lines[1:-1]), default=0))
            ends = accumulate(map((1).__add__, map(len, lines[:-1])), initial=self.size)
            self.starts.extend(islice(ends, 1, None))
        self.out.write(data)
        self.size += len(data)

    def append(self, source: IO[bytes]) -> None:
        """Another writer's finished file (text, starts, trailer), as if written here."""
        source.seek(-TRAILER.size, os.SEEK_END)
        size, count, width = TRAILER.unpack(source.read(TRAILER.size))
        source.seek(aligned(size))
        starts = array("q")
        starts.frombytes(source.read(count * 8))
        source.seek(0)
        left = size
        while left:
            block = source.read(min(left, SLICE))
            if not block:
                raise OSError("the second part's file ends early")
            self.out.write(block)
            left -= len(block)
        if count > 1:  # its first line goes on with this text's last one
            ongoing = self.size - self.starts[-1] + starts[1] - 1
            self.width = max(self.width, width, ongoing)
            self.starts.extend(map(self.size.__add__, islice(starts, 1, None)))
        self.size += size

    def finish(self) -> None:
        self.width = max(self.width, self.size - self.starts[-1])
        self.out.write(bytes(aligned(self.size) - self.size))
        self.out.write(memoryview(self.starts).cast("B"))
        self.out.write(TRAILER.pack(self.size, len(self.starts), self.width))
        self.out.flush()


def format_into(
    writer: LineWriter,
    formatter: Reindenter,
    body: bytes,
    begin: int,
    end: int,
    *,
    final: bool,
    parent: int | None = None,
) -> None:
    """Decode ``body[begin:end]`` (UTF-8, bad bytes replaced), re-indent and write it, a
    slice at a time. Both ends lie after an ASCII byte, so the two parts decode as the
    whole would. ``parent``: stop (SystemExit) once that process is gone (the helper's
    formatting child was ended: nobody reads what it would write)."""
    decode = codecs.getincrementaldecoder("utf-8")("replace").decode
    view = memoryview(body)
    for start in range(begin, end, SLICE):
        if parent is not None and os.getppid() != parent:
            raise SystemExit(1)
        writer.write(formatter.feed(decode(view[start : min(start + SLICE, end)])))
    writer.write(formatter.feed(decode(b"", True), final=final))


@dataclass(frozen=True)
class Helper:
    """The forked process formatting ``body[cut:]`` from ``depth`` into ``out``."""

    pid: int
    cut: int
    depth: int
    out: IO[bytes]


def guess_cut(body: bytes, share: float = SHARE) -> tuple[int, int] | None:
    """A comma near ``share`` of the body and the depth there, counting every bracket
    (see the module docstring: checked later); None when there is no such comma."""
    cut = body.find(b",", int(len(body) * share)) + 1
    if cut <= 0:
        return None
    opened = body.count(b"{", 0, cut) + body.count(b"[", 0, cut)
    depth = opened - body.count(b"}", 0, cut) - body.count(b"]", 0, cut)
    return (cut, depth) if depth >= 0 else None


def start_helper(body: bytes, cut: int, depth: int) -> Helper | None:
    """Fork a process that formats ``body[cut:]`` as if the text before ended at ``depth``."""
    out = tempfile.TemporaryFile()
    sys.stdout.flush()  # the fork copies buffers: nothing of this process's may be in them
    parent = os.getpid()
    try:
        pid = os.fork()
    except OSError:
        out.close()
        return None
    if pid == 0:  # pragma: no cover  (the forked process: measured by the parent's tests)
        _helper_main(body, cut, depth, out, parent)
    return Helper(pid, cut, depth, out)


def _helper_main(body: bytes, cut: int, depth: int, out: IO[bytes], parent: int) -> NoReturn:
    code = 1
    try:
        writer = LineWriter(out)
        formatter = Reindenter(depth=depth)
        format_into(writer, formatter, body, cut, len(body), final=True, parent=parent)
        writer.finish()
        code = 0
    finally:
        os._exit(code)  # never back into the caller's code, its buffers or atexit


def take_helper(helper: Helper, formatter: Reindenter, writer: LineWriter) -> bool:
    """Append the helper's part if its guess holds (else stop it); whether it was taken."""
    with helper.out:
        if not formatter.continues_at(helper.depth):
            with contextlib.suppress(ProcessLookupError):
                os.kill(helper.pid, signal.SIGKILL)
            os.waitpid(helper.pid, 0)
            return False
        _, status = os.waitpid(helper.pid, 0)
        if status != 0:
            return False
        writer.append(helper.out)
        return True


def format_stream(body: bytes, out: IO[bytes], *, split_min: int = SPLIT_MIN) -> None:
    """Re-indent ``body`` (UTF-8) into ``out`` (text, line starts, trailer), in two parts
    at once when it is big and this machine can. The body stays bytes, decoded a slice at
    a time: a decoded copy would be one more body in memory (in both processes' counts)."""
    writer = LineWriter(out)
    formatter = Reindenter()
    guess = guess_cut(body) if _can_split(len(body), split_min) else None
    helper = start_helper(body, *guess) if guess is not None else None
    if helper is None:
        format_into(writer, formatter, body, 0, len(body), final=True)
    else:
        format_into(writer, formatter, body, 0, helper.cut, final=False)
        if not take_helper(helper, formatter, writer):
            format_into(writer, formatter, body, helper.cut, len(body), final=True)
    writer.finish()


def _can_split(size: int, split_min: int) -> bool:
    return size >= split_min and hasattr(os, "fork") and (os.cpu_count() or 1) > 1


def main() -> None:
    """Read a frame (a header line, then the body up to EOF), write the formatted text.
    The body is read whole before any work: the parent's writing ends at once."""
    die_with_parent()
    lower_priority(CHILD_NICENESS)  # the workbench's key presses come first
    header, body = read_frame(sys.stdin.buffer)
    format_stream(body, sys.stdout.buffer, split_min=int(header.get("split_min", SPLIT_MIN)))


if __name__ == "__main__":
    main()
