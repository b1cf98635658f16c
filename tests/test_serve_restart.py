"""Durable intake: runs accepted before a stop or a crash all finish after the restart.

Two ways down: a graceful stop with a run blocked mid-step (it is marked interrupted and
resumed), and ``kill -9`` of a real ``runbench serve`` process with runs queued and one
stuck in an HTTP call (the journal marks it interrupted because its process is gone).
Either way the journal must end with every accepted run finished exactly once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from runbench.core.engine import Journal
from runbench.core.workspace import load_workspace
from runbench.serve import build_app, start_in_thread
from servers import serve_url
from waits import wait_for

WORKSPACE = """
[variables]
svc = "{svc}"

[integrations.svc]
base_url = "<<svc>>"
[integrations.svc.methods.ping]
verb = "POST"
path = "/ping"
body_type = "json"
body = \'\'\'{{"n": <<n>>}}\'\'\'

[runbooks.job]
start = "call"
public = true
[runbooks.job.inputs]
n = {{ type = "int" }}
[runbooks.job.steps.call]
kind = "method"
method = "svc.ping"
on_success = "done"
on_failure = "failed"
[runbooks.job.steps.done]
kind = "end"
message = "done <<n>>"
[runbooks.job.steps.failed]
kind = "end"
result = "failure"
"""


def statuses(journal: Journal) -> dict[str, str]:
    return {row.id: row.status for row in journal.runs(1000)}


class Recorder:
    def __init__(self) -> None:
        self.seen: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request.content)
        return httpx.Response(200, json={"ok": True})


def restart_and_finish(tmp_path: Path, ws_path: Path, expected: set[str]) -> Recorder:
    """Start a fresh server on the same journal; every expected run must succeed once."""
    journal = Journal(tmp_path / "state" / "runs.db")
    recorder = Recorder()
    app = build_app(
        load_workspace(ws_path),
        journal=journal,
        environ={},
        workers=2,
        log=lambda _line: None,
        transport=httpx.MockTransport(recorder),
    )
    server = start_in_thread(app)
    try:
        wait_for(lambda: all(s in ("success", "failure") for s in statuses(journal).values()))
        found = statuses(journal)
        assert set(found) == expected  # nothing lost, nothing added
        assert set(found.values()) == {"success"}
        assert len(recorder.seen) >= len(expected)
        assert {row.message for row in journal.runs(1000)} == {
            f"done {n}" for n in range(len(expected))
        }
        with httpx.Client(base_url=server.url) as http:
            assert http.get("/healthz").json()["queued"] == 0
    finally:
        server.stop()
        journal.close()
    return recorder


def test_graceful_stop_with_a_blocked_run_and_queued_runs(tmp_path: Path) -> None:
    ws_path = tmp_path / "ws.toml"
    ws_path.write_text(WORKSPACE.format(svc="http://svc.test"), encoding="utf-8")
    entered = threading.Event()

    async def blocked(_request: httpx.Request) -> httpx.Response:
        entered.set()
        await asyncio.sleep(3600)
        raise AssertionError("never answered")

    journal = Journal(tmp_path / "state" / "runs.db")
    app = build_app(
        load_workspace(ws_path),
        journal=journal,
        environ={},
        workers=1,
        grace=0.2,
        log=lambda _line: None,
        transport=httpx.MockTransport(blocked),
    )
    server = start_in_thread(app)
    with httpx.Client(base_url=server.url) as http:
        ids = [http.post("/runbooks/job", json={"n": 0}).json()["run_id"]]
        assert entered.wait(10)
        ids += [http.post("/runbooks/job", json={"n": n}).json()["run_id"] for n in range(1, 5)]
    server.stop()
    before = statuses(journal)
    journal.close()
    assert before[ids[0]] == "interrupted"
    assert sorted(before[i] for i in ids[1:]) == ["queued"] * 4

    restart_and_finish(tmp_path, ws_path, set(ids))


def test_kill_9_with_queued_and_running_runs(tmp_path: Path) -> None:
    # A service that accepts connections and never answers: the run hangs mid-step.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    ws_path = tmp_path / "ws.toml"
    port = silent.getsockname()[1]
    ws_path.write_text(WORKSPACE.format(svc=f"http://127.0.0.1:{port}"), encoding="utf-8")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "runbench",
            "serve",
            str(ws_path),
            "--port",
            "0",
            "--workers",
            "1",
            "--state-dir",
            str(tmp_path / "state"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ},
    )
    try:
        assert proc.stdout is not None
        url = serve_url(proc.stdout, "job")
        with httpx.Client(base_url=url) as http:
            wait_for(lambda: _up(http))
            ids = [http.post("/runbooks/job", json={"n": n}).json()["run_id"] for n in range(4)]
            journal = Journal(tmp_path / "state" / "runs.db", recover=False)
            wait_for(lambda: statuses(journal)[ids[0]] == "running")
            journal.close()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
        silent.close()
    restart_and_finish(tmp_path, ws_path, set(ids))


def _up(http: httpx.Client) -> bool:
    try:
        return http.get("/healthz").status_code == 200
    except httpx.TransportError:
        return False
