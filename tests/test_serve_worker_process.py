"""`runbench serve` runs its runs in a worker process it starts and supervises (issue 19.1):
a real `serve` command on 127.0.0.1, its worker found as its child process.

The runs are executed by the worker (its log lines, its metrics, a secret input it gets
over the pipe, never from the journal); the worker dies with a ``kill -9``'d server,
stops with a stopped one, and is restarted when it dies alone (/healthz says so meanwhile).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from runbench.core.errors import RunError
from runbench.core.journal import Claim, Journal, RunRow
from runbench.core.secrets import REDACTED
from runbench.serve.held import HeldInputs
from runbench.serve.logs import ATOMIC, BatchedLog
from runbench.serve.process import WorkerProcess
from servers import serve_url
from waits import wait_for

SECRET = "tok-9f8e7d6c5b4a"
WORKSPACE = """
name = "worker process"
[integrations.svc]
base_url = "http://127.0.0.1:9"
[integrations.svc.methods.login]
verb = "POST"
path = "/login"
outputs = { token = { path = "response^token", secret = true } }

[runbooks.hook]
start = "check"
public = true
[runbooks.hook.inputs]
token = { type = "string", default = "" }
n = { type = "int", default = 0 }
[runbooks.hook.steps.check]
kind = "condition"
rules = [ { left = "<<token>>", op = "equals", right = "SECRET" } ]
on_true = "matched"
on_false = "plain"
[runbooks.hook.steps.matched]
kind = "end"
message = "matched the real value"
[runbooks.hook.steps.plain]
kind = "end"
message = "got <<n>>"
""".replace("SECRET", SECRET)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().rpartition(")")[2].split()[0] != "Z"


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


@dataclass
class Serve:
    process: subprocess.Popen[str]
    url: str
    state: Path
    lines: list[str] = field(default_factory=list)

    def worker(self) -> int:
        wait_for(lambda: len(children(self.process.pid)) == 1, "the worker process")
        return children(self.process.pid)[0]

    def journal(self) -> Journal:
        return Journal(self.state / "runs.db", recover=False)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    if not Path("/proc/self/task").exists():
        pytest.skip("needs Linux /proc to find the worker process")
    ws = tmp_path / "ws.toml"
    ws.write_text(WORKSPACE, encoding="utf-8")
    command = [sys.executable, "-m", "runbench", "serve", str(ws), "--port", "0"]
    command += ["--state-dir", str(tmp_path / "state"), "--workers", "2"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    url = serve_url(process.stdout, "hook")
    served = Serve(process, url, tmp_path / "state")
    reader = threading.Thread(target=lambda: served.lines.extend(process.stdout or ()))
    reader.start()
    try:
        yield served
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(30)
        reader.join(10)
        process.stdout.close()


def healthy(http: httpx.Client) -> bool:
    try:
        return http.get("/healthz").status_code == 200
    except httpx.TransportError:
        return False


def final(journal: Journal, run_id: str) -> RunRow:
    wait_for(lambda: (journal.run(run_id) or RUNNING).status in ("success", "failure"), run_id)
    row = journal.run(run_id)
    assert row is not None
    return row


def row_of(run_id: str = "", inputs: dict[str, object] | None = None) -> RunRow:
    return RunRow(
        id=run_id,
        runbook="hook",
        trigger="serve",
        inputs=dict(inputs or {}),
        context={},
        overrides={},
        status="running",
        error=None,
        message=None,
        current_step=None,
        parent_id=None,
        delivery_id=None,
        created=0.0,
        started=None,
        finished=None,
    )


RUNNING = row_of()


def test_the_worker_process_runs_what_the_server_accepted(serve: Serve) -> None:
    worker = serve.worker()
    with httpx.Client(base_url=serve.url) as http:
        wait_for(lambda: healthy(http), "/healthz 200 (the worker reported)")
        plain = http.post("/runbooks/hook", json={"n": 7}).json()["run_id"]
        secret = http.post("/runbooks/hook", json={"token": SECRET}).json()["run_id"]
        journal = serve.journal()
        try:
            assert final(journal, plain).message == "got 7"
            row = final(journal, secret)
            assert row.message == "matched the real value"  # held inputs crossed the pipe
            assert row.inputs["token"] == REDACTED  # and only blanked ones are at rest
        finally:
            journal.close()

        def counted() -> bool:
            metrics = http.get("/metrics").text
            return 'runbench_runs_finished_total{runbook="hook",status="success"} 2.0' in metrics

        wait_for(counted, "the worker's runs in the server's /metrics")
    serve.process.send_signal(signal.SIGINT)
    assert serve.process.wait(30) == 130  # interrupted, as any command stopped by Ctrl+C
    wait_for(lambda: not alive(worker), "the worker to stop with the server")
    assert any(re.search(rf"run {plain} success", line) for line in serve.lines)
    assert not any(SECRET in line for line in serve.lines)


def test_a_kill_9_of_the_server_takes_its_worker(serve: Serve) -> None:
    worker = serve.worker()
    serve.process.send_signal(signal.SIGKILL)
    serve.process.wait(10)
    wait_for(lambda: not alive(worker), "the worker to die with its server")


def test_a_worker_that_dies_is_restarted(serve: Serve) -> None:
    first = serve.worker()
    with httpx.Client(base_url=serve.url) as http:
        wait_for(lambda: healthy(http), "/healthz 200")
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: not healthy(http), "/healthz 503 while the worker is gone")
        assert "worker process" in http.get("/healthz").json()["problem"]
        wait_for(lambda: healthy(http), "/healthz 200 with a new worker")
        assert serve.worker() != first
        run_id = http.post("/runbooks/hook", json={"n": 3}).json()["run_id"]
    journal = serve.journal()
    try:
        assert final(journal, run_id).message == "got 3"
    finally:
        journal.close()
    wait_for(lambda: any("worker process exited" in line for line in serve.lines), "its log")


def claim_of(run_id: str, inputs: dict[str, object]) -> Claim:
    return Claim(row=row_of(run_id, inputs))


def test_held_inputs_on_their_way_are_waited_for_and_missing_ones_named() -> None:
    async def scenario() -> None:
        held = HeldInputs()
        claim = claim_of("r1", {"token": REDACTED})
        asyncio.get_running_loop().call_later(0.05, held.hold, "r1", {"token": SECRET}, {})
        restored = await held.restore_arriving(claim, 10.0)
        assert restored.row.inputs == {"token": SECRET}
        with pytest.raises(RunError, match="'token'"):
            await held.restore_arriving(claim_of("r2", {"token": REDACTED}), 0.05)
        plain = claim_of("r3", {"n": 1})
        assert await held.restore_arriving(plain, 10.0) is plain  # nothing to wait for

    asyncio.run(scenario())


class Writes:
    """A stream that keeps each write apart."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return len(text)

    def flush(self) -> None:
        pass


