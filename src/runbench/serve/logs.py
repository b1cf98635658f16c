"""The server's log, written in batches: one write every ``interval``, not one per line.

Under load `serve` logs a line per request and per run; printing and flushing each one
is a system call per line on the event loop. Lines are stamped when they happen and
kept in a list (an append is all the loop pays); a thread writes them out together.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TextIO

ATOMIC = 4096
"""PIPE_BUF on Linux: a write to a pipe this size or smaller is never split."""


class SecondStamp:
    """``HH:MM:SS`` local time, formatted once a second (a line per request and per run
    under load: formatting each one cost more than keeping it)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._second = -1
        self._text = ""

    def __call__(self) -> str:
        second = int(self.clock())
        if second != self._second:
            self._second = second
            self._text = time.strftime("%H:%M:%S", time.localtime(second))
        return self._text


class BatchedLog:
    """A ``log(text)`` callable whose lines reach ``stream`` within ``interval`` seconds."""

    def __init__(
        self,
        stream: TextIO,
        *,
        interval: float = 0.2,
        stamp: Callable[[], str] | None = None,
    ) -> None:
        self.stream = stream
        self.interval = interval
        self.stamp = stamp or SecondStamp()
        self._lines: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="runbench-log", daemon=True)
        self._thread.start()

    def __call__(self, text: str) -> None:
        self._lines.append(f"{self.stamp()} {text}")

    def raw(self, line: str) -> None:
        """A line as it is (JSON records carry their own time)."""
        self._lines.append(line)

    def flush(self) -> None:
        """Write what waits, in writes of whole lines of at most ATOMIC bytes where it can:
        `serve` and its worker process share the output, and a pipe keeps a write that
        small in one piece, so their lines never mix within a line."""
        lines, self._lines = self._lines, []
        chunk: list[str] = []
        size = 0
        for line in lines:
            length = (len(line) if line.isascii() else len(line.encode())) + 1  # bytes, not chars
            if chunk and size + length > ATOMIC:
                self._write(chunk)
                chunk, size = [], 0
            chunk.append(line)
            size += length
        if chunk:
            self._write(chunk)

    def _write(self, lines: list[str]) -> None:
        self.stream.write("\n".join(lines) + "\n")
        self.stream.flush()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.flush()
            except (OSError, ValueError):  # the stream went away: nothing left to tell
                return


__all__ = ["BatchedLog", "SecondStamp"]
