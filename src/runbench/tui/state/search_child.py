"""Search a big body in a child process (``python -m runbench.tui.state.search_child``).

Why: a thread scanning a 100 MB text holds the GIL a slice at a time, and each key press
waits for it every time the UI thread gives the GIL up (a write to the terminal, a wait
for input): n/N and down took 100+ ms while a count ran. A child holds nothing of ours,
and runs at a lower priority, so the keys come first on a busy machine too.

The text is already in a file: the formatter child's output, which the viewer maps
(``Lines.fd``). The child inherits that descriptor and maps the same pages, so nothing is
copied or sent to it but one header line, ``{"fd", "size", "query"}``. It answers with
records: ``RECORD`` (the count so far, whether it is final, how many offsets follow), then
those offsets (8-byte integers), as ``body_search.scan`` reports them. The parent kills it
when the query changes; this module is the whole protocol, both ends.

Only what the scan needs is imported here, so the child starts fast (the first match is
what the user waits for).
"""

from __future__ import annotations

import json
import mmap
import os
import select
import struct
import sys
from array import array
from collections.abc import Callable
from contextlib import suppress

from runbench.tui.state.body_search import Report, scan

RECORD = struct.Struct("<qqq")  # count, done (0/1), offsets that follow
NICENESS = 10
POLL = 0.05
"""Seconds between two checks for cancellation while the child has nothing to say."""


def search_in_child(
    fd: int, size: int, query: str, *, cancelled: Callable[[], bool], report: Report
) -> bool:
    """Search the first ``size`` bytes of the file ``fd`` maps for ``query`` in a child;
    ``report`` as ``scan`` calls it. False when no child answered (search here instead)."""
    from runbench.core.child import ChildSpec, end, spawn

    try:
        child = spawn(ChildSpec("runbench.tui.state.search_child"), pass_fds=(fd,))
    except OSError:
        return False
    try:
        assert child.stdin is not None  # pipes: see spawn
        assert child.stdout is not None
        with child.stdin:
            child.stdin.write(json.dumps({"fd": fd, "size": size, "query": query}).encode())
        return _read_records(child.stdout.fileno(), cancelled, report)
    except OSError:
        return False
    finally:
        end(child)


def _read_records(pipe: int, cancelled: Callable[[], bool], report: Report) -> bool:
    answered = False
    while True:
        head = _read_exactly(pipe, RECORD.size, cancelled)
        if head is None:
            return answered or cancelled()
        count, done, following = RECORD.unpack(head)
        offsets = array("q")
        if following:
            body = _read_exactly(pipe, following * offsets.itemsize, cancelled)
            if body is None:
                return True
            offsets.frombytes(body)
        answered = True
        report(count, offsets, bool(done))
        if done:
            return True


def _read_exactly(pipe: int, size: int, cancelled: Callable[[], bool]) -> bytes | None:
    """``size`` bytes from ``pipe``; None at its end or once ``cancelled()``."""
    parts: list[bytes] = []
    missing = size
    while missing:
        if cancelled():
            return None
        ready, _, _ = select.select([pipe], [], [], POLL)
        if not ready:
            continue
        part = os.read(pipe, missing)
        if not part:
            return None
        parts.append(part)
        missing -= len(part)
    return b"".join(parts)


def main() -> None:
    """The child: map the text, scan it, write the records."""
    with suppress(OSError):
        os.nice(NICENESS)
    header = json.loads(sys.stdin.buffer.read())
    out = sys.stdout.buffer
    with mmap.mmap(header["fd"], 0, access=mmap.ACCESS_READ) as mapped:
        data = memoryview(mapped)[: header["size"]]

        def send(count: int, offsets: array[int], done: bool) -> None:
            out.write(RECORD.pack(count, int(done), len(offsets)))
            out.write(offsets.tobytes())
            out.flush()

        try:
            scan(data, header["query"], cancelled=lambda: False, report=send)
        finally:
            data.release()


if __name__ == "__main__":
    with suppress(BrokenPipeError):  # the parent stopped reading: a newer query
        main()
