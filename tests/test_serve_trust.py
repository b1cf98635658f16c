"""`serve` under hostile input and a failing journal (issue 14.9, 14.11, 14.16).

Every case runs a real uvicorn server on 127.0.0.1; the journal's storage is the real
SQLite file, made to fail by holding its lock from another connection or by a backend
that refuses writes the way a full disk or a read-only mount does.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runbench.core.intake import Gate, Refusal, Submission
from runbench.core.journal import Backend, Journal, SqliteBackend
from runbench.core.secrets import Secrets
from runbench.core.workspace import load_workspace
from runbench.serve import build_app, start_in_thread
from servers import closed_by_server, raw_socket
from waits import wait_for

WORKSPACE = """
name = "trust"
[variables]
svc = "http://svc.test"
[integrations.svc]
base_url = "<<svc>>"
[integrations.svc.methods.ping]
verb = "POST"
path = "/ping"

[runbooks.open]
start = "call"
public = true
[runbooks.open.inputs]
n = { type = "int", default = 0 }
[runbooks.open.steps.call]
kind = "method"
method = "svc.ping"
on_success = "done"
on_failure = "failed"
[runbooks.open.steps.done]
kind = "end"
message = "done <<n>>"
[runbooks.open.steps.failed]
kind = "end"
result = "failure"

[runbooks.signed]
start = "end"
public = true
endpoint = { auth = "signature", secret = "s3cret" }
[runbooks.signed.steps.end]
kind = "end"

[runbooks.single]
start = "call"
public = true
max_concurrent = 1
[runbooks.single.inputs]
n = { type = "int", default = 0 }
[runbooks.single.steps.call]
kind = "method"
method = "svc.ping"
on_success = "done"
on_failure = "failed"
[runbooks.single.steps.done]
kind = "end"
message = "done <<n>>"
[runbooks.single.steps.failed]
kind = "end"
result = "failure"
"""


class Outbound:
    """The runbooks' HTTP: answers 200, or holds every call while ``hold`` is set."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.hold = threading.Event()
        self.entered = threading.Event()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request.url.path)
        self.entered.set()
        while self.hold.is_set():
            await asyncio.sleep(0.01)
        return httpx.Response(200, json={"ok": True})


class Flaky:
    """A backend that fails every write while ``broken`` holds a SQLite error message."""

    def __init__(self, inner: SqliteBackend) -> None:
        self.inner = inner
        self.broken: str | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def begin(self, alone: bool = False) -> None:
        if self.broken:
            raise sqlite3.OperationalError(self.broken)
        self.inner.begin(alone)


class Server:
    def __init__(
        self,
        folder: Path,
        *,
        workers: int = 2,
        busy_timeout: float = 5.0,
        body_timeout: float = 10.0,
        header_timeout: float = 10.0,
        max_connections: int = 1000,
    ) -> None:
        path = folder / "ws.toml"
        path.write_text(WORKSPACE)
        self.db = folder / "state" / "runs.db"
        self.flaky: Flaky | None = None

        def backend() -> Backend:
            self.flaky = Flaky(SqliteBackend(self.db, busy_timeout=busy_timeout))
            return self.flaky

        self.journal = Journal(self.db, backend=backend)
        self.outbound = Outbound()
        self.lines: list[str] = []
        self.app = build_app(
            load_workspace(path),
            journal=self.journal,
            environ={},
            workers=workers,
            log=self.lines.append,
            poll=0.2,
            body_timeout=body_timeout,
            transport=httpx.MockTransport(self.outbound),
        )
        self.server = start_in_thread(
            self.app, header_timeout=header_timeout, max_connections=max_connections
        )
        self.port = int(self.server.url.rsplit(":", 1)[1])
        self.http = httpx.Client(base_url=self.server.url, timeout=30)

    def post(self, runbook: str, body: bytes, **headers: str) -> httpx.Response:
        headers.setdefault("Content-Type", "application/json")
        return self.http.post(f"/runbooks/{runbook}", content=body, headers=headers)

    def status(self, run_id: str) -> str:
        row = self.journal.run(run_id)
        return row.status if row else "missing"

    def close(self) -> None:
        self.outbound.hold.clear()
        self.http.close()
        self.server.stop()
        self.journal.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path)
    yield running
    running.close()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the tests that only post bodies and read answers (never hold or
    break it): each must leave it serving the next, which a server of its own cannot show;
    and a server's start and stop are mostly waiting (0.4 s of wall for 0.05 s of CPU)."""
    running = Server(tmp_path_factory.mktemp("shared"))
    yield running
    running.close()


