"""Retry (statuses, network errors, Retry-After, backoff+jitter), step timeouts, run guards
(max_steps, max_duration) and max_concurrent queueing."""

from __future__ import annotations

import asyncio
import email.utils
from pathlib import Path
from typing import Any

import httpx
import pytest

from runbench.core.engine import Journal, RetryScheduled, RunQueued, backoff
from runbench.core.workspace import Retry, Workspace
from test_engine_support import Api, FakeTime, engine, run_row, workspace


def retry_ws(tmp_path: Path, retry: str, method: str = "api.slow") -> Workspace:
    return workspace(
        tmp_path,
        f"""
        [runbooks.r]
        start = "call"
        [runbooks.r.steps.call]
        kind = "method"
        method = "{method}"
        retry = {retry}
        on_success = "done"
        on_failure = "bad"
        [runbooks.r.steps.done]
        kind = "end"
        [runbooks.r.steps.bad]
        kind = "end"
        result = "failure"
    """,
    )


async def test_retry_on_status_with_exponential_backoff_and_jitter(tmp_path: Path) -> None:
    ws = retry_ws(tmp_path, "{ attempts = 3, delay = 2, max_delay = 3 }")
    api = Api()
    api.script("/slow", httpx.Response(503), httpx.Response(502), httpx.Response(200, json={}))
    fake = FakeTime()
    eng = engine(ws, api, time=fake, random=lambda: 0.5)
    stream = eng.subscribe()
    result = await eng.run("r")
    assert result.status == "success"
    assert len(api.seen) == 3
    assert fake.slept == [1.5, 2.25]  # base 2 then min(4, 3); half fixed + half * 0.5
    retries = [e for e in stream.drain() if isinstance(e, RetryScheduled)]
    assert [(e.attempt, e.reason) for e in retries] == [(1, "HTTP 503"), (2, "HTTP 502")]


async def test_retry_gives_up_after_attempts_and_takes_failure_edge(tmp_path: Path) -> None:
    ws = retry_ws(tmp_path, '{ attempts = 2, backoff = "fixed", delay = 1 }')
    api = Api()
    api.script("/slow", httpx.Response(500))
    fake = FakeTime()
    result = await engine(ws, api, time=fake, random=lambda: 0.0).run("r")
    assert result.status == "failure"
    assert len(api.seen) == 2
    assert fake.slept == [0.5]
    assert "HTTP 500" in (result.steps[0].error or "")


async def test_no_retry_on_status_not_listed(tmp_path: Path) -> None:
    ws = retry_ws(tmp_path, "{ attempts = 5, on = [503] }")
    api = Api()
    api.script("/slow", httpx.Response(500))
    result = await engine(ws, api).run("r")
    assert result.status == "failure"
    assert len(api.seen) == 1


async def test_retry_on_network_error_unless_disabled(tmp_path: Path) -> None:
    ws = retry_ws(tmp_path, "{ attempts = 3 }")
    api = Api()
    api.script("/slow", httpx.ConnectError("refused"), httpx.Response(200, json={}))
    assert (await engine(ws, api).run("r")).status == "success"
    assert len(api.seen) == 2
    ws2 = retry_ws(tmp_path, "{ attempts = 3, network_errors = false }")
    api2 = Api()
    api2.script("/slow", httpx.ConnectError("refused"), httpx.Response(200, json={}))
    assert (await engine(ws2, api2).run("r")).status == "failure"
    assert len(api2.seen) == 1


async def test_retry_after_seconds_and_http_date_capped(tmp_path: Path) -> None:
    ws = retry_ws(tmp_path, "{ attempts = 4, max_delay = 40 }")
    fake = FakeTime()
    date = email.utils.formatdate(fake.now + 30, usegmt=True)
    api = Api()
    api.script(
        "/slow",
        httpx.Response(429, headers={"Retry-After": "7"}),
        httpx.Response(503, headers={"Retry-After": date}),
        httpx.Response(429, headers={"Retry-After": "3600"}),
        httpx.Response(200, json={}),
    )
    result = await engine(ws, api, time=fake).run("r")
    assert result.status == "success"
    assert fake.slept[0] == 7.0
    assert fake.slept[1] == 23.0  # the date is 30 s after start; 7 s have passed
    assert fake.slept[2] == 40.0  # capped by max_delay


def test_backoff_schedule() -> None:
    retry = Retry(attempts=5, backoff="exponential", delay=1, max_delay=5)
    assert [backoff(retry, n, lambda: 1.0) for n in (1, 2, 3, 4)] == [1, 2, 4, 5]
    assert [backoff(retry, n, lambda: 0.0) for n in (1, 2, 3)] == [0.5, 1, 2]
    fixed = Retry(backoff="fixed", delay=2)
    assert backoff(fixed, 3, lambda: 1.0) == 2


