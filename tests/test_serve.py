"""`runbench serve` against a real uvicorn server on 127.0.0.1 (port 0).

Outbound HTTP of the runbooks goes to an httpx.MockTransport that records what it got.
Runs are checked in the journal: that is what the endpoint promises (queued before 202,
then executed by the workers).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runbench.cli.main import main as cli_main
from runbench.core.engine import Journal, RunRow
from runbench.core.workspace import load_workspace
from runbench.serve import build_app, start_in_thread

T0 = 1_700_000_000.0
ENV = {"HOOK_PW": "pw-from-env", "NEW_SECRET": "new-secret"}
ALGOS = [(a, e) for a in ("sha1", "sha256", "sha512") for e in ("hex", "base64")]
FINAL = ("success", "failure")

BASE = """
name = "serve tests"
[variables]
svc = "http://svc.test"

[integrations.svc]
base_url = "<<svc>>"
[integrations.svc.methods.note]
verb = "POST"
path = "/notes"
body_type = "json"
body = \'\'\'{"note": "<<note!>>", "n": <<n>>}\'\'\'

[runbooks.open]
start = "post"
public = true
[runbooks.open.inputs]
n = { type = "int" }
flag = { type = "bool", default = false }
tags = { type = "array", default = [] }
who = { type = "string", default = "nobody", from = "payload^user^name!" }
[runbooks.open.steps.post]
kind = "method"
method = "svc.note"
args = { note = "<<who!>>", n = "<<n>>" }
on_success = "done"
on_failure = "failed"
[runbooks.open.steps.done]
kind = "end"
message = "n=<<n>> flag=<<flag>> tags=<<tags>> who=<<who!>>"
[runbooks.open.steps.failed]
kind = "end"
result = "failure"

[runbooks.basic]
start = "end"
public = true
endpoint = { auth = "basic", username = "ops", password = { env = "HOOK_PW" } }
[runbooks.basic.steps.end]
kind = "end"

[runbooks.stamped]
start = "end"
public = true
endpoint = { auth = "signature", secret = "stamp-secret", timestamp_header = "X-Timestamp" }
[runbooks.stamped.steps.end]
kind = "end"

[runbooks.halo]
start = "end"
public = true
endpoint = { halo_webhook = true }
[runbooks.halo.inputs]
ticket_id = { type = "int", from = "ticket^id" }
[runbooks.halo.steps.end]
kind = "end"
message = "ticket=<<ticket^id>> summary=<<ticket^summary!>> note=<<action^note!>> id=<<ticket_id>>"

[runbooks.tiny]
start = "end"
public = true
endpoint = { max_body = 64 }
[runbooks.tiny.steps.end]
kind = "end"

[runbooks.private]
start = "end"
[runbooks.private.steps.end]
kind = "end"
"""


def signed_runbooks() -> str:
    parts = []
    for algorithm, encoding in ALGOS:
        prefix = f"{algorithm}=" if encoding == "hex" else ""
        parts.append(f'''
[runbooks.sig_{algorithm}_{encoding}]
start = "end"
public = true
[runbooks.sig_{algorithm}_{encoding}.endpoint]
auth = "signature"
secrets = ["old-secret", {{ env = "NEW_SECRET" }}]
header = "X-Hub-Signature"
algorithm = "{algorithm}"
encoding = "{encoding}"
prefix = "{prefix}"
[runbooks.sig_{algorithm}_{encoding}.steps.end]
kind = "end"
''')
    return "".join(parts)


def sign(secret: str, body: bytes, algorithm: str = "sha256", encoding: str = "hex") -> str:
    digest = hmac.new(secret.encode(), body, getattr(hashlib, algorithm)).digest()
    return digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


class Outbound:
    """The runbooks' outbound HTTP: records each request, answers 201."""

    def __init__(self) -> None:
        self.bodies: list[Any] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content))
        return httpx.Response(201, json={"id": len(self.bodies)})


def write_workspace(folder: Path) -> Path:
    path = folder / "ws.toml"
    path.write_text(BASE + signed_runbooks(), encoding="utf-8")
    return path


def wait_final(journal: Journal, run_id: str, timeout: float = 15.0) -> RunRow:
    deadline = time.monotonic() + timeout
    while True:
        row = journal.run(run_id)
        if row is not None and row.status in FINAL:
            return row
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} did not finish: {row}")
        time.sleep(0.01)


