"""The harness cuts of ``pilot_costs`` (installed by this folder's conftest) keep Textual's
guarantees: a press or pause still waits for a widget busy handling a message and for what
the screen does after its next refresh, an idle widget is not woken, an app that is ending
is not waited for, a thread still working is waited for, a stylesheet's rules are parsed
once per worker yet still raise on an error, and a frame not drawn after each key is drawn
when the test looks (at a pause, as the body ends), where a widget that cannot draw fails it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from textual import events
from textual import pilot as textual_pilot
from textual.app import App, ComposeResult
from textual.css.stylesheet import Stylesheet, StylesheetParseError
from textual.geometry import Region
from textual.message import Message
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widgets import Static

import pilot_costs


class Slow(Static):
    """Handles ``Work`` over many turns of the event loop."""

    class Work(Message):
        pass

    def __init__(self) -> None:
        super().__init__(id="slow")
        self.done = 0
        self.woken = 0

    async def on_slow_work(self, _message: Work) -> None:
        for _turn in range(50):
            await asyncio.sleep(0)
        self.done += 1

    def on_idle(self) -> None:
        self.woken += 1


class Idle(Static):
    def __init__(self) -> None:
        super().__init__(id="idle")
        self.woken = 0

    def on_idle(self) -> None:
        self.woken += 1


class AfterRefresh(Static, can_focus=True):
    """Shows a key, and notes it once the screen has drawn it (as ``scroll_end`` scrolls
    after the layout it is waiting for)."""

    def __init__(self) -> None:
        super().__init__(id="after")
        self.keys: list[str] = []

    def on_key(self, event: events.Key) -> None:
        self.show(event.key)

    def show(self, key: str) -> None:
        self.update(key)  # a repaint: the callback waits for the update timer
        self.call_after_refresh(self.keys.append, key)


class Pair(App[None]):
    def compose(self) -> ComposeResult:
        yield Slow()
        yield Idle()
        yield AfterRefresh()


def test_the_cuts_are_installed() -> None:
    assert Stylesheet._parse_rules is pilot_costs._shared_parse_rules
    assert textual_pilot.wait_for_idle is pilot_costs._settled


async def test_a_press_waits_for_what_the_next_refresh_does() -> None:
    app = Pair()
    async with app.run_test() as pilot:
        await pilot.pause()
        after = app.query_one(AfterRefresh)
        after.focus()
        await pilot.pause()
        assert pilot_costs._nothing_pending(app)
        after.show("a")
        assert after.keys == []  # the note waits for the update timer's refresh
        assert not pilot_costs._nothing_pending(app)
        await pilot.pause()
        assert after.keys == ["a"]
        assert pilot_costs._nothing_pending(app)
        for key in "bc":
            await pilot.press(key)
            assert after.keys[-1] == key  # drawn and noted before the press returned


class WorkingThread:
    """``pilot_costs``'s clocks while another thread of the process works: every reading
    of the process's CPU has grown by a whole slice, until ``readings`` run out. (A real
    spinning thread cannot show this reliably: on a loaded machine it is not scheduled for
    whole slices, so the test would depend on the neighbours.)"""

    monotonic = staticmethod(time.monotonic)

    def __init__(self, readings: int) -> None:
        self.readings = readings
        self.cpu = 0.0

    def process_time(self) -> float:
        if self.readings > 0:
            self.readings -= 1
            self.cpu += pilot_costs.IDLE_SLICE
        return self.cpu


async def test_a_pause_waits_while_a_thread_keeps_working(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The screen has nothing pending, but the process still spends whole slices on CPU:
    those slices are not quiet, so the pause returns only once the work has stopped."""
    app = Pair()
    async with app.run_test() as pilot:
        await pilot.pause()
        assert pilot_costs._nothing_pending(app)
        working = WorkingThread(readings=20)
        monkeypatch.setattr(pilot_costs, "time", working)
        await pilot.pause()
        assert working.readings == 0  # the pause outlasted the work


