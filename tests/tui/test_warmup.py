"""Start-up work moved out of the user's way: the screen's width class before the first
styling, and the HTTP stack warmed in a thread once the workbench is drawn and idle (the
first ctrl+t then only sends), with the idle collector started after it."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from runbench.tui.actions.background import WARM_MODULES
from runbench.tui.app import RunbenchApp
from runbench.tui.idle_gc import hold
from waits import until

PROBE = """
import json, sys
from runbench.tui.actions.background import WARM_MODULES, warm_up
before = [name for name in WARM_MODULES if name in sys.modules]
tls = warm_up()
print(json.dumps({"before": before, "after": [n for n in WARM_MODULES if n in sys.modules],
                  "context": type(tls.get(True)).__name__}))
"""


def test_warm_up_imports_the_http_stack_and_reads_the_ca_bundle() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    found = json.loads(done.stdout)
    assert found == {"before": [], "after": list(WARM_MODULES), "context": "SSLContext"}


class SeesItsClasses(RunbenchApp):
    seen: set[str]
    widgets_then: int

    def _preset_breakpoint(self) -> None:  # the first thing compose does
        super()._preset_breakpoint()
        self.seen = set(self.screen.classes)
        self.widgets_then = len(self.screen.children)


@pytest.mark.parametrize(("width", "expected"), [(80, "-narrow"), (120, "-wide")])
async def test_the_width_class_is_there_before_the_widgets(
    make_app: Callable[..., RunbenchApp], width: int, expected: str
) -> None:
    app = make_app(SeesItsClasses)
    async with app.run_test(size=(width, 30)):
        assert isinstance(app, SeesItsClasses)
        assert expected in app.seen
        assert app.widgets_then == 0  # nothing was styled without it
        assert app.screen.has_class(expected)  # and the first resize left it as it was
        assert ({"-narrow", "-wide"} - {expected}).isdisjoint(app.seen)


async def test_idle_workbench_warms_up_then_ctrl_t_uses_what_it_built(
    make_app: Callable[..., RunbenchApp],
) -> None:
    threshold = gc.get_threshold()
    app = make_app(background=True)
    hold()  # as `runbench tui` does before it imports the app
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            assert app.tls is None
            await until(pilot, gc.isenabled, "the collector on again after the first frame")
            await ctrl_t_after_warm_up(app, pilot)
    finally:
        gc.enable()
    assert gc.get_threshold() == threshold  # stopped with the app


async def test_held_collection_is_released_at_the_first_frame_without_background(
    make_app: Callable[..., RunbenchApp],
) -> None:
    """Released where the first frame is drawn, not where background work starts: an app
    with ``background=False`` kept the collector off until it exited."""
    app = make_app(background=False)
    hold()
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, gc.isenabled, "the collector on again after the first frame")
            assert app.collector is None
    finally:
        gc.enable()


async def ctrl_t_after_warm_up(app: RunbenchApp, pilot: Pilot[Any]) -> None:
    await until(pilot, lambda: app.tls is not None, "the HTTP stack warmed up")
    warmed = app.tls
    collector = app.collector
    assert collector is not None
    await until(pilot, lambda: collector.started, "the idle collector started")
    await pilot.press("ctrl+t")
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert app.tls is warmed
    assert app.exchanges  # the test was sent (through the mock transport)


async def test_no_background_work_in_a_headless_app_by_default(
    make_app: Callable[..., RunbenchApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.collector is None
        assert app.tls is None