class Served:
    def __init__(self, folder: Path, *, workers: int = 2, queue_size: int = 1000) -> None:
        self.clock = Clock()
        self.lines: list[str] = []
        self.outbound = Outbound()
        self.workspace = load_workspace(write_workspace(folder))
        self.journal = Journal(folder / "state" / "runs.db")
        app = build_app(
            self.workspace,
            journal=self.journal,
            environ=ENV,
            workers=workers,
            queue_size=queue_size,
            clock=self.clock,
            log=self.lines.append,
            transport=httpx.MockTransport(self.outbound),
        )
        self.app = app
        self.server = start_in_thread(app)
        self.http = httpx.Client(base_url=self.server.url)

    def post(
        self, runbook: str, body: bytes | dict[str, Any] | None = None, **headers: str
    ) -> httpx.Response:
        data = json.dumps(body).encode() if isinstance(body, dict) else (body or b"")
        if isinstance(body, dict):
            headers.setdefault("Content-Type", "application/json")
        return self.http.post(
            f"/runbooks/{runbook}",
            content=data,
            headers={k.replace("_", "-"): v for k, v in headers.items()},
        )

    def close(self) -> None:
        self.http.close()
        self.server.stop()
        self.journal.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    found = Served(tmp_path_factory.mktemp("serve"))
    yield found
    found.close()


# -- 202 and the run ------------------------------------------------------------------
def test_json_post_queues_then_runs_with_typed_inputs(served: Served) -> None:
    resp = served.post(
        "open",
        {"n": "42", "flag": "true", "tags": '["a"]', "user": {"name": "Ada"}, "undeclared": 1},
    )
    assert resp.status_code == 202
    run_id = resp.json()["run_id"]
    assert set(resp.json()) == {"run_id"}
    row = wait_final(served.journal, run_id)
    assert row.status == "success"
    assert row.trigger == "serve"
    assert row.inputs == {"n": 42, "flag": True, "tags": ["a"], "who": "Ada"}
    assert row.message == 'n=42 flag=true tags=["a"] who=Ada'
    assert {"note": "Ada", "n": 42} in served.outbound.bodies


def test_form_encoded_and_halo_form_collection(served: Served) -> None:
    form = served.post("open", b"n=7&flag=no", Content_Type="application/x-www-form-urlencoded")
    assert form.status_code == 202
    assert wait_final(served.journal, form.json()["run_id"]).inputs["n"] == 7
    halo = served.post("open", {"formCollection": [{"Key": "n", "Value": "8"}]})
    assert halo.status_code == 202
    row = wait_final(served.journal, halo.json()["run_id"])
    assert row.inputs == {"n": 8, "flag": False, "tags": [], "who": "nobody"}


def test_halo_webhook_sets_ticket_and_action(served: Served) -> None:
    nested = served.post(
        "halo", {"ticket": {"id": 12, "summary": "Printer"}, "action": {"note": "on fire"}}
    )
    assert nested.status_code == 202
    row = wait_final(served.journal, nested.json()["run_id"])
    assert row.status == "success"
    assert row.message == "ticket=12 summary=Printer note=on fire id=12"
    assert row.context["ticket"]["summary"] == "Printer"
    flat = served.post("halo", {"id": 5, "summary": "Top"})
    row = wait_final(served.journal, flat.json()["run_id"])
    assert row.context == {"ticket": {"id": 5, "summary": "Top"}, "action": {}}
    assert row.inputs == {"ticket_id": 5}


# -- 4xx ------------------------------------------------------------------------------
def test_unknown_and_private_runbooks_look_the_same(served: Served) -> None:
    private = served.post("private", {})
    unknown = served.post("nope", {})
    elsewhere = served.http.post("/elsewhere")
    for resp in (private, unknown, elsewhere):
        assert resp.status_code == 404
        assert resp.content == unknown.content == b'{"error":"not found"}'


def test_other_methods_are_405(served: Served) -> None:
    for method in ("GET", "PUT", "DELETE", "PATCH"):
        resp = served.http.request(method, "/runbooks/open")
        assert resp.status_code == 405
        assert resp.headers["allow"] == "POST"


def test_malformed_json_is_400(served: Served) -> None:
    resp = served.post("open", b'{"n": ', Content_Type="application/json")
    assert resp.status_code == 400
    assert served.post("open", b"[1]", Content_Type="application/json").status_code == 400


