"""Waiting in tests: for a condition, with a deadline, never for a fixed time.

A fixed ``pilot.pause(0.5)`` or ``time.sleep(1)`` is either too short on a loaded machine (a
flaky test) or wasted time on a quiet one. ``until`` lets the app work in short slices until
the condition holds; ``wait_for`` does the same outside an app (a server, a thread, a
process); the deadline only turns a hang into a failure that says what never happened.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from textual import events
from textual.keys import _character_to_key
from textual.pilot import Pilot

DEADLINE = 30.0
"""Seconds before a wait fails: far above any real wait, so only a hang reaches it."""


def wait_for(
    check: Callable[[], bool], what: str = "the condition", deadline: float = DEADLINE
) -> None:
    """Poll ``check()`` until it holds; fail naming ``what`` at the deadline."""
    give_up = time.monotonic() + deadline
    while not check():
        if time.monotonic() > give_up:
            raise AssertionError(f"never happened within {deadline:g} s: {what}")
        time.sleep(0.02)


async def settle(pilot: Pilot[Any]) -> None:
    """Let the app handle what is queued, finish its workers, then what they posted."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def dialog(pilot: Pilot[Any], child: str, screen: str | None = None) -> None:
    """Until the top screen (the one with id ``screen``, if given) has ``child``: a pushed
    dialog composes its widgets a moment after the push."""
    app = pilot.app

    def composed() -> bool:
        return (screen is None or app.screen.id == screen) and bool(app.screen.query(child))

    await until(pilot, composed, f"{child} on {screen or 'the top screen'}")
    await pilot.pause()


async def until(
    pilot: Pilot[Any], predicate: Callable[[], bool], what: str, deadline: float = DEADLINE
) -> None:
    """Let the app run until ``predicate()`` holds; fail naming ``what`` at the deadline.

    A predicate that asserts (``view_of(app)`` before the run has a view) counts as not yet."""
    give_up = time.monotonic() + deadline
    while True:
        try:
            if predicate():
                return
            last = ""
        except AssertionError as exc:
            last = f" (last: {exc})"
        if time.monotonic() > give_up:
            raise AssertionError(f"never happened within {deadline:g} s: {what}{last}")
        await pilot.pause(0.01)


async def type_text(pilot: Pilot[Any], text: str, deadline: float = DEADLINE) -> None:
    """Type ``text`` as key events, then wait until the focused widget has handled them all.

    The keys take the keyboard's path (the app checks its bindings, then forwards each key to
    the focused widget), exactly as ``pilot.press(*text)`` sends them; ``pilot.press`` also
    waits for the whole process to look idle after every key (40 ms or more, up to a second
    on a loaded machine), which for a long value is most of a test's time. Here the keys go
    in at once and one marker behind them says when the last one has been handled."""
    app = pilot.app
    for character in text:
        key = _character_to_key(character) if not character.isalnum() else character
        app.post_message(events.Key(key, character))
    handled = asyncio.Event()
    # the app forwards the keys in order; a callback queued on the widget they went to, after
    # the app has forwarded the last one, runs once that widget has handled them all
    app.call_later(lambda: (app.focused or app.screen).call_later(handled.set))
    async with asyncio.timeout(deadline):
        await handled.wait()
    await pilot.pause()
