"""Request history: `runbench test` journals every test (redacted, timed, 0600), `runbench
history` lists them, entries come back as exchanges, and bodies are compared."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from runbench.cli.main import main
from runbench.core.history import MethodTestHistory, body_diff, exchange_from_dict
from runbench.core.http import Exchange, RequestRecord, ResponseRecord
from runbench.core.secrets import REDACTED, Redactor
from servers import local_server

WORKSPACE = """\
[variables]
sandbox = "{base}"

[integrations.bearer]
base_url = "<<sandbox>>"
auth = {{ type = "bearer", token = {{ env = "RB_TOKEN" }} }}

[integrations.bearer.methods.echo]
path = "/echo"
outputs = {{ seen = "response^headers^Authorization" }}

[integrations.bearer.methods.hidden]
path = "/echo/hidden-value-42"
test_values = {{ x = 1 }}
outputs = {{ where = {{ path = "response^path", secret = true }} }}

[integrations.bearer.methods.missing]
path = "/status/404"
"""
TOKEN = "bt-Static-Token-77"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("RB_TOKEN", TOKEN)
    with local_server() as (base, _api):
        path = tmp_path / "ws.toml"
        path.write_text(WORKSPACE.format(base=base), encoding="utf-8")
        yield path


def test_every_cli_test_is_kept_redacted(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["test", str(workspace), "bearer.echo"]) == 0
    assert main(["test", str(workspace), "bearer.missing"]) == 1
    db = workspace.parent / ".runbench" / "history.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert TOKEN.encode() not in db.read_bytes()
    capsys.readouterr()
    assert main(["history", str(workspace), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(e["method"], e["status"], e["ok"]) for e in listed] == [
        ("bearer.missing", 404, False),
        ("bearer.echo", 200, True),
    ]
    assert all(e["elapsed_ms"] > 0 and e["source"] == "cli" for e in listed)
    assert main(["history", str(workspace), "bearer.echo"]) == 0
    table = capsys.readouterr().out
    assert "bearer.echo" in table
    assert "bearer.missing" not in table
    assert main(["history", str(workspace), "--show", str(listed[1]["id"])]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["request"]["headers"]["Authorization"] == f"Bearer {REDACTED}"
    assert shown["outputs"]["seen"] == f"Bearer {REDACTED}"


def test_unwritable_history_does_not_fail_the_test(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["test", str(workspace), "bearer.echo", "--state-dir", str(blocker)]) == 0
    assert "not kept in the history" in capsys.readouterr().err


def _exchange(body: str, status: int = 200) -> Exchange:
    return Exchange(
        RequestRecord("GET", "https://h.example/x?key=k", (("X-Key", "s3cret-value"),), ""),
        ResponseRecord(status, "OK", (("Content-Type", "application/json"),), body, len(body), 5.0),
        {"token": "s3cret-value"},
        {},
        None,
        None,
        7.5,
    )


def test_entries_round_trip_truncate_and_prune(tmp_path: Path) -> None:
    clock = iter(range(100, 200))
    history = MethodTestHistory(
        tmp_path / "h" / "history.db", clock=lambda: float(next(clock)), keep=3
    )
    redactor = Redactor({"s3cret-value"})
    for n in range(5):
        history.record("a.b", _exchange(json.dumps({"n": n})).to_dict(), redactor, "tui")
    entries = history.entries("a.b")
    assert [e.at for e in entries] == [104.0, 103.0, 102.0]
    back = exchange_from_dict(history.exchange(entries[0].id))
    assert back.response is not None
    assert json.loads(back.response.body) == {"n": 4}
    assert back.request is not None
    assert back.request.headers == (("X-Key", REDACTED),)
    assert back.outputs == {"token": REDACTED}
    assert back.elapsed_ms == 7.5
    assert "s3cret" not in (tmp_path / "h" / "history.db").read_bytes().decode("latin-1")
    assert history.entries("other") == []
    assert MethodTestHistory(tmp_path / "none.db").entries() == []


def test_body_diff_ignores_key_order() -> None:
    assert body_diff('{"a": 1, "b": 2}', '{"b": 2, "a": 1}') == "(no difference)"
    diff = body_diff('{"a": 1, "b": 2}', '{"a": 1, "b": 3}', old_name="#1", new_name="#2")
    assert "--- #1" in diff
    assert '-  "b": 2' in diff
    assert '+  "b": 3' in diff
    assert body_diff("x\ny", "x\nz").endswith("-y\n+z")


def test_secret_outputs_are_blanked_by_name(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["test", str(workspace), "bearer.hidden"]) == 0
    assert main(["test", str(workspace), "--all", "--json"]) == 0
    out = capsys.readouterr().out
    db = workspace.parent / ".runbench" / "history.db"
    entry = MethodTestHistory(db).entries("bearer.hidden")[0]
    assert MethodTestHistory(db).exchange(entry.id)["outputs"] == {"where": REDACTED}
    assert '"where": "/echo/hidden-value-42"' not in out
