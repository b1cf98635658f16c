"""The count of commits made without waiting, which makes the journal's thread checkpoint
the WAL (``SqliteBackend.checkpoint_due``), is exact when a commit lands while a checkpoint
runs (a run's step barrier commits on the event loop's thread while the journal's thread
checkpoints, off the connection's lock). It was one counter both threads rewrote
(``done, n = n, 0`` against ``n += 1``), so a commit between the read and the write was
never counted; each now has one writer. The lost update needs a thread switch between two
bytecodes, so no test makes it happen on purpose: this one pins what the count means."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from runbench.core.journal import SqliteBackend


def commit_now(backend: SqliteBackend, times: int = 1) -> None:
    for _ in range(times):
        assert backend.begin_now()
        backend.commit()


class CommitMeanwhile:
    """The checkpoint's connection: a commit is made on the journal's while it works."""

    def __init__(self, backend: SqliteBackend, fail: bool = False) -> None:
        self.backend = backend
        self.fail = fail

    def execute(self, sql: str) -> None:
        assert "wal_checkpoint" in sql
        commit_now(self.backend)
        if self.fail:
            raise sqlite3.OperationalError("disk I/O error")

    def close(self) -> None:
        pass


def test_commits_made_during_a_checkpoint_count_towards_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = SqliteBackend(tmp_path / "runs.db")
    try:
        every = 0  # commits after which a checkpoint is due
        while not backend.checkpoint_due():
            commit_now(backend)
            every += 1
        assert every > 2
        monkeypatch.setattr(backend, "_checkpointer", CommitMeanwhile(backend))
        backend.checkpoint()
        assert not backend.checkpoint_due()
        commit_now(backend, every - 2)
        assert not backend.checkpoint_due()  # one made meanwhile, and these
        commit_now(backend)
        assert backend.checkpoint_due()
        monkeypatch.setattr(backend, "_checkpointer", CommitMeanwhile(backend, fail=True))
        with pytest.raises(sqlite3.OperationalError):
            backend.checkpoint()
        assert backend.checkpoint_due()  # a failed checkpoint covered nothing
    finally:
        backend.close()
