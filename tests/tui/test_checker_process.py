"""Pilot test: the expression checker against a big body (its scope in a child process)
shows exactly what it shows for a small body: a value, a syntax-error caret, a miss."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

import httpx
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Input, Static

from runbench.core.http import Exchange
from runbench.tui.app import RunbenchApp
from runbench.tui.screens.checker import PARSING, ExpressionChecker
from runbench.tui.state.response_scope import ResponseScope
from waits import settle, until

MakeApp = Callable[..., RunbenchApp]
PADDING = [{"id": i, "name": f"row {i}", "tags": ["a", "b"]} for i in range(2500)]  # ~100 KB
PATHS = (
    "response^choices[0]^text!",
    "response^choices[0^text",
    "response^choices[3]^text",
    "response^rows[7]",
    "status",
    "response^nope^deeper",
)


class LowThreshold(RunbenchApp):
    """Bodies over 10 KB get a child process (the default is 2 MiB)."""

    def scope_of(
        self, exchange: Exchange | None, *, threshold: int | None = None
    ) -> ResponseScope | None:
        del threshold  # whatever the caller asks, this app's threshold is 10 KB
        return super().scope_of(exchange, threshold=10_000)


def padded_handler(request: httpx.Request) -> httpx.Response:
    """The demo's completions answer, padded to ~100 KB."""
    prompt = json.loads(request.content)["prompt"]
    return httpx.Response(
        200,
        json={
            "id": "cmpl-1",
            "choices": [{"index": 0, "text": f"Answer to: {prompt}", "finish_reason": "stop"}],
            "rows": PADDING,
        },
    )


# ``settle`` waits for the workers that exist when it is called; a key (or a value set on the
# input) reaches the handler that starts one only after a few message hops, which a pause
# (an idle guess from CPU time) does not always cover on a loaded machine. So each step
# first waits for its own effect to begin, then settles.


async def new_answer(pilot: Pilot[Any], app: RunbenchApp, before: Exchange | None) -> Exchange:
    """Press ctrl+t and wait until the method's new answer is kept (and shown)."""
    await pilot.press("ctrl+t")
    await until(pilot, lambda: fresh(app.last_exchange(), before), "the answer kept")
    await settle(pilot)
    exchange = app.last_exchange()
    assert exchange is not None
    return exchange


async def opened_checker(pilot: Pilot[Any], app: RunbenchApp) -> ExpressionChecker:
    """Press ctrl+e and wait until the checker has evaluated its prefilled path."""
    await pilot.press("ctrl+e")
    await until(pilot, lambda: isinstance(app.screen, ExpressionChecker), "the checker open")
    checker = app.screen
    assert isinstance(checker, ExpressionChecker)
    result = checker.query_one("#checker-result", Static)
    await until(
        pilot,
        lambda: shown(result) not in ("", PARSING) and evaluated(checker, checker.initial),
        "the prefill checked",
    )
    return checker


def fresh(exchange: Exchange | None, before: Exchange | None) -> bool:
    return exchange is not None and exchange is not before


def evaluated(checker: ExpressionChecker, text: str) -> bool:
    """The checker took ``text`` and its evaluation worker is done (so what it found is
    shown: the worker waits for the result to be drawn, ``call_from_thread``)."""
    busy = [w for w in checker.app.workers if w.node is checker and not w.is_finished]
    return checker._latest == text and not busy


def shown(result: Static) -> str:
    content = result.content
    return content.plain if isinstance(content, Text) else str(content)


async def checker_texts(app: RunbenchApp) -> tuple[list[str], ResponseScope]:
    texts: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await new_answer(pilot, app, None)
        checker = await opened_checker(pilot, app)
        box = checker.query_one("#checker-input", Input)
        result = checker.query_one("#checker-result", Static)
        for text in PATHS:
            box.value = text
            await until(pilot, partial(evaluated, checker, text), f"{text} checked")
            texts.append(shown(result))
        scope = app.scope_of(app.last_exchange())
        assert isinstance(scope, ResponseScope)
        await pilot.press("escape")
    return texts, scope


async def test_big_body_checks_like_small(make_app: MakeApp) -> None:
    small, small_scope = await checker_texts(
        make_app(transport=httpx.MockTransport(padded_handler))
    )
    big, big_scope = await checker_texts(
        make_app(LowThreshold, transport=httpx.MockTransport(padded_handler))
    )
    assert not small_scope.big
    assert big_scope.big
    assert big_scope._local is None  # answered by the child, not by a fallback
    assert big_scope._child is None  # and the child was stopped when the app ended
    assert big == small
    assert big[0] == "= (str, raw)\nAnswer to: How do I reset my password?"
    assert big[1].splitlines()[1:] == ["response^choices[0^text", " " * 23 + "^"]
    assert big[1].startswith("syntax error at position 24:")
    assert big[2].startswith("no match: ")
    assert "stopped at: [3]" in big[2]
    assert json.loads(big[3].split("\n", 1)[1]) == PADDING[7]
    assert big[4] == "= (int)\n200"


async def test_a_new_test_result_stops_the_old_responses_child(make_app: MakeApp) -> None:
    app = make_app(LowThreshold, transport=httpx.MockTransport(padded_handler))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        old = await new_answer(pilot, app, None)
        await opened_checker(pilot, app)
        first = app.scope_of(old)
        assert first is not None
        assert first._child is not None
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ExpressionChecker), "checker shut")
        await new_answer(pilot, app, old)  # a newer answer: the old parsed body is not needed
        assert first._child is None
        assert app._scopes == {}
