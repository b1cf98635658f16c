"""Who holds a run, and when another process may take it over.

Ownership by pid + hostname broke in containers: a restarted server is PID 1 again (so
the dead owner "is alive"), and a new container has a new hostname (so the owner is
"on another host" forever). Runs are held by *leases* instead: the owner renews
``lease_until`` while it lives, and any instance may recover a run whose lease expired.

The owner text still carries host, pid namespace, pid, the process's start time and a
random per-process token. It only serves a fast path: on the same host and in the same
pid namespace, an owner whose pid is gone, whose pid now belongs to a process started at
another time, or whose pid is ours with another token is certainly dead, so its runs are
recovered at once (this is how `runbench resume` sees a `kill -9`'d run straight away).
Anything else waits for the lease.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

PROCESS_TOKEN = os.urandom(6).hex()
"""Random per process (not per Journal: two journals in one process are one owner). 12 hex
digits from ``os.urandom``: uuid would import ``platform`` into every run's start-up."""


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""


def process_start(pid: int) -> str:
    """The start time of ``pid`` in clock ticks since boot ("" when unknown)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            text = stat.read()
    except OSError:
        return ""
    fields = text.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else ""


@dataclass(frozen=True)
class Owner:
    """The process that runs a run: host, pid namespace, pid, its start time and a random
    token, so a pid reused by another process is not taken for the owner."""

    host: str
    pidns: str
    pid: int
    started: str
    token: str

    @classmethod
    def current(cls, pid: int | None = None, host: str | None = None) -> Owner:
        """This process (``pid``/``host`` override it, as tests of recovery do)."""
        real = os.getpid()
        pid = real if pid is None else pid
        return cls(
            socket.gethostname() if host is None else host,
            pid_namespace(),
            pid,
            process_start(pid),
            PROCESS_TOKEN if pid == real else os.urandom(6).hex(),
        )

    def text(self) -> str:
        return f"{self.host}|{self.pidns}|{self.pid}|{self.started}|{self.token}"

    @classmethod
    def parse(cls, text: str | None) -> Owner | None:
        parts = (text or "").split("|")
        if len(parts) != 5 or not parts[2].isdigit():
            return None
        return cls(parts[0], parts[1], int(parts[2]), parts[3], parts[4])

    def sees_dead(self, other: Owner) -> bool:
        """``other`` certainly no longer runs (seen from this process)."""
        if other.host != self.host or (other.pidns and other.pidns != self.pidns):
            return False
        if other.pid == os.getpid():
            return other.token != PROCESS_TOKEN
        if not pid_alive(other.pid):
            return True
        now = process_start(other.pid)
        return bool(other.started and now and now != other.started)


__all__ = ["PROCESS_TOKEN", "Owner", "pid_alive", "process_start"]
