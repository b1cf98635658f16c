"""A throwaway PostgreSQL cluster for the tests: initdb in a temp dir, a free port.

Looks for the server binaries on PATH and in /usr/lib/postgresql/*/bin. As root (CI,
containers) initdb refuses to run, so the cluster belongs to the ``postgres`` user and
every server command runs through ``runuser -u postgres --``. Authentication is
``trust`` on 127.0.0.1 only. Nothing is left behind: the server is stopped and the
folder removed at the end.

The cluster lives in memory (``/dev/shm``) where there is one with room to spare: every
test's ``CREATE DATABASE`` copies the template (about 10 MB with its WAL), so a worker's
cluster grows to some 400 MB of small files. On the disk, removing that folder held each
xdist worker's last test for 5-19 s of wall at 0.3 s of CPU on a loaded machine (the
suite's end, where nothing else runs), and each database's creation waited on writes. The
server is the same PostgreSQL with the same settings either way (``fsync=off`` already: a
throwaway server; no test kills PostgreSQL itself).

Without binaries the PostgreSQL tests skip, except where ``RUNBENCH_REQUIRE_POSTGRES``
is set (``.ci/run`` sets it): there a missing server is a failure, so CI never passes
by skipping them.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

REQUIRE = "RUNBENCH_REQUIRE_POSTGRES"
START_TIMEOUT = 60.0
MEMORY = Path("/dev/shm")
MEMORY_TO_SPARE = 4 << 30
"""Bytes of free memory, and of room in ``/dev/shm``, for the clusters to go there."""


def binaries() -> Path | None:
    """The folder holding initdb and postgres, or None."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(versions[-1]).parent if versions else None


def required() -> bool:
    return os.environ.get(REQUIRE, "") not in ("", "0")


def cluster_root() -> str | None:
    """Where the cluster's folder goes: memory when there is plenty, else the temp dir."""
    try:
        stat = os.statvfs(MEMORY)
        free_memory = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):  # no /dev/shm, or no free-page count (macOS)
        return None
    room = min(stat.f_bavail * stat.f_frsize, free_memory)
    return str(MEMORY) if room >= MEMORY_TO_SPARE and os.access(MEMORY, os.W_OK) else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    """A running server: ``dsn(database)`` for a connection string."""

    folder: Path
    bin: Path
    port: int
    as_user: list[str]
    user: str = "runbench"

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database (a fresh name each call); its DSN."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def stop(self) -> None:
        subprocess.run(
            [
                *self.as_user,
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.folder / "data"),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def start_cluster() -> Cluster:
    """initdb and start a server on a free port; RuntimeError with the log if it fails."""
    bin_dir = binaries()
    if bin_dir is None:
        raise FileNotFoundError("no PostgreSQL server binaries (initdb) found")
    folder = Path(tempfile.mkdtemp(prefix="runbench-pg-", dir=cluster_root()))
    as_user: list[str] = []
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    cluster = Cluster(folder, bin_dir, free_port(), as_user)
    data, log = folder / "data", folder / "server.log"
    try:
        _run(
            [
                *as_user,
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                cluster.user,
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        )
        for attempt in range(PORT_ATTEMPTS):
            log.unlink(missing_ok=True)  # this attempt's log alone
            try:
                _pg_ctl_start(cluster, data, log)
                break
            except RuntimeError:
                # free_port() closes its socket before the server binds the port: another
                # process (a test's server, another worker) may take it in between
                if attempt + 1 == PORT_ATTEMPTS or not _port_taken(log):
                    raise
                cluster.port = free_port()
        _wait_ready(cluster)
    except BaseException:
        text = log.read_text() if log.exists() else ""
        cluster.stop()
        raise RuntimeError(f"could not start PostgreSQL in {folder}:\n{text}") from None
    return cluster


PORT_ATTEMPTS = 5
"""Ports tried when the one picked is taken before the server binds it (a race no port
choice can close: the port must be named to pg_ctl, so it cannot be bound and handed on)."""


def _pg_ctl_start(cluster: Cluster, data: Path, log: Path) -> None:
    options = (
        f"-p {cluster.port} -k {cluster.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    _run(
        [
            *cluster.as_user,
            str(cluster.bin / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(log),
            "-o",
            options,
            "-w",
            "-t",
            str(int(START_TIMEOUT)),
            "start",
        ]
    )


def _port_taken(log: Path) -> bool:
    return log.exists() and "Address already in use" in log.read_text(errors="replace")


def _run(argv: list[str]) -> None:
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{result.stdout}{result.stderr}")


def _wait_ready(cluster: Cluster) -> None:
    import psycopg

    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            with psycopg.connect(cluster.dsn(), connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
