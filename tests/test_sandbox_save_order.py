"""A sandbox save waits for its fsync without holding the store's lock (review: every save
held it through the disk flush, so every read and save waited on another save's fsync),
and the data file still ends in commit order (datafile.Writer).

The fsync is a fake the test holds on an event: nothing is timed; a wait that never ends
fails at its deadline naming what never happened."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from runbench.sandbox.store import HaloState
from waits import wait_for


class HeldFsync:
    """An fsync that, once armed, blocks the next call until ``release``."""

    def __init__(self) -> None:
        self.armed = False
        self.entered = threading.Event()
        self._release = threading.Event()

    def __call__(self, _fd: int) -> None:
        if self.armed:
            self.armed = False
            self.entered.set()
            self._release.wait()

    def release(self) -> None:
        self._release.set()


@pytest.fixture
def fsync() -> Iterator[HeldFsync]:
    """A held fsync, released at the end whatever happened (no thread is left waiting)."""
    held = HeldFsync()
    yield held
    held.release()


def in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """``work()`` on a thread of its own; its result (or exception) lands in the list."""
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(work())
        except BaseException as exc:  # the test asserts on it
            out.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def summary(state: HaloState, ticket: int) -> str:
    return str((state.get("Tickets", ticket) or {}).get("summary"))


def reread(path: Path) -> HaloState:
    return HaloState(clock=lambda: 0.0, data_file=path)


def held_save(fsync: HeldFsync, work: Callable[[], Any]) -> Any:
    """Start ``work`` (a save) and wait until it is in its fsync; its thread and result."""
    fsync.armed = True
    started = in_thread(work)
    wait_for(fsync.entered.is_set, "the first save reaching its fsync")
    return started


def test_a_save_in_its_fsync_holds_up_neither_reads_nor_other_saves(
    tmp_path: Path, fsync: HeldFsync
) -> None:
    path = tmp_path / "data.json"
    state = HaloState(clock=lambda: 0.0, data_file=path, fsync=fsync)
    state.save("Tickets", [{"id": 1, "summary": "first"}])  # the first snapshot, not held
    first, first_out = held_save(
        fsync, lambda: state.save("Tickets", [{"id": 1, "summary": "held"}])
    )
    read, read_out = in_thread(lambda: state.get("Tickets", 1))
    wait_for(lambda: bool(read_out), "a read while another save waits for its fsync")
    assert read_out[0]["summary"] == "held"  # committed in memory; the save not answered yet
    second, second_out = in_thread(lambda: state.save("Tickets", [{"id": 2, "summary": "second"}]))
    wait_for(lambda: summary(state, 2) == "second", "a second save committing meanwhile")
    assert (first_out, second_out) == ([], [])  # neither answers before its fsync
    fsync.release()
    for thread in (first, read, second):
        thread.join()
    assert [out[0][0]["summary"] for out in (first_out, second_out)] == ["held", "second"]
    again = reread(path)
    assert (summary(again, 1), summary(again, 2)) == ("held", "second")


def test_a_later_save_is_never_overwritten_by_an_earlier_one(
    tmp_path: Path, fsync: HeldFsync
) -> None:
    """A whole snapshot held in its fsync, then a save of the same ticket: on disk the later
    wins, whichever thread writes it."""
    path = tmp_path / "data.json"
    state = HaloState(clock=lambda: 0.0, data_file=path, fsync=fsync)
    state.save("Tickets", [{"id": 1, "summary": "one"}])
    snapshot, _ = held_save(fsync, state.persist)
    later, later_out = in_thread(lambda: state.save("Tickets", [{"id": 1, "summary": "two"}]))
    wait_for(lambda: summary(state, 1) == "two", "the later save committing")
    fsync.release()
    snapshot.join()
    later.join()
    assert later_out[0][0]["summary"] == "two"
    assert summary(reread(path), 1) == "two"


def test_many_concurrent_saves_read_back_as_the_store_holds_them(tmp_path: Path) -> None:
    """Eight threads saving the same two tickets: the file replays to the store's last word."""
    path = tmp_path / "data.json"
    state = HaloState(clock=lambda: 0.0, data_file=path)
    state.save("Tickets", [{"id": 1, "summary": "start"}])

    def saves(n: int) -> None:
        for i in range(25):
            state.save("Tickets", [{"id": 1 + i % 2, "summary": f"{n}-{i}"}])

    threads = [in_thread(partial(saves, n))[0] for n in range(8)]
    for thread in threads:
        thread.join()
    assert reread(path).records("Tickets") == state.records("Tickets")
