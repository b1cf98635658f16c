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

The disk is written outside the store's lock (``Writer``): a save commits in memory and
queues its records under the lock, then waits for the disk alone, so other saves and reads
do not wait on its fsync. One writer at a time drains the whole queue, in commit order,
with one fsync (group commit); a snapshot is taken under the store's lock by the writer
itself, so it holds every queued save and a later snapshot is always written after an
earlier one. A save still answers only once its records are on disk; a read may see
records whose fsync is still under way (a crash then loses only saves that never answered).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from runbench.core.files import MAX_INPUT_BYTES, read_capped_text

MIN_LOG_BYTES = 1 << 20
"""The log is folded into the snapshot once it is larger than this and the snapshot."""


class DataFile:
    """One sandbox data file and its log of saves."""

    def __init__(self, path: Path, fsync: Callable[[int], None] = os.fsync) -> None:
        self.path = path
        self._fsync = fsync  # tests hold a save's flush here
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

    def append(self, saves: list[dict[str, list[dict[str, Any]]]]) -> None:
        """Log saves' records (one line a save, by resource), on disk before this returns."""
        text = "".join(json.dumps({"records": c}, separators=(",", ":")) + "\n" for c in saves)
        if self._torn:  # else this save would join the torn line and be skipped with it
            text = "\n" + text
            self._torn = False
        with self.log.open("a", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            self._fsync(fh.fileno())
        self._log_bytes += len(text)

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
                self._fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.log.unlink(missing_ok=True)
        self._log_bytes = 0


Snapshot = Callable[[], dict[str, Any]]


class Writer:
    """Writes a store's saves to its ``DataFile`` in commit order, outside the store's
    lock (module doc). ``queue`` is called under ``store_lock``; ``flush`` without it."""

    def __init__(
        self, file: DataFile, store_lock: AbstractContextManager[Any], snapshot: Snapshot
    ) -> None:
        self.file = file
        self._store_lock = store_lock
        self._snapshot = snapshot  # the whole store; called under the store's lock
        self._disk = threading.Lock()  # one writer at a time
        self._pending: list[dict[str, list[dict[str, Any]]]] = []
        self._want_snapshot = False
        self._queued = 0  # the last queued save's number (under the store's lock)
        self._written = 0  # the last one on disk (under ``_disk``)

    def queue(self, changed: dict[str, list[dict[str, Any]]] | None) -> int:
        """Queue a save's records (None: the whole store, e.g. the config changed); the
        number to pass to ``flush``. Under the store's lock, right after the commit."""
        self._queued += 1
        if changed is None:
            self._want_snapshot = True
        else:
            self._pending.append(changed)
        return self._queued

    def flush(self, number: int) -> None:
        """Return once save ``number`` is on disk: written by this call, with every save
        queued before it and since, or by a writer that drained it meanwhile."""
        with self._disk:
            if self._written >= number:
                return
            with self._store_lock:
                pending, self._pending = self._pending, []
                upto = self._queued
                whole = self._want_snapshot or self.file.needs_snapshot()
                payload = self._snapshot() if whole else None
                self._want_snapshot = False
            try:
                if payload is not None:
                    self.file.write_snapshot(payload)
                elif pending:
                    self.file.append(pending)
            except BaseException:
                self._want_snapshot = True  # what was drained is lost: the next writes it all
                raise
            self._written = upto


__all__ = ["DataFile", "Writer"]
