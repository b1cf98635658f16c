"""A lock between processes around a workspace save: compare, then rename, as one step.

``WorkspaceDocument.save`` refuses to overwrite a file that changed since it was loaded.
Without a lock, two writers can both compare (unchanged), then both rename, and the first
one's edit is lost with no error: two ``import-curl --workspace`` at once used to exit 0
with one method gone. The lock is ``flock`` on the folder that holds the file (no lock
file to leave behind, and an atomic rename swaps the file's inode, so the file itself
cannot carry the lock). It is held only for the compare and the rename, and waits a few
seconds at most for another save to finish. Where ``flock`` does not exist (Windows) the
compare alone remains.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from runbench.core.errors import ConcurrentEditError

WAIT = 10.0
"""Seconds to wait for another process's save to finish."""


@contextmanager
def save_lock(folder: Path, *, wait: float = WAIT) -> Iterator[None]:
    """Hold the save lock of ``folder`` (exclusive between processes that use it)."""
    try:
        import fcntl
    except ImportError:  # not POSIX
        yield
        return
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:  # cannot open the folder to lock it: the compare alone remains
        yield
        return
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ConcurrentEditError(
                        f"another save into {folder} did not finish within {wait:g} s; try again",
                        file=str(folder),
                    ) from None
                time.sleep(0.01)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)


__all__ = ["save_lock"]
