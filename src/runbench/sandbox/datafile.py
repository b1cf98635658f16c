"""The sandbox's data file: a snapshot plus a log of saves since, so a save writes what it
changed, not the whole store.

Rewriting the whole store on every save made a save's cost grow with the store (10k
tickets: the file rewritten per ticket saved). Now a save appends one JSON line (the
records it wrote) to ``FILE.log`` and fsyncs it before the save answers: an answered save
is on disk, as before. The snapshot (``FILE``, the old format) is rewritten atomically
(temp file, fsync, rename) when the log outgrows it, when the config changes, and on the
first save, so the work is paid back in proportion to what saves wrote. A kill during an
append leaves at most a torn last line, of a save that never answered: reading ignores
it. A kill between a new snapshot and emptying the log replays records the snapshot
already holds, which gives the same records (a line holds whole records, by id).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from runbench.core.files import MAX_INPUT_BYTES, read_capped_text

MIN_LOG_BYTES = 1 << 20
"""The log is folded into the snapshot once it is larger than this and the snapshot."""


class DataFile:
    """One sandbox data file and its log of saves."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.log = path.with_name(path.name + ".log")
        self._snapshot_bytes = 0
        self._log_bytes = 0
        self._torn = False  # the log ends in a torn line: the next append starts a new one

    def exists(self) -> bool:
        return self.path.exists()

    def read(self) -> tuple[str, list[dict[str, Any]]]:
        """The snapshot's text and the saves logged after it (a torn last line left out)."""
        text = read_capped_text(self.path, MAX_INPUT_BYTES)
        self._snapshot_bytes = len(text)
        if not self.log.exists():
            return text, []
        logged = read_capped_text(self.log, MAX_INPUT_BYTES)
        self._torn = bool(logged) and not logged.endswith("\n")
        lines = logged.split("\n")
        self._log_bytes = sum(len(line) + 1 for line in lines)
        saves: list[dict[str, Any]] = []
        for line in lines:
            try:
                entry = json.loads(line)
            except (ValueError, RecursionError):
                continue  # the torn end of a save that never answered
            if isinstance(entry, dict):
                saves.append(entry)
        return text, saves

    def needs_snapshot(self) -> bool:
        """Whether the next save should rewrite the snapshot instead of appending."""
        return not self.path.exists() or self._log_bytes > max(MIN_LOG_BYTES, self._snapshot_bytes)

    def append(self, changed: dict[str, list[dict[str, Any]]]) -> None:
        """Log one save's records (by resource), on disk before this returns."""
        line = json.dumps({"records": changed}, separators=(",", ":")) + "\n"
        if self._torn:  # else this save would join the torn line and be skipped with it
            line = "\n" + line
            self._torn = False
        with self.log.open("a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        self._log_bytes += len(line)

    def write_snapshot(self, payload: dict[str, Any]) -> None:
        """Write the whole store atomically, then empty the log it now holds."""
        target = self.path
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(payload, fh, indent=1)
                self._snapshot_bytes = fh.tell()
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.log.unlink(missing_ok=True)
        self._log_bytes = 0


__all__ = ["DataFile"]
