"""Secrets that reach `serve` (issue 14): a webhook input that is declared secret, a
delivery that carries a known secret, and a run that cannot start with a secret in its
reason. The journal keeps none of them in clear, the log shows none, and the run still
gets the real value when this process executes it.

A real uvicorn server on 127.0.0.1; outbound HTTP goes to an httpx.MockTransport.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runbench.core.journal import Claim, Journal, RunRow
from runbench.core.secrets import REDACTED, Secrets
from runbench.core.workspace import load_workspace
from runbench.serve import build_app, create_app, start_in_thread

TOKEN = "tok-9f8e7d6c5b4a"  # a secret input's value (its name is a secret output's)
API_KEY = "ak-0123456789abcdef"  # the integration's key, known to the redactor
ENV = {"API_KEY": API_KEY}
FINAL = ("success", "failure")

WORKSPACE = """
name = "serve secrets"
[variables]
svc = "http://svc.test"

[integrations.svc]
base_url = "<<svc>>"
auth = { type = "api_key", name = "X-Api-Key", value = { env = "API_KEY" } }
[integrations.svc.methods.login]
verb = "POST"
path = "/login"
outputs = { token = { path = "response^token", secret = true } }
[integrations.svc.methods.provision]
verb = "POST"
path = "/provision"
body_type = "json"
body = '''{"token": "<<token!>>", "note": "<<note!>>"}'''

[runbooks.provision]
start = "call"
public = true
[runbooks.provision.inputs]
token = { type = "string" }
note = { type = "string", default = "" }
[runbooks.provision.steps.call]
kind = "method"
method = "svc.provision"
on_success = "done"
on_failure = "failed"
[runbooks.provision.steps.done]
kind = "end"
message = "provisioned"
[runbooks.provision.steps.failed]
kind = "end"
result = "failure"
"""


class Outbound:
    """Records each outbound request's JSON body; answers 200."""

    def __init__(self) -> None:
        self.bodies: list[Any] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content or b"{}"))
        return httpx.Response(200, json={})


def wait_final(journal: Journal, run_id: str, timeout: float = 15.0) -> RunRow:
    deadline = time.monotonic() + timeout
    while True:
        row = journal.run(run_id)
        if row is not None and row.status in FINAL:
            return row
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} did not finish: {row}")
        time.sleep(0.01)


def stored_text(db: Path) -> str:
    """Every value of every table of the journal, as one text (the WAL included)."""
    with sqlite3.connect(db) as conn:
        tables = [
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        return "\n".join(
            repr(row) for table in tables for row in conn.execute(f"SELECT * FROM {table}")
        )


class Served:
    def __init__(self, folder: Path, workers: int = 2) -> None:
        self.lines: list[str] = []
        self.outbound = Outbound()
        path = folder / "ws.toml"
        path.write_text(WORKSPACE, encoding="utf-8")
        self.db = folder / "state" / "runs.db"
        self.journal = Journal(self.db)
        app = build_app(
            load_workspace(path),
            journal=self.journal,
            environ=ENV,
            workers=workers,
            log=self.lines.append,
            transport=httpx.MockTransport(self.outbound),
        )
        self.server = start_in_thread(app)
        self.http = httpx.Client(base_url=self.server.url)

    def post(self, body: dict[str, Any]) -> str:
        answer = self.http.post("/runbooks/provision", json=body)
        assert answer.status_code == 202, answer.text
        return str(answer.json()["run_id"])

    def close(self) -> None:
        self.http.close()
        self.server.stop()
        self.journal.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    found = Served(tmp_path)
    yield found
    found.close()


def test_a_secret_input_is_not_stored_but_the_run_uses_it(served: Served) -> None:
    """``token`` is a secret output's name, so a webhook input of that name is secret:
    blanked in the journal's run row, sent for real by the run this process executes."""
    run_id = served.post({"token": TOKEN, "note": "hello"})
    row = wait_final(served.journal, run_id)
    assert row.status == "success"
    assert served.outbound.bodies == [{"token": TOKEN, "note": "hello"}]
    assert row.inputs == {"token": REDACTED, "note": "hello"}
    assert TOKEN not in stored_text(served.db)


def test_a_known_secret_inside_a_delivery_is_blanked_where_it_is_stored(served: Served) -> None:
    """A value the redactor knows (the integration's API key), posted in another input,
    is blanked in the stored inputs as everywhere else."""
    run_id = served.post({"token": TOKEN, "note": f"key {API_KEY}"})
    row = wait_final(served.journal, run_id)
    assert row.inputs["note"] == f"key {REDACTED}"
    assert served.outbound.bodies == [{"token": TOKEN, "note": f"key {API_KEY}"}]
    text = stored_text(served.db)
    assert API_KEY not in text
    assert TOKEN not in text


def test_a_secret_input_lost_with_its_process_fails_the_run_naming_it(tmp_path: Path) -> None:
    """The real value lives only in the process that accepted the delivery. Accepted
    with no workers and run by a later server, the run fails naming the input instead
    of sending ``••••`` to the API."""
    first = Served(tmp_path, workers=0)
    run_id = first.post({"token": TOKEN})
    first.close()
    second = Served(tmp_path)
    try:
        row = wait_final(second.journal, run_id)
    finally:
        second.close()
    assert row.status == "failure"
    assert row.error is not None
    assert "'token'" in row.error
    assert "deliver it again" in row.error
    assert second.outbound.bodies == []


class Failing:
    """A stand-in executor whose runs cannot start, with a secret in the reason."""

    async def execute(self, claim: Claim) -> Any:
        raise RuntimeError(f"a bug that quotes the key {API_KEY} of run {claim.row.id}")


def test_a_run_that_cannot_start_is_journaled_and_logged_redacted(tmp_path: Path) -> None:
    path = tmp_path / "ws.toml"
    path.write_text(WORKSPACE, encoding="utf-8")
    workspace = load_workspace(path)
    journal = Journal(tmp_path / "runs.db")
    lines: list[str] = []
    app = create_app(
        workspace,
        journal=journal,
        executor=Failing(),
        secrets=Secrets(workspace.path, ENV),
        log=lines.append,
    )
    server = start_in_thread(app)
    try:
        answer = httpx.post(f"{server.url}/runbooks/provision", json={"token": "t"})
        row = wait_final(journal, answer.json()["run_id"])
    finally:
        server.stop()
        journal.close()
    assert row.error is not None
    assert row.error.startswith("could not run: RuntimeError: a bug that quotes the key ")
    assert API_KEY not in row.error
    assert REDACTED in row.error
    said = "\n".join(lines)
    assert "could not run" in said
    assert API_KEY not in said
