"""Search a big body in a child process (``python -m runbench.tui.state.search_child``).

Why: a thread scanning a 100 MB text holds the GIL a slice at a time, and each key press
waits for it every time the UI thread gives the GIL up (a write to the terminal, a wait
for input): n/N and down took 100+ ms while a count ran. A child holds nothing of ours,
and runs at a lower priority, so the keys come first on a busy machine too.

The text is already in a file: the formatter child's output, which the viewer maps
(``Lines.fd``). The child inherits that descriptor and maps the same pages, so nothing is
copied or sent to it but a frame with no body (``core.child.write_frame``): the header
``{"fd", "length", "query"}``. It answers with records: ``RECORD`` (the count so far,
whether it is final, how many offsets follow), then those offsets (8-byte integers), as
``body_search.scan`` reports them. The parent kills it when the query changes; a child that
ends before its final record leaves a count that says it stopped short (``Outcome``). This
module is the whole protocol, both ends; starting, framing and priority are
``core.child``'s, as for every child.

Little is imported here, so the child starts fast (the first match is what the user
waits for): the scan, and ``core.child`` (which brings ``subprocess`` along: a few ms).
"""

from __future__ import annotations

import mmap
import os
import select
import struct
import sys
from array import array
from collections.abc import Callable
from contextlib import suppress
from typing import Literal

from runbench.core.child import die_with_parent, lower_priority, read_frame
from runbench.tui.state.body_search import Report, scan

RECORD = struct.Struct("<qqq")  # count, done (0/1), offsets that follow
NICENESS = 10
POLL = 0.05
"""Seconds between two checks for cancellation while the child has nothing to say."""

Outcome = Literal["done", "cancelled", "stopped", "unanswered"]
"""How a search in a child ended: its last record came (``done``); ``cancelled()`` turned
True; the child ended after some records but before its last (``stopped``: killed, out of
memory; the count is short and says so); or it answered nothing (``unanswered``: search
here instead)."""


def search_in_child(
    fd: int, length: int, query: str, *, cancelled: Callable[[], bool], report: Report
) -> Outcome:
    """Search the first ``length`` bytes of the file ``fd`` maps for ``query`` in a child;
    ``report`` as ``scan`` calls it."""
    from runbench.core.child import ChildSpec, end, spawn, write_frame

    try:
        child = spawn(
            ChildSpec("runbench.tui.state.search_child", niceness=NICENESS), pass_fds=(fd,)
        )
    except OSError:
        return "unanswered"
    try:
        assert child.stdin is not None  # pipes: see spawn
        assert child.stdout is not None
        try:
            with child.stdin:
                write_frame(child.stdin, {"fd": fd, "length": length, "query": query}, b"")
        except OSError:  # the child died before it read the question
            return "unanswered"
        return _read_records(child.stdout.fileno(), cancelled, report)
    finally:
        end(child)


def _read_records(pipe: int, cancelled: Callable[[], bool], report: Report) -> Outcome:
    answered = False
    while True:
        head = _read_exactly(pipe, RECORD.size, cancelled)
        if head is None:
            break
        count, done, following = RECORD.unpack(head)
        offsets = array("q")
        if following:
            body = _read_exactly(pipe, following * offsets.itemsize, cancelled)
            if body is None:
                break
            offsets.frombytes(body)
        answered = True
        report(count, offsets, bool(done))  # its errors are its own, not the pipe's end
        if done:
            return "done"
    if cancelled():
        return "cancelled"
    return "stopped" if answered else "unanswered"


def _read_exactly(pipe: int, size: int, cancelled: Callable[[], bool]) -> bytes | None:
    """``size`` bytes from ``pipe``; None at its end, once ``cancelled()``, or when a
    read fails (which ends the answer as the pipe's end does)."""
    parts: list[bytes] = []
    missing = size
    while missing:
        if cancelled():
            return None
        try:
            ready, _, _ = select.select([pipe], [], [], POLL)
            if not ready:
                continue
            part = os.read(pipe, missing)
        except OSError:
            return None
        if not part:
            return None
        parts.append(part)
        missing -= len(part)
    return b"".join(parts)


def main() -> None:
    """The child: map the text, scan it, write the records."""
    die_with_parent()
    lower_priority(NICENESS)  # the workbench's key presses come first
    header, _body = read_frame(sys.stdin.buffer)
    out = sys.stdout.buffer
    with mmap.mmap(header["fd"], 0, access=mmap.ACCESS_READ) as mapped:
        data = memoryview(mapped)[: header["length"]]

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
