"""kill -9 in the middle of a run, then `runbench resume`: nothing recorded is lost.

A real `runbench run` subprocess talks to a real local server whose /slow endpoint holds
the request until the test lets it go. The test kills the process while /slow is held,
checks the journal shows the run as interrupted at that step, then resumes it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from runbench.core.engine import Journal
from test_engine_support import run_row

WORKSPACE = """
[variables]
base = "http://127.0.0.1:{port}"

[integrations.api]
base_url = "<<base>>"

[integrations.api.methods.get_user]
path = "/users/<<user_id>>"
outputs = {{ UserName = "response^name!" }}

[integrations.api.methods.slow]
path = "/slow"

[integrations.api.methods.post_note]
verb = "POST"
path = "/notes"
body_type = "json"
body = '{{"text": "<<text!>>"}}'

[runbooks.r]
start = "get"
[runbooks.r.inputs]
uid = {{ type = "int", default = 1 }}
[runbooks.r.steps.get]
kind = "method"
method = "api.get_user"
args = {{ user_id = "<<uid>>" }}
on_success = "wait"
[runbooks.r.steps.wait]
kind = "method"
method = "api.slow"
on_success = "note"
[runbooks.r.steps.note]
kind = "method"
method = "api.post_note"
args = {{ text = "for <<UserName>>" }}
on_success = "done"
[runbooks.r.steps.done]
kind = "end"
message = "noted <<UserName>>"
"""


class Server:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []
        self.slow_reached = threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                return

            def _answer(self, status: int, payload: object) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                outer.seen.append(("GET", self.path, ""))
                if self.path == "/slow":
                    outer.slow_reached.set()
                    outer.release.wait(30)
                    self._answer(200, {"slow": True})
                else:
                    self._answer(200, {"name": f"User {self.path.rsplit('/', 1)[1]}"})

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                outer.seen.append(("POST", self.path, body))
                self._answer(201, {"id": 1})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.close()


def runbench(*args: str) -> list[str]:
    return [sys.executable, "-m", "runbench", *args]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs kill -9")
def test_kill_minus_9_then_resume(server: Server, tmp_path: Path) -> None:
    ws = tmp_path / "ws.toml"
    ws.write_text(WORKSPACE.format(port=server.port))
    state = tmp_path / "state"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        runbench("run", str(ws), "r", "--input", "uid=7", "--state-dir", str(state)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        assert server.slow_reached.wait(30), process.stderr.read() if process.stderr else ""
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(30)
        if process.stderr is not None:
            process.stderr.close()
    assert process.returncode == -signal.SIGKILL

    journal = Journal(state / "runs.db")  # opening marks the dead process's run
    [row] = journal.runs()
    assert (row.status, row.current_step, row.inputs) == ("interrupted", "wait", {"uid": 7})
    before = journal.steps(row.id)
    assert [(s.step, s.finished, s.outputs) for s in before] == [
        ("get", True, {"UserName": "User 7"}),
        ("wait", False, {}),
    ]
    journal.close()

    listing = subprocess.run(
        runbench("runs", str(ws), "--state-dir", str(state)),
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert "interrupted" in listing.stdout

    server.release.set()
    resumed = subprocess.run(
        runbench("resume", str(ws), row.id[:16], "--state-dir", str(state), "--json"),
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert resumed.returncode == 0, resumed.stderr
    record = json.loads(resumed.stdout)
    assert record["run_id"] == row.id
    assert record["status"] == "success"
    assert record["message"] == "noted User 7"
    assert record["variables"]["UserName"] == "User 7"  # restored from the journal

    gets = [path for verb, path, _ in server.seen if verb == "GET"]
    assert gets.count("/users/7") == 1  # the finished step was not run again
    assert ("POST", "/notes", '{"text": "for User 7"}') in server.seen

    journal = Journal(state / "runs.db")
    after = journal.steps(row.id)
    assert after[0] == before[0]  # the earlier record is intact
    assert [(s.seq, s.step, s.edge) for s in after] == [
        (1, "get", "on_success"),
        (2, "wait", None),
        (3, "wait", "on_success"),
        (4, "note", "on_success"),
        (5, "done", None),
    ]
    assert "interrupted" in (after[1].error or "")
    assert run_row(journal, row.id).status == "success"