async def test_an_app_that_is_ending_is_not_waited_for() -> None:
    app = Pair()
    async with app.run_test() as pilot:
        await pilot.pause()
        app.query_one(Slow).post_message(Slow.Work())
        app.exit()
        assert not await pilot._wait_for_screen()  # not all was handled: nothing hangs
        await pilot.pause()


async def test_a_pause_waits_for_a_busy_widget_and_wakes_no_idle_one() -> None:
    app = Pair()
    async with app.run_test() as pilot:
        await pilot.pause()
        slow, idle = app.query_one(Slow), app.query_one(Idle)
        woken = idle.woken
        slow.post_message(Slow.Work())
        assert await pilot._wait_for_screen()  # what press and pause wait with first
        assert slow.done == 1  # its handler ran to the end before the wait returned
        slow.post_message(Slow.Work())
        await pilot.press("x")
        assert slow.done == 2
        assert idle.woken == woken  # nothing was queued for it: not woken by the waits


async def test_a_second_app_reuses_the_rules_and_a_bad_stylesheet_still_raises() -> None:
    first, second = Pair(), Pair()
    async with first.run_test() as pilot:
        await pilot.pause()
    async with second.run_test() as pilot:
        await pilot.pause()
    shared = set(map(id, first.stylesheet.rules)) & set(map(id, second.stylesheet.rules))
    assert len(shared) == len(second.stylesheet.rules) > 0

    for _ in range(2):  # parsed, then from the cache: both raise
        bad = Stylesheet()
        bad.add_source("Static { colour: red; }", ("bad.tcss", ""))
        with pytest.raises(StylesheetParseError):
            bad.parse()


class Counted(Static, can_focus=True):
    """Counts the times it is drawn; ``broken`` makes drawing it raise."""

    def __init__(self) -> None:
        super().__init__("0", id="counted")
        self.drawn = 0
        self.broken = False

    def render_lines(self, crop: Region) -> list[Strip]:  # drawing (not measuring: render)
        if self.broken:
            raise Broken("cannot draw")
        self.drawn += 1
        return super().render_lines(crop)

    def on_key(self, event: events.Key) -> None:
        self.update(event.key)


class Broken(Exception):
    pass


class Drawn(App[None]):
    def compose(self) -> ComposeResult:
        yield Counted()


@asynccontextmanager
async def counted_and_drawn() -> AsyncIterator[tuple[Pilot[None], Counted]]:
    """A ``Drawn`` app running, its ``Counted`` focused and drawn."""
    app = Drawn()
    async with app.run_test() as pilot:
        counted = app.query_one(Counted)
        counted.focus()
        await pilot.pause()
        yield pilot, counted


async def test_keys_owe_a_frame_that_the_next_pause_draws() -> None:
    """A key's frame is not drawn until a test can look: at the pause, once, with every
    region changed since the last frame."""
    async with counted_and_drawn() as (pilot, counted):
        before = counted.drawn
        await pilot.press("a", "b", "c")
        assert counted.drawn == before  # three changes, no frame yet
        await pilot.pause()
        assert counted.drawn == before + 1  # one frame, with the last key's text


async def test_every_frame_is_drawn_when_a_test_asks_for_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pilot_costs, "FRAMES_ON_DEMAND", False)
    async with counted_and_drawn() as (pilot, counted):
        before = counted.drawn
        await pilot.press("a", "b", "c")
        assert counted.drawn == before + 3  # Textual's own: a frame after each key


async def test_a_widget_that_cannot_draw_fails_the_test_at_the_next_pause() -> None:
    async with counted_and_drawn() as (pilot, counted):
        counted.broken = True
        await pilot.press("a")
        with pytest.raises(Broken):
            await pilot.pause()
        counted.broken = False


async def test_a_widget_that_cannot_draw_fails_the_test_as_its_body_ends() -> None:
    """No pause after the last key: the frame owed is drawn before the app shuts down."""

    async def break_it_after_a_key() -> None:
        async with counted_and_drawn() as (pilot, counted):
            counted.broken = True
            await pilot.press("a")

    with pytest.raises(Broken):
        await break_it_after_a_key()
