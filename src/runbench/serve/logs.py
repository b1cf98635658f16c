"""The server's log, written in batches: one write every ``interval``, not one per line.

Under load `serve` logs a line per request and per run; printing and flushing each one
is a system call per line on the event loop. Lines are stamped when they happen and
kept in a list (an append is all the loop pays); a thread writes them out together.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import TextIO


class BatchedLog:
    """A ``log(text)`` callable whose lines reach ``stream`` within ``interval`` seconds."""

    def __init__(
        self,
        stream: TextIO,
        *,
        interval: float = 0.2,
        stamp: Callable[[], str] = lambda: datetime.now().strftime("%H:%M:%S"),
    ) -> None:
        self.stream = stream
        self.interval = interval
        self.stamp = stamp
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
        lines, self._lines = self._lines, []
        if lines:
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


__all__ = ["BatchedLog"]
