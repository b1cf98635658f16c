"""Many `runbench serve` processes on one PostgreSQL journal: start them, send signed
deliveries, kill one with SIGKILL, and count what the journal holds. Shared by the
kill -9 test (small) and benchmarks/bench_scale.py (a flood)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from postgres import Cluster

SECRET = "scale-signing-secret"
WORKSPACE = """
name = "scale"

[runbooks.hit]
start = "wait"
public = true
endpoint = {{ auth = "signature", secret = "{secret}", algorithm = "sha256", prefix = "sha256=" }}
[runbooks.hit.inputs]
n = {{ type = "int", default = 0 }}
[runbooks.hit.steps.wait]
kind = "sleep"
seconds = {sleep}
next = "done"
[runbooks.hit.steps.done]
kind = "end"
message = "hit <<n>>"
"""


def write_workspace(folder: Path, sleep: float = 0.0) -> Path:
    path = folder / "scale.toml"
    path.write_text(WORKSPACE.format(secret=SECRET, sleep=sleep), encoding="utf-8")
    return path


def signed(n: int) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"n": n}).encode()
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "X-Signature": f"sha256={digest}"}


@dataclass
class Instance:
    process: subprocess.Popen[str]
    url: str
    lines: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL: no shutdown, no release of its runs (as a crashed machine)."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def start_instance(
    workspace: Path,
    journal: str,
    *,
    workers: int = 4,
    lease: float = 30.0,
    extra: tuple[str, ...] = (),
) -> Instance:
    """A `runbench serve` process on a free port; returns once it listens."""
    argv = [
        sys.executable,
        "-m",
        "runbench",
        "serve",
        str(workspace),
        "--port",
        "0",
        "--journal",
        journal,
        "--workers",
        str(workers),
        "--lease",
        str(lease),
        "--queue-size",
        "1000000",
        *extra,
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    url = _wait_for_url(process.stdout, process)
    _wait_healthy(url, process)
    return Instance(process, url)


def _wait_healthy(url: str, process: subprocess.Popen[str]) -> None:
    """The banner comes before uvicorn listens: wait for /healthz to answer."""
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"runbench serve at {url} never became healthy")


def _wait_for_url(out: IO[str] | None, process: subprocess.Popen[str]) -> str:
    assert out is not None
    seen = []
    deadline = time.monotonic() + 60
    for line in out:
        seen.append(line)
        if "POST http://" in line:
            url = line.split("POST ", 1)[1].split("/runbooks/", 1)[0]
            _drain(out)
            return url
        if time.monotonic() > deadline:
            break
    process.kill()
    raise RuntimeError("runbench serve did not start:\n" + "".join(seen))


def _drain(out: IO[str]) -> None:
    """Keep reading the server's output (a full pipe would block its logging)."""
    import threading

    def drain() -> None:
        with out:  # closed at EOF, once the server has gone
            for _ in out:
                pass

    threading.Thread(target=drain, daemon=True).start()


def process_cpu(pid: int) -> float:
    """Seconds of CPU (user + system) a live process used so far; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> float:
    """CPU of a process and its live children (`serve` and its worker process)."""
    return process_cpu(pid) + children_cpu(pid)


def server_cpu(cluster: Cluster) -> float:
    """CPU of the cluster's server processes (the postmaster's children) alive now."""
    try:
        postmaster = int((cluster.folder / "data" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    return children_cpu(postmaster)


def children_cpu(parent: int) -> float:
    """CPU of the live children of ``parent``."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == parent:
            total += process_cpu(int(entry))
    return total
