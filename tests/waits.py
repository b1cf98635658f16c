"""Waiting in TUI tests: for a condition, with a deadline, never for a fixed time.

A fixed ``pilot.pause(0.5)`` is either too short on a loaded machine (a flaky test) or
wasted time on a quiet one. ``until`` lets the app work in short slices until the condition
holds; the deadline only turns a hang into a failure that says what never happened.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

DEADLINE = 30.0
"""Seconds before a wait fails: far above any real wait, so only a hang reaches it."""


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