async def test_step_timeout_takes_failure_edge(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "call"
        [runbooks.r.steps.call]
        kind = "method"
        method = "api.slow"
        timeout = 0.05
        on_success = "done"
        on_failure = "bad"
        [runbooks.r.steps.done]
        kind = "end"
        [runbooks.r.steps.bad]
        kind = "end"
        result = "failure"
        message = "too slow"
    """,
    )
    api = Api(slow_seconds=30)
    result = await engine(ws, api).run("r")
    assert result.message == "too slow"
    assert "timed out after 0.05 s" in (result.steps[0].error or "")


async def test_max_steps_guard(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "spin"
        max_steps = 5
        [runbooks.r.steps.spin]
        kind = "condition"
        on_true = "spin"
        on_false = "spin"
    """,
    )
    result = await engine(ws).run("r")
    assert result.status == "failure"
    assert len(result.steps) == 5
    assert "max_steps = 5" in (result.error or "")


async def test_max_duration_guard_between_steps(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "nap"
        max_duration = 15
        [runbooks.r.steps.nap]
        kind = "sleep"
        seconds = 10
        next = "nap"
    """,
    )
    fake = FakeTime()
    result = await engine(ws, time=fake).run("r")
    assert result.status == "failure"
    assert "max_duration = 15" in (result.error or "")
    assert len(result.steps) == 2


async def test_max_duration_guard_during_a_step(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "call"
        max_duration = 0.05
        [runbooks.r.steps.call]
        kind = "method"
        method = "api.slow"
        on_success = "done"
        on_failure = "done"
        [runbooks.r.steps.done]
        kind = "end"
    """,
    )
    result = await engine(ws, Api(slow_seconds=30)).run("r")
    assert result.status == "failure"
    assert "max_duration = 0.05 s reached during the step" in (result.error or "")


async def test_max_concurrent_queues_extra_runs(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "call"
        max_concurrent = 1
        [runbooks.r.steps.call]
        kind = "method"
        method = "api.slow"
        on_success = "done"
        [runbooks.r.steps.done]
        kind = "end"
    """,
    )
    api = Api(gate=asyncio.Event())
    journal = Journal(tmp_path / "runs.db")
    eng = engine(ws, api, journal=journal)
    stream = eng.subscribe()
    handles = [eng.start("r") for _ in range(3)]
    while len(api.seen) < 1:
        await asyncio.sleep(0)
    for _ in range(20):
        await asyncio.sleep(0)
    assert len(api.seen) == 1  # the other two wait for the semaphore
    queued = [e.run_id for e in stream.drain() if isinstance(e, RunQueued)]
    assert queued == [handles[1].run_id, handles[2].run_id]
    assert [run_row(journal, h.run_id).status for h in handles] == ["running", "queued", "queued"]
    api.release()
    results = await asyncio.gather(*(h.result() for h in handles))
    assert [r.status for r in results] == ["success"] * 3
    assert [run_row(journal, h.run_id).status for h in handles] == ["success"] * 3


async def test_an_http_step_well_inside_max_duration_has_no_timer_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its call's total deadline (total_timeout, 120 s) ends it in time: the only timer
    is the call's. A retried step (its back-off is outside any call) and a run whose
    max_duration is closer than total_timeout still get the step's timer. Timers are
    counted where the event loop makes them (seconds from now, rounded)."""
    made: list[float | None] = []
    loop = asyncio.get_running_loop()
    real = loop.call_at

    def counting(when: float, *args: Any, **kwargs: Any) -> asyncio.TimerHandle:
        made.append(float(round(when - loop.time())))
        return real(when, *args, **kwargs)

    monkeypatch.setattr(loop, "call_at", counting)
    api = Api()
    result = await engine(retry_ws(tmp_path, "{ attempts = 1 }", "api.list"), api).run("r")
    assert result.status == "success", result.error
    step_timers = [delay for delay in made if delay != 120.0]
    assert len(step_timers) == 1  # retried: the step keeps its timer
    made.clear()
    plain = workspace(tmp_path, PLAIN)
    result = await engine(plain, api).run("r")
    assert result.status == "success", result.error
    assert made == [120.0]
    made.clear()
    close = workspace(
        tmp_path, PLAIN.replace('start = "call"', 'start = "call"\nmax_duration = 60')
    )
    result = await engine(close, api).run("r")
    assert result.status == "success", result.error
    assert len(made) == 2
    assert 120.0 in made  # the call's, and the step's: at most the 60 s left
    assert [delay for delay in made if delay is not None and delay <= 60.0] != []


PLAIN = """
[runbooks.r]
start = "call"
[runbooks.r.steps.call]
kind = "method"
method = "api.list"
on_success = "done"
[runbooks.r.steps.done]
kind = "end"
"""
