"""Leaving when the terminal hangs up: an SSH drop, a closed window, `tmux kill-server`.

The kernel sends SIGHUP only to the session leader of a terminal that hangs up. Under
`make demo` (or `sh -c`) that is make, and a pty's foreground group gets nothing when its
leader exits, so the workbench was left with a dead terminal: every read returns 0 at
once, and Textual's input thread, which takes an empty read for a piped stdin, selected
again in a busy loop (45-90% of a core, forever), while writes failed with EIO.

``HangupDriver`` is Textual's ``LinuxDriver`` with three additions, none copying it:

- a daemon thread (``HangupWatch``) polls the terminal with an event mask of 0 (the
  kernel always reports POLLHUP, and a hung-up tty reports it at once) beside a pipe of
  its own that wakes it when application mode stops: no timer, no wake-up while idle;
- SIGHUP itself (delivered to a workbench that is the session leader, or by ``kill``)
  does the same instead of killing the process before its clean-up;
- what goes to the terminal passes through ``TerminalOut``, which drops everything once
  the terminal is gone, so no write can raise (Textual's writer thread would die on EIO
  and its queue then block the exit).

Either way the app gets ``TerminalHungUp`` and leaves as ctrl+q does (runs stopped,
as ``HUNG_UP_REASON`` says, journal closed, children ended through their lifelines), after keeping unsaved edits in
a private recovery file (``keep_unsaved``): nobody can be asked.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import signal
import sys
import threading
from collections.abc import Callable
from functools import partial
from io import TextIOWrapper
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

from textual.message import Message

if TYPE_CHECKING:
    from textual.driver import Driver

GONE = select.POLLHUP | select.POLLERR | select.POLLNVAL
HUNG_UP_STATUS = 129
"""The exit status after a hangup: 128 + SIGHUP, as a shell reports a process it ended (as
an interrupted command exits 130), so a script can tell a cut session from a failure."""

HUNG_UP_REASON = "stopped: the terminal hung up"
"""How runs still going when the terminal hangs up end (in the journal, `runbench runs`):
not "stopped by user", which nobody did."""


class TerminalHungUp(Message):
    """The terminal is gone, or SIGHUP came (then the terminal may still be there)."""


class TerminalOut:
    """The terminal's output stream, quiet once the terminal is gone: the first failed
    write or flush (EIO after a hangup) marks it gone, and later ones are dropped. Textual's
    writer thread uses ``write``, ``flush`` and ``fileno``, nothing else."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.gone = False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                return self._stream.write(text)
            except (OSError, ValueError):  # EIO on a hung-up tty; ValueError: closed
                self.gone = True
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self._stream.flush()
            except (OSError, ValueError):
                self.gone = True

    def fileno(self) -> int:
        return self._stream.fileno()


class HangupWatch:
    """A daemon thread that calls ``on_hangup`` once when one of ``fds`` hangs up, and
    ends without calling it when ``stop`` is called first."""

    def __init__(self, fds: list[int], on_hangup: Callable[[], None]) -> None:
        self._fds = fds
        self._on_hangup = on_hangup
        self._wake_read, self._wake_write = os.pipe()
        self._thread = threading.Thread(target=self._watch, name="runbench-hangup", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Wake the thread (its pipe's write end closes: POLLHUP on the read end). Once:
        a second close could hit a descriptor the number has been given to since."""
        wake, self._wake_write = self._wake_write, -1
        if wake >= 0:
            os.close(wake)

    def _watch(self) -> None:
        poller = select.poll()
        for fd in self._fds:
            poller.register(fd, 0)  # no events asked: POLLHUP, POLLERR, POLLNVAL still come
        poller.register(self._wake_read, 0)
        try:
            ready = poller.poll()
        finally:
            os.close(self._wake_read)
        if any(fd != self._wake_read and mask & GONE for fd, mask in ready):
            self._on_hangup()


def terminal_fds(candidates: list[int]) -> list[int]:
    """The distinct descriptors among ``candidates`` that are terminals."""
    found: list[int] = []
    for fd in candidates:
        with contextlib.suppress(OSError, ValueError):
            if fd not in found and os.isatty(fd):
                found.append(fd)
    return found


def hangup_driver() -> type[Driver] | None:
    """The driver for a real terminal (None on Windows, or when ``TEXTUAL_DRIVER`` names
    one: Textual then picks as usual)."""
    if sys.platform == "win32" or os.environ.get("TEXTUAL_DRIVER"):
        return None
    return _driver_class()


def _driver_class() -> type[Driver]:
    from textual.drivers.linux_driver import LinuxDriver

    class HangupDriver(LinuxDriver):
        """``LinuxDriver`` that tells the app when its terminal hangs up (module doc)."""

        def __init__(self, app: Any, **options: Any) -> None:
            super().__init__(app, **options)
            # Textual's writer thread writes to ``_file``: every frame goes through the guard
            self.out = TerminalOut(cast(TextIO, self._file))
            self._file = cast(TextIOWrapper, self.out)
            self._watch: HangupWatch | None = None
            self._told = False

        def start_application_mode(self) -> None:
            loop = asyncio.get_running_loop()
            super().start_application_mode()  # type: ignore[no-untyped-call]
            fds = terminal_fds([self.fileno, self.out.fileno()])
            self._watch = HangupWatch(fds, partial(self._terminal_gone, loop))
            self._watch.start()
            with contextlib.suppress(ValueError, RuntimeError, OSError):  # not main thread
                loop.add_signal_handler(signal.SIGHUP, self._tell)

        def stop_application_mode(self) -> None:
            if self._watch is not None:
                self._watch.stop()
                self._watch = None
            super().stop_application_mode()

        def resume_application_mode(self) -> None:
            """A hung-up terminal is not taken back (SIGCONT comes with SIGHUP)."""
            if not self.out.gone:
                super().resume_application_mode()

        def _terminal_gone(self, loop: asyncio.AbstractEventLoop) -> None:
            """On the watch's thread: nothing more is written, and the terminal stops
            being read at once (the input thread would spin on empty reads until the end)."""
            self.out.gone = True
            self.exit_event.set()
            with contextlib.suppress(RuntimeError):  # the loop has closed: the app is gone
                loop.call_soon_threadsafe(self._tell)

        def _tell(self) -> None:
            """On the loop's thread: tell the app, once."""
            if not self._told:
                self._told = True
                self._app.post_message(TerminalHungUp())

    return HangupDriver


def keep_unsaved(folder: Path, stem: str, text: str) -> Path:
    """Write ``text`` to a new file in ``folder`` (``STEM.hungup.toml``, ``-2``, ...),
    readable by its owner only (created 0600, never replacing a file); its path."""
    for n in range(1, 100):
        path = folder / (f"{stem}.hungup.toml" if n == 1 else f"{stem}.hungup-{n}.toml")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        return path
    raise FileExistsError(f"{folder}: {stem}.hungup-99.toml and all before it exist")


__all__ = [
    "HUNG_UP_REASON",
    "HUNG_UP_STATUS",
    "TerminalHungUp",
    "TerminalOut",
    "hangup_driver",
    "keep_unsaved",
]
