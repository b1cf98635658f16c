"""Quitting while ctrl+t waits for a slow upstream: the answer that comes while the app
shuts down is shown nowhere and raises nothing. Before, the worker showed it in a response
viewer being removed with its screen (NoMatches: '#response-body'). Textual's pilot shuts
the screens down before it cancels the workers, so there the answer came in between
every time the upstream answered then; a real run cancels the workers before it closes
the screens, so a user is unlikely to have met it: the guard holds for both orders. The
answer is held until the shutdown has begun and the screens wait until the worker is past
``call_method``: otherwise a loaded machine cancels the worker first and nothing is checked."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from textual.worker import Worker, WorkerState

import runbench.core.http
from runbench.tui.app import RunbenchApp
from runbench.tui.widgets.method_editor import MethodEditor
from runbench.tui.widgets.response_viewer import ResponseViewer
from waits import DEADLINE, until


async def test_quitting_while_a_test_waits_for_its_answer_raises_nothing(
    make_app: Callable[..., RunbenchApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = asyncio.Event()
    release = asyncio.Event()
    answered: list[bool] = []
    shown: list[str] = []

    async def slow_upstream(_request: httpx.Request) -> httpx.Response:
        asked.set()
        await release.wait()  # answers only once the app is shutting down
        answered.append(True)
        return httpx.Response(200, json={"choices": [{"index": 0, "text": "late"}]})

    returned = asyncio.Event()
    real_call_method = runbench.core.http.call_method

    async def call_method(*args: Any, **kwargs: Any) -> Any:
        called = await real_call_method(*args, **kwargs)
        returned.set()
        return called

    monkeypatch.setattr(runbench.core.http, "call_method", call_method)
    app = make_app(transport=httpx.MockTransport(slow_upstream))
    close_all = app._close_all

    async def close_all_after_the_answer() -> None:
        # _shutdown has set is_running False; the answer comes before the screens close
        # (a real run's order is checked the same way: is_running is False in both)
        release.set()
        async with asyncio.timeout(DEADLINE):
            await returned.wait()
        await close_all()

    app._close_all = close_all_after_the_answer  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+t")
        await until(pilot, asked.is_set, "the request to reach the slow upstream")
        # anything shown from now on is the late answer: the bug (NoMatches: '#response-body')
        monkeypatch.setattr(ResponseViewer, "show", lambda *_a: shown.append("response"))
        monkeypatch.setattr(MethodEditor, "show_outputs", lambda *_a: shown.append("outputs"))
        (worker,) = [w for w in app.workers if w.group == "test"]
    assert answered, "the upstream never answered: the test checked nothing"
    assert_came_back_with_the_late_answer(worker)
    assert shown == [], "the late answer was shown while the app shut down"
    assert app._exception is None, app._exception
    assert app.return_code in (None, 0)


def assert_came_back_with_the_late_answer(worker: Worker[object]) -> None:
    """The worker got past ``call_method`` with the answer (not cancelled while it waited,
    which would leave the guard after it untested) and ended without an error."""
    assert worker.state is WorkerState.SUCCESS, (worker.state, worker.error)
    exchange = worker.result
    response = getattr(exchange, "response", None)
    assert response is not None, exchange
    assert "late" in response.body, response
