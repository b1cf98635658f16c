"""Retries never duplicate side effects (item 8), Retry-After is read strictly, and a
trickling server fails at the step's timeout through the engine (item 6)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from runbench.core.engine import Engine, retry_after
from runbench.core.http import Exchange, ResponseRecord
from servers import local_server
from test_engine_support import Api, engine, workspace

RUNBOOK = """
[runbooks.r]
start = "call"
[runbooks.r.steps.call]
kind = "method"
method = "{method}"
args = {{ text = "hi", code = 503 }}
retry = {{ attempts = 3, delay = 0.1{extra} }}
on_success = "done"
on_failure = "failed"
[runbooks.r.steps.done]
kind = "end"
[runbooks.r.steps.failed]
kind = "end"
result = "failure"
"""


def runbook(method: str, extra: str = "") -> str:
    return RUNBOOK.format(method=method, extra=extra)


def busy() -> httpx.Response:
    return httpx.Response(503, json={"busy": True})


async def test_a_post_that_reached_the_server_is_not_repeated(tmp_path: Path) -> None:
    api = Api()
    api.script("/notes", busy(), httpx.Response(201, json={"id": 1}))
    result = await engine(workspace(tmp_path, runbook("api.post_note")), api).run("r")
    assert api.paths() == ["/notes"]  # once: a second POST could create a second note
    assert result.message == ""
    assert "not retried: the POST may have reached the server" in (result.steps[0].error or "")


@pytest.mark.parametrize(
    "failure",
    [busy(), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("server hung up")],
    ids=["503", "read timeout", "connection lost"],
)
async def test_an_idempotent_post_is_retried(tmp_path: Path, failure: object) -> None:
    api = Api()
    api.script("/notes", failure, httpx.Response(201, json={"id": 1}))  # type: ignore[arg-type]
    ws = workspace(tmp_path, runbook("api.post_note", ", idempotent = true"))
    result = await engine(ws, api).run("r")
    assert api.paths() == ["/notes", "/notes"]
    assert result.ok


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("no answer")],
    ids=["refused", "connect timeout"],
)
async def test_a_post_that_never_left_is_retried(tmp_path: Path, failure: Exception) -> None:
    api = Api()
    api.script("/notes", failure, httpx.Response(201, json={"id": 1}))
    result = await engine(workspace(tmp_path, runbook("api.post_note")), api).run("r")
    assert api.paths() == ["/notes", "/notes"]
    assert result.ok


async def test_a_get_is_retried_after_an_answer(tmp_path: Path) -> None:
    api = Api()
    api.script("/status/503", busy(), httpx.Response(200, json={}))
    result = await engine(workspace(tmp_path, runbook("api.status")), api).run("r")
    assert api.paths() == ["/status/503", "/status/503"]
    assert result.ok


# -- Retry-After ----------------------------------------------------------------------------------
def answered(retry_after_value: str) -> Exchange:
    headers = (("Retry-After", retry_after_value),)
    return Exchange(None, ResponseRecord(503, "", headers, "", 0, 0.0), {}, {}, None, None, 0.0)


@pytest.mark.parametrize(
    "value",
    ["²", "١٢", "１２", "1e3", "-5", "99999999999999999999", "Mon, 99 Foo 2024 99:99:99 GMT", ""],
)
def test_retry_after_is_read_strictly(value: str) -> None:
    assert retry_after(answered(value), 0.0) is None


def test_retry_after_seconds_and_dates() -> None:
    assert retry_after(answered("7"), 0.0) == 7.0
    assert retry_after(answered("Thu, 01 Jan 1970 00:00:30 GMT"), 10.0) == 20.0


# -- a trickling server, through the engine -------------------------------------------------------
async def test_a_trickling_server_fails_the_step_at_its_timeout(tmp_path: Path) -> None:
    with local_server() as (base, _):
        ws = workspace(
            tmp_path,
            f"""
            [integrations.slow]
            base_url = "{base}"
            read_timeout = 10
            [integrations.slow.methods.drip]
            path = "/drip"
            [runbooks.r]
            start = "call"
            [runbooks.r.steps.call]
            kind = "method"
            method = "slow.drip"
            timeout = 0.5
            on_success = "done"
            on_failure = "failed"
            [runbooks.r.steps.done]
            kind = "end"
            [runbooks.r.steps.failed]
            kind = "end"
            result = "failure"
            message = "gave up"
            """,
        )
        result = await asyncio.wait_for(Engine(ws, environ={}).run("r"), 60)
    assert result.message == "gave up"
    assert "timed out after 0.5 s" in (result.steps[0].error or "")