def test_the_log_leaves_in_whole_lines_small_enough_not_to_mix_with_the_workers() -> None:
    stream = Writes()
    log = BatchedLog(stream, interval=3600, stamp=lambda: "12:00:00")  # type: ignore[arg-type]
    lines = [f"run {n:04d} " + "x" * 90 for n in range(200)]
    for line in lines:
        log(line)
    log.close()
    assert len(stream.writes) > 1
    assert all(len(write) <= ATOMIC and write.endswith("\n") for write in stream.writes)
    assert "".join(stream.writes).splitlines() == [f"12:00:00 {line}" for line in lines]


def test_the_log_counts_bytes_not_characters_against_the_atomic_size() -> None:
    stream = Writes()
    log = BatchedLog(stream, interval=3600, stamp=lambda: "12:00:00")  # type: ignore[arg-type]
    lines = [f"run {n:04d} " + "\u00e9" * 90 for n in range(200)]  # 2 bytes a character in UTF-8
    for line in lines:
        log(line)
    log.close()
    assert all(len(write.encode()) <= ATOMIC for write in stream.writes)
    assert "".join(stream.writes).splitlines() == [f"12:00:00 {line}" for line in lines]


async def test_a_report_over_the_limit_is_skipped_with_a_log_line_and_reading_goes_on() -> None:
    reports: list[dict[str, object]] = []
    logs: list[str] = []
    worker = WorkerProcess([], on_report=reports.append, log=logs.append)
    worker.report_limit = 64
    read_fd, write_fd = os.pipe()
    os.write(write_fd, b'{"claimed":' + b"1" * 200 + b'}\n{"claimed":2}\n')
    os.close(write_fd)
    await asyncio.wait_for(worker._read_reports(read_fd), 10)
    assert reports == [{"claimed": 2}]
    assert len(logs) == 1
    assert "longer than 64 bytes; skipped it" in logs[0]
