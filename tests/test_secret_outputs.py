"""Outputs declared ``secret = true`` (item 1): usable in later templates, never stored or
shown; `check` validates the flag; a resumed run cannot get one back from the journal."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from runbench.cli.main import main
from runbench.core.engine import OutputsSet, StepFinished, VariableChanged
from runbench.core.journal import Journal
from runbench.core.secrets import REDACTED
from test_engine_support import Api, engine, workspace

TOKEN = "sess-9f2c-Very-Private"

FLOW = """
[integrations.api.methods.login]
verb = "POST"
path = "/login"
outputs = { token = { path = "response^token", secret = true } }

[integrations.api.methods.me]
path = "/me"
headers = { "X-Custom" = "<<token>>" }
outputs = { Who = "response^who" }

[runbooks.r]
start = "login"
[runbooks.r.steps.login]
kind = "method"
method = "api.login"
on_success = "me"
[runbooks.r.steps.me]
kind = "method"
method = "api.me"
on_success = "done"
on_failure = "failed"
[runbooks.r.steps.done]
kind = "end"
message = "hello <<Who>> (<<token>>)"
[runbooks.r.steps.failed]
kind = "end"
result = "failure"
"""


def api() -> Api:
    scripted = Api()
    scripted.script("/login", httpx.Response(200, json={"token": TOKEN}))
    scripted.script("/me", httpx.Response(200, json={"who": "ada", "echo": TOKEN}))
    return scripted


async def test_a_secret_output_is_used_but_never_stored_or_shown(tmp_path: Path) -> None:
    ws = workspace(tmp_path, FLOW)
    calls = api()
    journal = Journal(tmp_path / "runs.db")
    eng = engine(ws, calls, journal=journal)
    stream = eng.subscribe()
    result = await eng.run("r")
    assert result.ok
    assert calls.seen[-1].headers["X-Custom"] == TOKEN
    assert result.variables["token"] == TOKEN  # the caller's own copy is real
    assert TOKEN not in json.dumps(result.to_dict())
    assert TOKEN not in result.message
    events = stream.drain()
    shown = [e for e in events if isinstance(e, (OutputsSet, VariableChanged, StepFinished))]
    assert shown
    assert all(TOKEN not in repr(e) for e in events)
    journal.sync()
    stored = json.dumps(
        [[s.variables_before, s.outputs, s.error] for s in journal.steps(result.run_id)]
        + [[x.request, x.response] for x in journal.exchanges(result.run_id)]
        + [journal.find_run(result.run_id).message],
        default=str,
        ensure_ascii=False,
    )
    assert TOKEN not in stored
    assert REDACTED in stored
    journal.close()


async def test_a_rerun_cannot_get_a_secret_back_and_says_so(tmp_path: Path) -> None:
    ws = workspace(tmp_path, FLOW)
    journal = Journal(tmp_path / "runs.db")
    first = await engine(ws, api(), journal=journal).run("r")
    journal.sync()
    calls = api()
    handle = engine(ws, calls, journal=journal).rerun_from(first.run_id, "me")
    result = await handle.result()
    assert handle.withheld == ("token",)
    assert all(REDACTED not in request.headers.get("X-Custom", "") for request in calls.seen)
    assert not result.ok
    assert "token" in (result.steps[0].error or "")
    journal.close()


@pytest.mark.parametrize("flag", ['"yes"', "1"])
def test_check_reports_a_bad_secret_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str
) -> None:
    path = tmp_path / "ws.toml"
    path.write_text(
        '[integrations.a]\nbase_url = "http://x"\n[integrations.a.methods.m]\n'
        f'outputs = {{ t = {{ path = "response^t", secret = {flag} }} }}\n',
        encoding="utf-8",
    )
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:4: error:" in out
    assert "secret: must be true or false" in out


@pytest.mark.parametrize("before", [45, 50, 53])  # 14, 9 and 6 characters of it shown
async def test_a_secret_cut_short_in_an_error_message_is_blanked(
    tmp_path: Path, before: int
) -> None:
    """The foreach error quotes its items cut to 60 characters: a secret cut there leaves a
    prefix no pattern of the whole value matches, unless the cut is marked."""
    flow = (
        FLOW.replace('on_success = "me"', 'on_success = "each"')
        + f"""
[runbooks.r.steps.each]
kind = "foreach"
items = "{"x" * before}<<token>> is not JSON"
on_item = "done"
"""
    )
    result = await engine(workspace(tmp_path, flow), api()).run("r")
    assert result.status == "failure"
    assert "not a JSON array" in (result.error or "")
    shown = json.dumps(result.to_dict(), ensure_ascii=False)
    assert TOKEN[: 59 - before] not in shown
    assert REDACTED in (result.error or "")
