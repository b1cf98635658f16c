"""Starting, feeding and ending ``python -m module`` children (see the package docstring).

asyncio is imported only by ``spawn_async``: a child imports this module for
``read_frame`` and ``lower_priority``, and asyncio would add ~40 ms to every child's start
(the search child's first match is what the user waits for).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

MOST_NICE = 19
"""The lowest priority a process can have (Linux, the BSDs, macOS)."""
SLICE = 1 << 20
"""Bytes (or characters) written to a child at a time."""


@dataclass(frozen=True)
class ChildSpec:
    """Which child: ``python -m module``. ``python`` can point elsewhere (tests use a
    missing file to exercise a caller's fallback). ``niceness`` (0: as the parent) is
    given to the child by ``spawn`` as soon as it exists, before the interpreter has
    started: the child's own ``lower_priority`` came only after its imports, and a search
    child spent its first ~75 ms of CPU at the workbench's priority, beside the key the
    user had just typed."""

    module: str
    python: str = sys.executable
    niceness: int = 0

    @property
    def argv(self) -> list[str]:
        return [self.python, "-m", self.module]


def spawn(
    spec: ChildSpec, *, stdout: Any = subprocess.PIPE, pass_fds: Sequence[int] = ()
) -> subprocess.Popen[bytes]:
    """Start the child with a stdin pipe, ``stdout`` (a pipe unless given), no stderr and
    a lifeline (see ``die_with_parent``); ``pass_fds`` stay open in the child under the
    same numbers."""
    with Lifeline() as lifeline:
        child = subprocess.Popen(
            spec.argv,
            stdin=subprocess.PIPE,
            stdout=stdout,
            stderr=subprocess.DEVNULL,
            pass_fds=(*pass_fds, *lifeline.passed),
            env=lifeline.environment(),
        )
        lifeline.held_by(child)
    _nice_child(child.pid, spec.niceness)
    return child


def _nice_child(pid: int, niceness: int) -> None:
    """Lower a child's priority from the parent, by ``niceness`` below the parent's own
    (as ``os.nice`` in the child would; no privilege is needed to lower one's own child);
    a child already gone, or a platform without priorities, is left alone."""
    if niceness > 0 and hasattr(os, "setpriority"):
        with contextlib.suppress(OSError):
            own = os.getpriority(os.PRIO_PROCESS, 0)
            os.setpriority(os.PRIO_PROCESS, pid, min(own + niceness, MOST_NICE))


async def spawn_async(spec: ChildSpec) -> asyncio.subprocess.Process:
    """``spawn`` for an event loop: pipes for stdin and stdout, and a lifeline."""
    import asyncio

    with Lifeline() as lifeline:
        child = await asyncio.create_subprocess_exec(
            *spec.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            pass_fds=lifeline.passed,
            env=lifeline.environment(),
        )
        lifeline.held_by(child)
    _nice_child(child.pid, spec.niceness)
    return child


LIFELINE = "RUNBENCH_CHILD_LIFELINE"
"""The environment variable naming the lifeline's descriptor in the child."""


class Lifeline:
    """A pipe nobody writes to: the child gets the read end, this process keeps the write
    end until the child's ``Popen`` is collected (or this process ends, however it ends:
    SIGKILL, SIGHUP when SSH drops, a normal exit). The child's ``die_with_parent`` reads
    it and exits at its end of file. ``spawn`` and ``spawn_async`` use one; a caller that
    starts its child otherwise (serve's worker process: its own command, its stdout
    inherited, a report pipe) passes ``passed`` and ``environment`` itself and calls
    ``held_by``, as they do. A child in a session of its own (``lower_priority``)
    gets no SIGHUP from the terminal, and a formatter writing to a file would otherwise
    work on for seconds after the workbench was gone.

    Not ``prctl(PR_SET_PDEATHSIG)``: Linux sends that when the *thread* that started the
    child ends, and the workbench starts children from worker threads that come and go.
    On a platform without ``pass_fds`` (Windows) the child gets no lifeline."""

    def __init__(self) -> None:
        self._ends = os.pipe() if os.name == "posix" else None

    @property
    def passed(self) -> tuple[int, ...]:
        return () if self._ends is None else (self._ends[0],)

    def environment(self, base: Mapping[str, str] | None = None) -> dict[str, str] | None:
        """The child's environment: ``base`` (else this process's) naming the lifeline;
        ``base`` itself (None: inherit) where there is no lifeline."""
        if self._ends is None:
            return None if base is None else dict(base)
        return {**(os.environ if base is None else base), LIFELINE: str(self._ends[0])}

    def held_by(self, child: object) -> None:
        """Keep the write end open as long as ``child`` (a Popen or asyncio Process) lives."""
        if self._ends is not None:
            weakref.finalize(child, os.close, self._ends[1])
            self._ends = (self._ends[0], -1)

    def __enter__(self) -> Lifeline:
        return self

    def __exit__(self, *_: object) -> None:
        """The read end is the child's alone; the write end too if no child took it."""
        if self._ends is not None:
            for end_fd in self._ends:
                if end_fd >= 0:
                    os.close(end_fd)


def die_with_parent(environ: MutableMapping[str, str] = os.environ) -> None:
    """In the child, first thing: exit as soon as the process that spawned it is gone (its
    lifeline reaches end of file). A thread waits on the pipe: nothing to poll, no delay.
    Without a lifeline (the module run by hand) nothing happens."""
    number = environ.pop(LIFELINE, "")  # not for a process this one starts
    if not number.isdigit():
        return
    fd = int(number)
    try:
        os.fstat(fd)
    except OSError:
        return  # named but not passed: nothing to watch
    threading.Thread(target=_exit_at_end_of, args=(fd,), daemon=True, name="lifeline").start()


def _exit_at_end_of(fd: int) -> None:
    with contextlib.suppress(OSError):
        while os.read(fd, 1):  # nobody writes: only the end of file (or an error) returns
            pass
    os._exit(PARENT_GONE)


PARENT_GONE = 70
"""The exit status of a child whose parent went away (nobody reads it but tests)."""


def end(child: subprocess.Popen[bytes] | None) -> None:
    """Kill (if still running), reap, and close the pipes; safe to call twice."""
    if child is None:
        return
    if child.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            child.kill()
        child.wait()
    for pipe in (child.stdin, child.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):  # a half-written body: nobody reads it
                pipe.close()


def frame_header(header: Mapping[str, Any]) -> bytes:
    return json.dumps(dict(header)).encode() + b"\n"


def write_frame(pipe: IO[bytes], header: Mapping[str, Any], body: bytes | str) -> None:
    """One header line, then ``body`` a slice at a time (a ``str`` is encoded per slice,
    so 50 MiB is never encoded at once). Put ``size`` in the header when the child must
    read exactly that many bytes (it will answer more requests afterwards)."""
    pipe.write(frame_header(header))
    for begin in range(0, len(body), SLICE):
        piece = body[begin : begin + SLICE]
        pipe.write(piece.encode("utf-8", "surrogatepass") if isinstance(piece, str) else piece)
    pipe.flush()


def read_frame(stdin: IO[bytes]) -> tuple[dict[str, Any], bytes]:
    """In the child: the header and the body (``size`` bytes, else up to EOF)."""
    header: dict[str, Any] = json.loads(stdin.readline())
    size = header.get("size")
    body = stdin.read(size) if isinstance(size, int) else stdin.read()
    return header, body


AUTOGROUP = "/proc/self/autogroup"
GROUP_NICENESS = 5
"""The most a child's own session group is niced: at 10, other sessions' load (a build,
others' work) starved it (half the work done under load ~22 in a probe; a 50 MiB body
not formatted in 120 s at load ~30); at 5 it did as much as in the workbench's session,
and the workbench still woke sooner than with the children beside it."""


def lower_priority(niceness: int, *, autogroup: str = AUTOGROUP, own_session: bool = True) -> None:
    """In the child: run at a lower priority where the platform allows.

    Linux with autogroup (most desktops, and this project's machines) shares the CPU
    between sessions first and by niceness only within a session: two niced formatter
    children in the workbench's session still took that session's whole share from the
    terminal's (tmux, sshd), which must draw each key too. So on Linux the child also
    leaves for a session of its own and gives that session's group a niceness
    (writing one's own autogroup a higher niceness needs no privilege). Its stdin and
    stdout stay the parent's pipes; it has no terminal to lose. The group is niced at
    most ``GROUP_NICENESS``, so that a busy machine does not starve the child.

    ``own_session=False``: niced only, inside the parent's session, where the niceness
    weighs against the parent itself (serve's worker must yield to serve's intake: in a
    session of its own it took a group's share from it)."""
    _at_least(niceness)
    if own_session and hasattr(os, "setsid") and os.path.exists(autogroup):
        try:
            os.setsid()
        except OSError:
            return  # still in the parent's session: never nice the parent's group
        level = min(niceness, GROUP_NICENESS)
        if not _nice_group(autogroup, level):  # see _nice_group: from a thread, not waited
            threading.Thread(target=_nice_group_soon, args=(autogroup, level), daemon=True).start()


def _at_least(niceness: int) -> None:
    """This process niced ``niceness`` below its parent, once: ``spawn`` may have done it
    already (``ChildSpec.niceness``), and a relative ``os.nice`` would then add the two."""
    if hasattr(os, "getpriority"):
        with contextlib.suppress(OSError):
            parent = os.getpriority(os.PRIO_PROCESS, os.getppid())
            wanted = min(parent + niceness, MOST_NICE)
            if os.getpriority(os.PRIO_PROCESS, 0) < wanted:
                os.setpriority(os.PRIO_PROCESS, 0, wanted)


def _nice_group(autogroup: str, niceness: int) -> bool:
    """Give this session's group ``niceness``; False if the kernel said "not now": an
    unprivileged write is refused for about 100 ms after any other (machine-wide), as
    when two children start together. Other failures are ignored (the nice above holds)."""
    try:
        with open(autogroup, "w", encoding="ascii") as group:
            group.write(str(niceness))
    except BlockingIOError:
        return False
    except OSError:
        pass
    return True


def _nice_group_soon(autogroup: str, niceness: int, tries: int = 10) -> None:
    for _ in range(tries):
        time.sleep(0.12)
        if _nice_group(autogroup, niceness):
            return