# -- 14.9: bad JSON is 400 -----------------------------------------------------------------
DEEP = 100_000
BAD_JSON = {
    "an integer over 4,300 digits": b'{"n": ' + b"7" * 5000 + b"}",
    "a long integer deeper in": b'{"x": [1, ' + b"9" * 10_000 + b"]}",
    "objects nested 1,000 deep": b'{"a":' * 1000 + b"1" + b"}" * 1000,
    "arrays nested 100,000 deep": b'{"a": ' + b"[" * DEEP + b"]" * DEEP + b"}",
    "nesting just over the limit": b'{"a": ' + b"[" * 64 + b"]" * 64 + b"}",
    "not UTF-8": b'{"n": "\xff\xfe"}',
    "truncated": b'{"n": ',
    "a bare string": b'"text"',
    "NaN": b'{"n": NaN}',
    "Infinity": b'{"n": Infinity}',
    "-Infinity deeper in": b'{"x": [1, -Infinity]}',
    "a float that overflows to infinity": b'{"n": 1e999999}',
    "duplicate keys": b'{"n": 1, "n": 2}',
    "duplicate keys deeper in": b'{"n": 1, "x": {"a": 1, "a": 2}}',
    "a UTF-8 byte order mark": b'\xef\xbb\xbf{"n": 1}',
    "UTF-16 with a BOM": '{"n": 1}'.encode("utf-16"),
    "UTF-16 without a BOM": '{"n": 1}'.encode("utf-16-le"),
    "a lone surrogate": b'{"n": 1, "x": "\\ud800"}',
}


@pytest.mark.parametrize("body", list(BAD_JSON.values()), ids=list(BAD_JSON))
def test_bad_json_is_400_and_the_server_goes_on(shared_server: Server, body: bytes) -> None:
    resp = shared_server.post("open", body)
    assert resp.status_code == 400, resp.text
    assert shared_server.post("open", b'{"n": 1}').status_code == 202


def test_deep_but_allowed_json_is_accepted(shared_server: Server) -> None:
    body = b'{"n": 2, "a": ' + b"[" * 60 + b"]" * 60 + b"}"
    resp = shared_server.post("open", body)
    assert resp.status_code == 202
    wait_for(lambda: shared_server.status(resp.json()["run_id"]) == "success")


@settings(max_examples=300, deadline=None)
@given(
    body=st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300).map(str.encode),
        st.recursive(
            st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text()),
            lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
            max_leaves=30,
        ).map(lambda v: json.dumps({"n": v}).encode()),
    ),
    kind=st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/x"]),
)
def test_any_body_is_admitted_or_refused_never_raises(body: bytes, kind: str) -> None:
    workspace = _workspace()
    gate = Gate(workspace.runbooks["open"], Secrets(workspace.path, {}))
    found = gate.admit(body, kind)
    assert isinstance(found, Submission) or (isinstance(found, Refusal) and found.status < 500)


_CACHE: dict[str, Any] = {}


def _workspace() -> Any:
    if "ws" not in _CACHE:
        import tempfile

        folder = Path(tempfile.mkdtemp())
        (folder / "ws.toml").write_text(WORKSPACE)
        _CACHE["ws"] = load_workspace(folder / "ws.toml")
    return _CACHE["ws"]


