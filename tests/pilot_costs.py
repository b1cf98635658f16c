"""Two costs Textual's test harness pays on every app that the workbench never pays, cut for
the tests (``tests/tui/conftest.py`` installs both once per worker process).

The stylesheet: each App parses its CSS (the 511 lines of ``app.tcss`` and every widget's
DEFAULT_CSS, about 30 sources) into rule sets again, ~40 ms of CPU per app, although the
text and the theme's variables are the same in every test. The rules parsed for one
(source, variables) are kept for the worker's life and handed to the next app's stylesheet,
which then matches, applies and renders them as before: nothing is drawn differently, a
stylesheet with an error still raises.

The pilot's wait: ``Pilot.press`` and ``Pilot.pause`` first wait until every widget of the
screen has handled what was queued for it, by queueing a callback on each of them (~85 on
the workbench: ~7 ms of CPU per press or pause, most of it for widgets with nothing to do).
A widget with nothing queued and nothing being handled has handled all it had, so only the
busy ones get the callback; the guarantee is Textual's, the idle widgets are not woken.
"""

from __future__ import annotations

import asyncio
from typing import Any

from textual._queue import Queue
from textual.css.model import RuleSet
from textual.css.stylesheet import Stylesheet
from textual.message_pump import MessagePump
from textual.pilot import Pilot, WaitForScreenTimeout

_parse_rules = Stylesheet._parse_rules  # Textual's, parsing for one stylesheet
_parsed: dict[tuple[object, ...], list[RuleSet]] = {}


def _shared_parse_rules(
    self: Stylesheet,
    css: str,
    read_from: tuple[str, str],
    is_default_rules: bool = False,
    tie_breaker: int = 0,
    scope: str = "",
) -> list[RuleSet]:
    key = (css, read_from, is_default_rules, tie_breaker, scope, *sorted(self._variables.items()))
    rules = _parsed.get(key)
    if rules is None:
        rules = _parse_rules(self, css, read_from, is_default_rules, tie_breaker, scope)
        _parsed[key] = rules
    return rules


async def _parking_get(self: Queue[Any]) -> Any:
    """``textual._queue.Queue.get``, marking the queue ``parked`` while its pump waits in it
    with nothing to do."""
    if not self.ready_event.is_set():
        self.parked = True  # type: ignore[attr-defined]
        try:
            await self.ready_event.wait()
        finally:
            self.parked = False  # type: ignore[attr-defined]
    value = self.values.popleft()
    if not self.values:
        self.ready_event.clear()
    return value


def _busy(pump: MessagePump) -> bool:
    """Unless ``pump`` waits for a message with none queued, it has something to handle or
    is handling one (a pump not started yet counts as busy: Textual waits for it too)."""
    queue: Queue[Any] = pump._message_queue
    parked = getattr(queue, "parked", False) and not queue.values
    return not parked or pump._pending_message is not None or bool(pump._next_callbacks)


async def _wait_for_busy_widgets(self: Pilot[Any], timeout: float = 30.0) -> bool:
    """``Pilot._wait_for_screen``, waiting only for the widgets that have something to do."""
    try:
        screen = self.app.screen
    except Exception:
        return False
    pumps = [self.app, *screen.walk_children(with_self=True)]
    done = asyncio.Event()
    count = 0

    def handled() -> None:
        nonlocal count
        count -= 1
        if count == 0:
            done.set()

    for pump in pumps:
        if _busy(pump) and pump.call_later(handled):
            count += 1
    if not count:
        return True
    waits = [
        asyncio.create_task(done.wait()),
        asyncio.create_task(self.app._exception_event.wait()),
    ]
    _, pending = await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    if len(pending) == len(waits):
        raise WaitForScreenTimeout("Timed out while waiting for widgets to process messages.")
    return count == 0


def install() -> None:
    """Once per process, before the first app starts."""
    Stylesheet._parse_rules = _shared_parse_rules  # type: ignore[method-assign]
    Queue.get = _parking_get  # type: ignore[method-assign]
    Pilot._wait_for_screen = _wait_for_busy_widgets  # type: ignore[method-assign]
