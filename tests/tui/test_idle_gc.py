"""IdleCollector: none before the first frame, then collects only when the user is idle and
there is garbage."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from runbench.tui.idle_gc import MIN_PENDING, QUIET, THRESHOLDS, IdleCollector, hold


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_collects_only_after_a_quiet_moment_with_garbage_pending() -> None:
    clock, calls = Clock(), []
    collector = IdleCollector(clock, collect=lambda: calls.append(clock.now))
    collector.touched()
    assert not collector.tick(pending=10 * MIN_PENDING)  # keys are arriving
    clock.now += QUIET / 2
    collector.touched()
    clock.now += QUIET / 2
    assert not collector.tick(pending=10 * MIN_PENDING)  # the quiet restarted
    clock.now += QUIET
    assert not collector.tick(pending=MIN_PENDING - 1)  # nothing worth a collection
    assert collector.tick(pending=MIN_PENDING)
    assert calls == [clock.now]
    assert collector.collections == 1


@pytest.fixture
def frozen_before() -> Iterator[int]:
    """How many objects were frozen before the test (the suite freezes what collection built,
    tests/conftest.py); the freeze is made again afterwards, which the collector's stop undid
    (its gc.unfreeze thaws every frozen object, as the workbench's one collector may)."""
    frozen = gc.get_freeze_count()
    yield frozen
    if frozen:
        gc.freeze()


@pytest.mark.usefixtures("frozen_before")
def test_start_and_stop_restore_the_collector() -> None:
    before = gc.get_threshold()
    collector = IdleCollector(collect=lambda: None)
    collector.start()
    try:
        assert gc.get_threshold() == THRESHOLDS
        assert gc.get_freeze_count() > 0
    finally:
        collector.stop()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_held_until_drawn_then_raised_thresholds_until_stopped(frozen_before: int) -> None:
    before = gc.get_threshold()
    collector = IdleCollector(collect=lambda: None)
    hold()
    try:
        assert not gc.isenabled()
        collector.drawn()
        assert gc.isenabled()
        assert gc.get_threshold() == THRESHOLDS
        assert not collector.started
        # frozen only by the first idle collection: no freeze yet (frozen objects that die
        # leave the count, so it may fall; a freeze would add every tracked object)
        assert gc.get_freeze_count() <= frozen_before
        collector.start()
        assert collector.started
    finally:
        collector.stop()
        gc.enable()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