# -- 14.11: never silently stuck ------------------------------------------------------------
def break_journal(server: Server, how: str) -> Callable[[], None]:
    """Make the journal unwritable ``how``; returns what mends it."""
    if how == "locked":
        holder = sqlite3.connect(server.db, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")

        def unlock() -> None:
            holder.execute("ROLLBACK")
            holder.close()

        return unlock
    assert server.flaky is not None
    server.flaky.broken = {
        "full": "database or disk is full",
        "read-only": "attempt to write a readonly database",
    }[how]

    def mend() -> None:
        assert server.flaky is not None
        server.flaky.broken = None

    return mend


@pytest.mark.parametrize("how", ["locked", "full", "read-only"])
def test_a_failing_journal_gives_503_then_everything_goes_on(tmp_path: Path, how: str) -> None:
    server = Server(tmp_path, busy_timeout=0.1)
    try:
        first = server.post("open", b'{"n": 1}')
        assert first.status_code == 202
        wait_for(lambda: server.status(first.json()["run_id"]) == "success")
        mend = break_journal(server, how)
        try:
            refused = server.post("open", b'{"n": 2}')
            assert refused.status_code == 503
            assert int(refused.headers["retry-after"]) > 0
            assert refused.json() == {"error": "the journal is unavailable; retry later"}
            wait_for(lambda: server.http.get("/healthz").status_code == 503)
            assert server.http.get("/healthz").json()["status"] == "unavailable"
        finally:
            mend()
        wait_for(lambda: server.http.get("/healthz").status_code == 200)
        again = server.post("open", b'{"n": 3}')
        assert again.status_code == 202
        wait_for(lambda: server.status(again.json()["run_id"]) == "success")
        assert any("journal problem" in line for line in server.lines)
        assert not any(" 500 " in line for line in server.lines)
    finally:
        server.close()


def test_a_run_cut_off_by_the_journal_is_resumed_once_it_is_back(tmp_path: Path) -> None:
    server = Server(tmp_path, workers=1)
    try:
        server.outbound.hold.set()
        resp = server.post("open", b'{"n": 5}')
        run_id = resp.json()["run_id"]
        assert server.outbound.entered.wait(10)
        mend = break_journal(server, "full")
        server.outbound.hold.clear()  # the step ends; its end cannot be written
        wait_for(lambda: server.http.get("/healthz").status_code == 503)
        mend()
        wait_for(lambda: server.status(run_id) == "success")
        steps = server.journal.steps(run_id)
        assert [s.step for s in steps][-1] == "done"
        wait_for(lambda: server.http.get("/healthz").status_code == 200)
    finally:
        server.close()


# -- 14.16: max_concurrent under serve ------------------------------------------------------
def test_waiting_runs_hold_no_worker_and_every_run_ends(server: Server) -> None:
    server.outbound.hold.set()
    ids = [server.post("single", json.dumps({"n": n}).encode()).json()["run_id"] for n in range(5)]
    others = [server.post("open", json.dumps({"n": n}).encode()).json()["run_id"] for n in range(1)]
    wait_for(lambda: len(server.outbound.calls) == 2)  # one single, one open: both workers
    pool = server.app.state.pool
    assert pool.running == 2
    assert sorted(server.status(i) for i in ids) == ["queued"] * 4 + ["running"]
    server.outbound.hold.clear()
    wait_for(lambda: all(server.status(i) == "success" for i in ids + others))
    assert len(server.outbound.calls) == 6  # each run called out once: none ran twice
    assert not any("could not run" in line for line in server.lines)


# -- 14.15: slow clients -------------------------------------------------------------------
def test_idle_and_half_sent_connections_do_not_stop_a_normal_request(tmp_path: Path) -> None:
    server = Server(tmp_path, header_timeout=1.0, max_connections=200)
    partial = b"POST /runbooks/open HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    socks = [raw_socket(server.port, partial if n % 2 else b"") for n in range(300)]
    try:
        resp = server.post("open", b'{"n": 1}')
        assert resp.status_code == 202
        assert server.http.get("/healthz").status_code == 200
        for sock in socks:  # evicted to make room, or cut off at the headers deadline
            assert closed_by_server(sock) == b""
    finally:
        for sock in socks:
            sock.close()
        server.close()


def test_a_slow_body_is_cut_off_at_its_deadline(tmp_path: Path) -> None:
    server = Server(tmp_path, body_timeout=0.5)
    head = b"POST /runbooks/open HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    sock = raw_socket(server.port, head + b"Content-Length: 100\r\n\r\n" + b'{"n": 1, "pad": "')
    try:
        answer = closed_by_server(sock)  # the rest of the body never comes
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert server.post("open", b'{"n": 2}').status_code == 202
    finally:
        sock.close()
        server.close()


def test_auth_headers_are_checked_before_the_body_is_read(tmp_path: Path) -> None:
    server = Server(tmp_path, body_timeout=60.0)
    head = b"POST /runbooks/signed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    sock = raw_socket(
        server.port, head + b"Content-Length: 1000000\r\n\r\n"
    )  # no signature, no body
    try:
        sock.settimeout(10)  # far less than the body deadline: the answer comes without it
        assert sock.recv(65536).startswith(b"HTTP/1.1 401 ")
    finally:
        sock.close()
        server.close()
