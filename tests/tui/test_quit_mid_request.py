"""Quitting while ctrl+t waits for a slow upstream: the answer that comes while the app
shuts down is shown nowhere and raises nothing. Before, the worker showed it in a response
viewer being removed with its screen (NoMatches: '#response-body'). Textual's pilot shuts
the screens down before it cancels the workers, so there the answer came in between
every time the upstream answered then; a real run cancels the workers before it closes
the screens, so a user is unlikely to have met it: the guard holds for both orders."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from runbench.tui.app import RunbenchApp
from waits import until


async def test_quitting_while_a_test_waits_for_its_answer_raises_nothing(
    make_app: Callable[..., RunbenchApp],
) -> None:
    asked = asyncio.Event()
    release = asyncio.Event()

    async def slow_upstream(_request: httpx.Request) -> httpx.Response:
        asked.set()
        await release.wait()  # answers only once the app is shutting down
        return httpx.Response(200, json={"choices": [{"index": 0, "text": "late"}]})

    app = make_app(transport=httpx.MockTransport(slow_upstream))
    shutdown = app._shutdown

    async def shutdown_releasing_the_answer() -> None:
        release.set()
        await shutdown()

    app._shutdown = shutdown_releasing_the_answer  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+t")
        await until(pilot, asked.is_set, "the request to reach the slow upstream")
    assert app.return_code in (None, 0)
