"""A lone run commits its steps on the event loop's thread ("now"), not through the
journal's thread: still each step committed before the next starts, the previous step's
end and exchanges with it, but no wait on another process's lock, no fsync of a WAL
checkpoint on the loop, and runs that share the journal still share its thread (group
commit)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

from runbench.core.journal import Journal, SqliteBackend
from test_engine_support import Api, engine, workspace

THREE_STEPS = """
[runbooks.three]
start = "a"
[runbooks.three.steps.a]
kind = "method"
method = "api.get_user"
args = { user_id = 1 }
on_success = "b"
[runbooks.three.steps.b]
kind = "method"
method = "api.get_user"
args = { user_id = 2 }
on_success = "c"
[runbooks.three.steps.c]
kind = "method"
method = "api.get_user"
args = { user_id = 3 }
on_success = "done"
[runbooks.three.steps.done]
kind = "end"
"""


class Watched(SqliteBackend):
    """SQLite, noting the thread of every step row written and every checkpoint."""

    def __init__(self, path: Path, **kwargs: Any) -> None:
        super().__init__(path, **kwargs)
        self.step_threads: list[str] = []
        self.checkpoints: list[str] = []

    def insert_step(self, values: tuple[Any, ...]) -> None:
        self.step_threads.append(threading.current_thread().name)
        super().insert_step(values)

    def checkpoint(self) -> None:
        self.checkpoints.append(threading.current_thread().name)
        super().checkpoint()


B = TypeVar("B", bound=SqliteBackend)


def journal_over(path: Path, make: Callable[[], B], **kwargs: Any) -> tuple[Journal, list[B]]:
    """A journal on the backend ``make()`` opens (on the journal's thread), and a list
    that holds that backend once it is open, for the test to look at."""
    opened: list[B] = []

    def open_backend() -> B:
        opened.append(make())
        return opened[0]

    return Journal(path, backend=open_backend, **kwargs), opened


def watched_journal(path: Path, **kwargs: Any) -> tuple[Journal, list[Watched]]:
    durable = kwargs.get("durable", False)
    return journal_over(path, lambda: Watched(path, durable=durable), **kwargs)


def committed_steps(path: Path) -> list[tuple[str, int]]:
    """(step, finished) of the one run in ``path``, as another process sees them."""
    other = sqlite3.connect(path)
    try:
        rows = other.execute("SELECT step, finished FROM steps ORDER BY seq").fetchall()
    finally:
        other.close()
    return [(str(step), int(finished)) for step, finished in rows]


class Watching(Api):
    """The API, noting at each request which steps another process sees committed."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.committed: list[list[tuple[str, int]]] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.committed.append(committed_steps(self.path))
        return await super().__call__(request)


async def test_a_lone_run_commits_each_step_on_its_own_thread_before_the_next(
    tmp_path: Path,
) -> None:
    path = tmp_path / "runs.db"
    journal, backend = watched_journal(path)
    api = Watching(path)
    try:
        result = await engine(workspace(tmp_path, THREE_STEPS), api, journal=journal).run("three")
        assert result.status == "success"
        assert api.committed == [
            [("a", 0)],
            [("a", 1), ("b", 0)],
            [("a", 1), ("b", 1), ("c", 0)],
        ]
        assert committed_steps(path) == [("a", 1), ("b", 1), ("c", 1), ("done", 1)]
        assert set(backend[0].step_threads) == {threading.current_thread().name}
    finally:
        journal.close()


async def test_runs_at_the_same_time_share_the_journals_thread(tmp_path: Path) -> None:
    journal, backend = watched_journal(tmp_path / "runs.db")
    api = Api(gate=asyncio.Event())
    ws = workspace(
        tmp_path,
        """
        [runbooks.two]
        start = "wait"
        [runbooks.two.steps.wait]
        kind = "method"
        method = "api.slow"
        on_success = "next"
        [runbooks.two.steps.next]
        kind = "method"
        method = "api.get_user"
        args = { user_id = 1 }
        on_success = "done"
        [runbooks.two.steps.done]
        kind = "end"
        """,
    )
    eng = engine(ws, api, journal=journal)
    try:
        first, second = eng.start("two"), eng.start("two")
        while api.paths().count("/slow") < 2:  # both are in their first step
            await asyncio.sleep(0)
        api.release()
        results = [await first.result(), await second.result()]
        assert [r.status for r in results] == ["success", "success"]
        later_steps = backend[0].step_threads[2:]  # "next" and "done" of both runs
        assert len(later_steps) == 4
        assert all(name.startswith("runbench-journal") for name in later_steps[:2])
    finally:
        journal.close()


async def test_a_lock_held_by_another_process_is_waited_for_off_the_event_loop(
    tmp_path: Path,
) -> None:
    path = tmp_path / "runs.db"
    journal = Journal(path, busy_timeout=60)
    run_id = journal.create_run("r")
    journal.sync()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        step = asyncio.create_task(journal.begin_step(run_id, 1, "a", "method", {}, {}))
        for _ in range(3):  # the loop goes on: the step waits on the journal's thread
            await asyncio.sleep(0)
        assert not step.done()
        assert committed_steps(path) == []
        other.execute("COMMIT")
        await step
        assert committed_steps(path) == [("a", 0)]
    finally:
        other.close()
        journal.close()


def test_begin_now_does_not_wait_for_another_connections_lock(tmp_path: Path) -> None:
    backend = SqliteBackend(tmp_path / "runs.db", busy_timeout=600)
    other = sqlite3.connect(tmp_path / "runs.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        assert backend.begin_now() is False  # at once, not after busy_timeout
        other.execute("COMMIT")
        assert backend.begin_now() is True
        backend.commit()
    finally:
        other.close()
        backend.close()


def test_a_durable_journal_never_commits_now(tmp_path: Path) -> None:
    backend = SqliteBackend(tmp_path / "runs.db", durable=True)
    try:
        assert backend.begin_now() is False  # its commit is an fsync: the thread's job
    finally:
        backend.close()


async def test_commits_made_now_leave_wal_checkpoints_to_the_journals_thread(
    tmp_path: Path,
) -> None:
    journal, backend = watched_journal(tmp_path / "runs.db")
    run_id = journal.create_run("r")
    journal.sync()
    try:
        seq = 0
        while not backend[0].checkpoint_due():
            assert backend[0].checkpoints == []
            seq += 1
            await journal.begin_step(run_id, seq, f"s{seq}", "method", {"n": seq}, {})
        # the step that made it due handed the checkpoint to the thread, which checkpoints
        # after that batch: the batch after it (the second wait) comes after the checkpoint
        journal.sync()
        journal.sync()
        assert len(backend[0].checkpoints) == 1
        assert backend[0].checkpoints[0].startswith("runbench-journal")
        assert journal.problem is None
        assert not backend[0].checkpoint_due()
        assert set(backend[0].step_threads) == {threading.current_thread().name}
    finally:
        journal.close()


def test_begin_now_on_a_closed_connection_leaves_it_to_the_thread(tmp_path: Path) -> None:
    """Any failure to begin is a "not now": the journal's thread then meets it and
    reports it as it reports every storage failure."""
    backend = SqliteBackend(tmp_path / "runs.db")
    backend.close()
    assert backend.begin_now() is False
