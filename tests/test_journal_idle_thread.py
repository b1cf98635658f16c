"""The journal's thread wakes only for work or a deadline (review finding: it woke every
DEFERRED_AGE second while idle, for the life of every journal: the workbench's, serve's).
Wake-ups are counted by the thread; no timing is asserted, only how many wakes lie
between two of its heartbeats, and that a deferred write still goes by its age."""

from __future__ import annotations

from pathlib import Path

from runbench.core.journal import DEFERRED_AGE, Backend, Journal
from waits import wait_for

HEARTBEAT = 1.2
"""Seconds between the thread's heartbeats (a third of the lease): more than DEFERRED_AGE,
the old wake period."""


class CountingJournal(Journal):
    """A journal whose heartbeat (the lease renewal) notes how often its thread had woken."""

    beats: list[int]

    def _renew(self, b: Backend) -> None:
        self.beats.append(self._thread.wakeups)
        super()._renew(b)


def test_an_idle_journal_thread_wakes_once_per_heartbeat(tmp_path: Path) -> None:
    assert HEARTBEAT > DEFERRED_AGE
    CountingJournal.beats = []
    journal = CountingJournal(tmp_path / "runs.db", lease=3 * HEARTBEAT)
    try:
        beats = CountingJournal.beats
        wait_for(lambda: len(beats) >= 4, "four heartbeats")
        # from the second heartbeat on: the start-up's work (and the wake that lingers
        # DEFERRED_AGE after it) may fall after the first one on a loaded machine, when its
        # thread runs late; it is all over by the second (DEFERRED_AGE < HEARTBEAT)
        settled = beats[1]
        assert beats[1:4] == [settled, settled + 1, settled + 2]  # one wake each (before: 2)
    finally:
        journal.close()


def test_a_deferred_write_wakes_a_sleeping_thread_and_goes_by_its_age(tmp_path: Path) -> None:
    """With no heartbeat the idle thread sleeps until woken: the deferred write wakes it to
    set its deadline, and is written when that comes, with no other operation."""
    done: list[str] = []
    journal = Journal(tmp_path / "runs.db", lease=3600.0)  # its heartbeat: 20 min away
    thread = journal._thread
    try:
        wait_for(lambda: thread._asleep, "the thread to sleep with no deadline")
        woken = thread.wakeups
        thread.submit(lambda _backend: done.append("written"), deferred=True)
        wait_for(lambda: done == ["written"], "the deferred write to go by its age")
        assert thread.wakeups - woken <= 3  # its wake-up, its deadline, the write itself
    finally:
        journal.close()
