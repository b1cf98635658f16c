"""The sweep that keeps `serve`'s body deadlines (one timer for all waiting requests)."""

from __future__ import annotations

import asyncio

from runbench.webguards import Deadlines


async def wait_under(deadlines: Deadlines, release: asyncio.Event) -> str:
    """What the body read does: wait, and tell a timeout from any other cancellation."""
    task = asyncio.current_task()
    assert task is not None
    deadlines.start(task, asyncio.get_running_loop())
    try:
        await release.wait()
    except asyncio.CancelledError:
        if not deadlines.expired(task):
            raise
        return "timed out"
    finally:
        deadlines.stop(task)
    return "in time"


async def test_a_wait_past_its_deadline_is_ended_and_told_apart() -> None:
    deadlines = Deadlines(0.05)
    late = await wait_under(deadlines, asyncio.Event())  # never released
    assert late == "timed out"
    assert deadlines.waiting == 0
    released = asyncio.Event()
    released.set()
    assert await wait_under(deadlines, released) == "in time"


async def test_a_cancellation_from_elsewhere_stays_a_cancellation() -> None:
    deadlines = Deadlines(60.0)
    task = asyncio.create_task(wait_under(deadlines, asyncio.Event()))
    while deadlines.waiting == 0:
        await asyncio.sleep(0)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    else:
        raise AssertionError("the task ended without its cancellation")
    assert task.cancelled()
    assert deadlines.waiting == 0


async def test_only_the_waits_past_their_deadline_are_ended() -> None:
    slow, quick = Deadlines(0.05), Deadlines(60.0)
    release = asyncio.Event()
    both = asyncio.gather(wait_under(slow, asyncio.Event()), wait_under(quick, release))
    while quick.waiting == 0 or slow.waiting:  # the slow one has been swept
        await asyncio.sleep(0.01)
    release.set()
    assert list(await both) == ["timed out", "in time"]
