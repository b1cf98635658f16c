"""Read at most ``limit`` bytes of a file and refuse it when it holds more.

``FileTooLargeError`` is an ``OSError`` (errno EFBIG) on purpose: every caller already turns
"cannot read this file" into its own error of the tree (``WorkspaceReadError``,
``SecretError``, ``UsageError``...), with the file named, and a file too large to read is one
more way of not being readable. Its message says the cap and what to check.
"""

from __future__ import annotations

import errno
from pathlib import Path

MAX_WORKSPACE_BYTES = 16 * 2**20
"""A workspace is hand-written TOML; the largest real one is a few hundred KB."""

MAX_SECRETS_BYTES = 2**20
"""``.runbench/secrets.toml`` holds names and values: one MiB is thousands of them."""

MAX_INPUT_BYTES = 64 * 2**20
"""JSON given to a command (a Halo webhook body, a response to evaluate paths on)."""


class FileTooLargeError(OSError):
    """The file holds more than the cap for what it is meant to be."""

    def __init__(self, path: str | Path, limit: int) -> None:
        self.limit = limit
        message = f"larger than {_size(limit)}; not read (is it the right file?)"
        super().__init__(errno.EFBIG, message, str(path))

    def __str__(self) -> str:
        return str(self.strerror)


def _size(limit: int) -> str:
    if limit >= 2**20:
        return f"{limit / 2**20:g} MiB"
    return f"{limit / 2**10:g} KiB"


def read_capped_bytes(path: str | Path, limit: int) -> bytes:
    """The file's bytes; FileTooLargeError when it has more than ``limit`` bytes."""
    with open(path, "rb") as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise FileTooLargeError(path, limit)
    return data


_REMEDIES = {
    errno.ENOENT: "check the path",
    errno.ENOTDIR: "a part of the path is a file, not a folder: check the path",
    errno.ENAMETOOLONG: "check the path",
    errno.ELOOP: "a symbolic link in the path leads back to itself: check the path",
    errno.EISDIR: "give a file, not a folder",
    errno.EACCES: "check its permissions: runbench needs to read it",
    errno.EPERM: "check its permissions: runbench needs to read it",
}


def unreadable(exc: OSError) -> str:
    """Why a file could not be read and what to do, for a message that already names the
    file (Python's ``str(exc)`` repeats the path and the errno and says nothing to do)."""
    if isinstance(exc, FileTooLargeError):
        return str(exc)  # says the cap and what to check
    reason = exc.strerror or type(exc).__name__
    remedy = _REMEDIES.get(exc.errno or 0)
    return f"{reason} ({remedy})" if remedy else reason


def not_text(exc: UnicodeDecodeError) -> str:
    """What to say about a file that is not text in its encoding: what and where, and the fix
    (Python's own message names the codec and the byte, not the remedy)."""
    encoding = "UTF-8" if exc.encoding.replace("_", "-").startswith("utf-8") else exc.encoding
    return f"not {encoding} text ({exc.reason} at offset {exc.start}); save it as {encoding}"


def read_capped_text(path: str | Path, limit: int, *, encoding: str = "utf-8") -> str:
    """The file's text, like ``Path.read_text`` (universal newlines), but capped."""
    raw = read_capped_bytes(path, limit)
    return raw.decode(encoding).replace("\r\n", "\n").replace("\r", "\n")