def test_unsupported_content_type_is_415(served: Served) -> None:
    assert served.post("open", b"n=1", Content_Type="text/plain").status_code == 415
    assert served.post("open", b'{"n": 1}').status_code == 415  # no Content-Type at all


@pytest.mark.parametrize(
    ("payload", "name"),
    [
        ({}, "n"),
        ({"n": "forty"}, "n"),
        ({"n": 1, "flag": "perhaps"}, "flag"),
        ({"n": 1, "tags": "{not json"}, "tags"),
        ({"n": 2.5}, "n"),
    ],
)
def test_bad_inputs_are_422_naming_the_input(
    served: Served,
    payload: dict[str, Any],
    name: str,
) -> None:
    resp = served.post("open", payload)
    assert resp.status_code == 422
    body = resp.json()
    assert name in body["inputs"]
    assert f"'{name}'" in body["error"]


def test_body_over_max_body_is_413(served: Served) -> None:
    assert (
        served.post(
            "tiny", b'{"a": "' + b"x" * 100 + b'"}', Content_Type="application/json"
        ).status_code
        == 413
    )
    assert served.post("tiny", {"a": 1}).status_code == 202

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while reading
        yield b'{"a": "'
        yield b"x" * 100
        yield b'"}'

    resp = served.http.post(
        "/runbooks/tiny", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in resp.request.headers
    assert resp.status_code == 413


# -- auth -----------------------------------------------------------------------------
def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_basic_auth(served: Served) -> None:
    ok = served.post("basic", {}, Authorization=basic("ops", "pw-from-env"))
    assert ok.status_code == 202
    refusals = [
        served.post("basic", {}),
        served.post("basic", {}, Authorization=basic("ops", "x")),
        served.post("basic", {}, Authorization=basic("root", "pw-from-env")),
    ]
    for resp in refusals:
        assert resp.status_code == 401
        assert resp.headers["www-authenticate"] == 'Basic realm="runbench"'
        assert resp.content == refusals[0].content


@pytest.mark.parametrize(("algorithm", "encoding"), ALGOS)
def test_signature_algorithms_encodings_and_rotation(
    served: Served,
    algorithm: str,
    encoding: str,
) -> None:
    runbook = f"sig_{algorithm}_{encoding}"
    prefix = f"{algorithm}=" if encoding == "hex" else ""
    body = json.dumps({"hello": algorithm}).encode()

    def post(secret: str, data: bytes = body, pre: str = prefix) -> httpx.Response:
        return served.post(
            runbook,
            data,
            Content_Type="application/json",
            X_Hub_Signature=pre + sign(secret, body, algorithm, encoding),
        )

    for secret in ("old-secret", "new-secret"):  # both active during rotation
        resp = post(secret)
        assert resp.status_code == 202
        assert wait_final(served.journal, resp.json()["run_id"]).status == "success"
    bad = [post("retired-secret"), post("new-secret", body + b" "), served.post(runbook, body)]
    if prefix:
        bad.append(post("new-secret", pre=""))
    for resp in bad:
        assert resp.status_code == 401
        assert resp.content == bad[0].content == b'{"error":"unauthorized"}'


def test_auth_is_checked_before_the_payload(served: Served) -> None:
    resp = served.post("sig_sha256_hex", b"{broken", Content_Type="application/json")
    assert resp.status_code == 401


def test_timestamp_window_refuses_replays(served: Served) -> None:
    body = b'{"event": "x"}'

    def post(ts: float) -> httpx.Response:
        stamp = str(int(ts))
        return served.post(
            "stamped",
            body,
            Content_Type="application/json",
            X_Timestamp=stamp,
            X_Signature=sign("stamp-secret", f"{stamp}.".encode() + body),
        )

    assert post(served.clock.now - 299).status_code == 202
    assert post(served.clock.now + 299).status_code == 202
    assert post(served.clock.now - 301).status_code == 401
    assert post(served.clock.now + 301).status_code == 401
    fresh = post(served.clock.now)
    assert fresh.status_code == 202
    served.clock.now += 400  # the same delivery replayed later
    try:
        assert post(T0).status_code == 401
    finally:
        served.clock.now = T0


# -- dedupe, health, logs ---------------------------------------------------------------
def test_repeated_delivery_answers_the_first_run(served: Served) -> None:
    first = served.post("open", {"n": 1}, X_Delivery_Id="delivery-1")
    again = served.post("open", {"n": 2}, X_Delivery_Id="delivery-1")
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    rows = [r for r in served.journal.runs(10_000) if r.delivery_id == "delivery-1"]
    assert len(rows) == 1
    assert rows[0].inputs["n"] == 1
    other = served.post("open", {"n": 3}, X_Delivery_Id="delivery-2")
    assert other.json()["run_id"] != first.json()["run_id"]


def test_healthz_and_nothing_that_lists_runs(served: Served) -> None:
    resp = served.http.get("/healthz")
    assert resp.status_code == 200
    assert resp.json()["status"] == "ok"
    assert isinstance(resp.json()["queued"], int)
    for path in ("/runs", "/runbooks", "/runbooks/open/runs", "/"):
        assert served.http.get(path).status_code == 404


def test_one_log_line_per_request_without_secrets(served: Served) -> None:
    before = len(served.lines)
    resp = served.post(
        "basic", {"secret_payload": "do-not-log"}, Authorization=basic("ops", "pw-from-env")
    )
    run_id = resp.json()["run_id"]
    served.post("basic", {}, Authorization=basic("ops", "guess"))
    wait_final(served.journal, run_id)

    def posts() -> list[str]:
        """This test's lines: each is written just after its answer went out, so the line of
        an earlier test's request (the server is shared) may come after ``before``."""
        return [line for line in served.lines[before:] if line.startswith("POST /runbooks/basic ")]

    deadline = time.monotonic() + 10
    while len(posts()) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    new = posts()
    assert len(new) == 2  # one line per request
    assert new[0].startswith(f"POST /runbooks/basic 202 run={run_id} ")
    assert new[0].endswith("ms")
    assert new[1].startswith("POST /runbooks/basic 401 run=- ")
    text = "\n".join(served.lines)
    for secret in ("pw-from-env", "do-not-log", "old-secret", "new-secret", "stamp-secret"):
        assert secret not in text


# -- 503 ----------------------------------------------------------------------------------
def test_full_queue_is_503_with_retry_after(tmp_path: Path) -> None:
    served = Served(tmp_path, workers=0, queue_size=2)
    try:
        ids = [served.post("open", {"n": i}).json()["run_id"] for i in range(2)]
        full = served.post("open", {"n": 3})
        assert full.status_code == 503
        assert int(full.headers["retry-after"]) > 0
        assert served.http.get("/healthz").json() == {"status": "ok", "queued": 2}
        queued = [r for r in served.journal.runs(100) if r.status == "queued"]
        assert sorted(r.id for r in queued) == sorted(ids)
    finally:
        served.close()


def test_repeated_delivery_gets_its_run_even_when_the_queue_is_full(tmp_path: Path) -> None:
    served = Served(tmp_path, workers=0, queue_size=1)
    try:
        first = served.post("open", {"n": 1}, X_Delivery_Id="d-1")
        assert first.status_code == 202
        assert served.post("open", {"n": 2}, X_Delivery_Id="d-2").status_code == 503
        again = served.post("open", {"n": 1}, X_Delivery_Id="d-1")
        assert again.status_code == 202
        assert again.json()["run_id"] == first.json()["run_id"]
    finally:
        served.close()


# -- the command ---------------------------------------------------------------------------
def test_cli_refuses_a_workspace_without_public_runbooks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ws.toml"
    path.write_text('[runbooks.a]\nstart = "e"\n[runbooks.a.steps.e]\nkind = "end"\n')
    assert cli_main(["serve", str(path), "--port", "0"]) == 2
    assert "public" in capsys.readouterr().err


def test_banner_shows_urls_and_auth_modes(tmp_path: Path) -> None:
    import argparse

    from runbench.cli.cmd_serve import banner

    workspace = load_workspace(write_workspace(tmp_path))
    args = argparse.Namespace(workers=4, queue_size=10)
    text = banner("http://127.0.0.1:8780", workspace, args, "/x/runs.db")
    assert "POST http://127.0.0.1:8780/runbooks/open  auth: none" in text
    assert "runbooks/basic  auth: basic" in text
    assert "runbooks/sig_sha512_base64  auth: signature sha512/base64 in X-Hub-Signature" in text
    assert "timestamp X-Timestamp" in text
    assert "[Halo webhook]" in text
    assert "private" not in text
    for secret in ("old-secret", "stamp-secret", "HOOK_PW"):
        assert secret not in text
