"""Three costs Textual's test harness pays on every app that the workbench never pays (or
pays for a person who looks), cut for the tests (``tests/tui/conftest.py`` installs them
once per worker process).

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

The pilot's idle wait: after every key (twice) and every ``pause()``, Textual's
``wait_for_idle`` sleeps in 20 ms slices until one slice cost the process under 1 ms of CPU,
so each key cost at least 40 ms of sleep: the long stories spent two thirds of their wall
time asleep, and the suite's first half left a core idle. Here a slice is 3 ms, and it counts
as idle only when the screen has nothing left either: no widget with a message queued or
being handled, no layout, repaint or after-refresh callback pending (the 60 fps update
timer's work, which a 20 ms slice used to cover), no animation. The CPU test stays (a thread
still working keeps the wait going; the bar is a quarter of the slice, ``IDLE_CPU_SHARE``),
and so does the 1 s cap; an app that is ending (its shutdown kept the CPU busy, so each pause
after the quit key waited the whole second) is waited for by ``run_test`` itself.

The frames: Textual composes a frame of the top screen after every refresh (each key, each
layout) and its headless driver throws it away: 3,175 frames, 23 s of the TUI tests' ~85 s
of CPU, most of which no test read (tests read widgets; screenshots compose their own). Here a
frame is drawn when a test can look: at every ``pause()`` without a delay (``settle``'s;
``until`` polls with short delays and draws nothing) and as the ``run_test`` body ends, with every region that changed since the last
one (Textual's partial update, the same code). A widget that cannot draw still fails the
test, at the next pause or at the end, with its own traceback; what is not drawn is a state
the test passed through between two pauses and never looked at. Measured on tests/tui:
898 frames, 12 s. ``FRAMES_ON_DEMAND = False`` (monkeypatched, as in test_pilot_costs)
draws every frame as Textual does, for a test that counts them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from textual import _wait as textual_wait
from textual import app as textual_app
from textual import pilot as textual_pilot
from textual._context import active_app
from textual._queue import Queue
from textual.app import App
from textual.css.model import RuleSet
from textual.css.stylesheet import Stylesheet
from textual.message_pump import MessagePump
from textual.pilot import Pilot, WaitForScreenTimeout
from textual.screen import Screen

FRAMES_ON_DEMAND = True
"""Draw a headless top screen's frames only when a test can look (see the docstring)."""
IDLE_SLICE = 0.003
"""Seconds per slice of the idle wait (Textual's: 0.02)."""
IDLE_CPU_SHARE = 0.25
"""A slice is idle below this share of CPU (0.75 ms in 3 ms). Textual's 1 ms in 20 ms (5%)
does not carry over to a short slice: waking from the sleep, the event loop's turn and the
app's timers cost an idle app 0.11-0.27 ms per slice here (traced), about the 0.15 ms that
5% of 3 ms allows, so whether a slice counted as quiet was a coin toss and a key waited
3-20 slices more than it needed (a tree key 113 ms of wall for 43 ms of CPU). A thread that
keeps working costs the whole slice, far above a quarter."""

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
    is handling one (a pump not started yet counts as busy: Textual waits for it too; one
    that is closing will handle nothing more, and refuses callbacks)."""
    if pump._closing or pump._closed:
        return False
    queue: Queue[Any] = pump._message_queue
    parked = getattr(queue, "parked", False) and not queue.values
    return not parked or pump._pending_message is not None or bool(pump._next_callbacks)


def _screen_pumps(app: App[Any], screen: Screen[Any]) -> list[MessagePump]:
    """What the pilot waits for: the app, the screen and every widget on it."""
    return [app, *screen.walk_children(with_self=True)]


async def _ending(app: App[Any]) -> None:
    """Returns once ``app`` is ending: a widget closing with it drops the callbacks queued
    on it (quit clicked, then a pause: the pause waited its whole 30 s for them)."""
    while not app._exit:
        await asyncio.sleep(IDLE_SLICE)


async def _wait_for_busy_widgets(self: Pilot[Any], timeout: float = 30.0) -> bool:
    """``Pilot._wait_for_screen``, waiting only for the widgets that have something to do."""
    try:
        screen = self.app.screen
    except Exception:
        return False
    if self.app._exit:
        return False  # as Textual does for a screen that is gone: not all was handled
    pumps = _screen_pumps(self.app, screen)
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
        asyncio.create_task(_ending(self.app)),
    ]
    _, pending = await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    if len(pending) == len(waits):
        raise WaitForScreenTimeout("Timed out while waiting for widgets to process messages.")
    return count == 0


_textual_wait_for_idle = textual_wait.wait_for_idle


def _nothing_pending(app: App[Any]) -> bool:
    """Nothing queued or being handled on the screen, no drawing or animation to come."""
    try:
        screen = app.screen
    except Exception:
        return True  # no screen (the app ending): nothing to draw
    if (
        screen._layout_required
        or screen._scroll_required
        or screen._repaint_required
        or screen._recompose_required
        or screen._dirty_widgets
        or screen._callbacks
        or app._animator._animations
        or app._animator._scheduled
    ):
        return False
    return not any(_busy(pump) for pump in _screen_pumps(app, screen))


async def _settled(min_sleep: float = 0, max_sleep: float = 1) -> None:
    """``textual._wait.wait_for_idle`` in 3 ms slices, once the screen has nothing pending
    (outside a running app's context: Textual's own)."""
    try:
        app = active_app.get()
    except LookupError:
        await _textual_wait_for_idle(min_sleep, max_sleep)
        return
    start = time.monotonic()
    while True:
        cpu = time.process_time()
        await asyncio.sleep(IDLE_SLICE)
        elapsed = time.monotonic() - start
        if elapsed >= max_sleep or app._exit:
            return
        quiet = time.process_time() - cpu < IDLE_SLICE * IDLE_CPU_SHARE
        if quiet and elapsed > min_sleep and _nothing_pending(app):
            return


_compositor_refresh = Screen._compositor_refresh  # Textual's: composes and shows a frame


def _refresh_on_demand(self: Screen[Any]) -> None:
    """``Screen._compositor_refresh``: a headless top screen's frame is owed, not drawn
    (the regions that changed stay marked), until a test can look (``draw_owed_frame``)."""
    app = self.app
    if not FRAMES_ON_DEMAND or not app.is_headless or app.is_inline or self is not app.screen:
        _compositor_refresh(self)
        return
    self._frame_owed = True  # type: ignore[attr-defined]
    self._dirty_widgets.clear()
    app._update_mouse_over(self)


def draw_owed_frame(app: App[Any]) -> None:
    """The top screen's frame, with every region changed since the last one, if one is
    owed and the app is not ending (a render error raises here, in the test)."""
    if app._exit or not app.screen_stack:
        return
    screen = app.screen
    if getattr(screen, "_frame_owed", False):
        screen._frame_owed = False  # type: ignore[attr-defined]
        _compositor_refresh(screen)


_pause = Pilot.pause


async def _pause_and_draw(self: Pilot[Any], delay: float | None = None) -> None:
    """``Pilot.pause``, then (without a delay: a test about to look) the frame a person
    would see now."""
    await _pause(self, delay)
    if delay is None:
        draw_owed_frame(self.app)


_run_test = App.run_test


@asynccontextmanager
async def _run_test_drawing_last(self: App[Any], *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
    """``App.run_test``; a body that ends without an error draws the frame owed first."""
    async with _run_test(self, *args, **kwargs) as pilot:
        yield pilot
        draw_owed_frame(self)


def install() -> None:
    """Once per process, before the first app starts."""
    Screen._compositor_refresh = _refresh_on_demand  # type: ignore[method-assign]
    Pilot.pause = _pause_and_draw  # type: ignore[method-assign]
    App.run_test = _run_test_drawing_last  # type: ignore[method-assign]
    textual_app.wait_for_idle = _settled
    textual_pilot.wait_for_idle = _settled
    Stylesheet._parse_rules = _shared_parse_rules  # type: ignore[method-assign]
    Queue.get = _parking_get  # type: ignore[method-assign]
    Pilot._wait_for_screen = _wait_for_busy_widgets  # type: ignore[method-assign]
