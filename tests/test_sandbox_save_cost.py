"""A sandbox save costs what it changes (review: every save deep-copied the whole store and
rewrote the whole data file, on the event loop). Counted, not timed: the objects a save
copies and the bytes it writes do not grow with the tickets stored; what it wrote reads
back, a torn last log line included."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from runbench.sandbox import datafile, store
from runbench.sandbox.store import MAX_SAVE_ITEMS, HaloState


def _filled(path: Path, tickets: int) -> HaloState:
    state = HaloState(clock=lambda: 1_700_000_000.0, data_file=path)
    for start in range(0, tickets, MAX_SAVE_ITEMS):
        batch = range(start, min(start + MAX_SAVE_ITEMS, tickets))
        state.save("Tickets", [{"summary": f"ticket {i}"} for i in batch])
    state.persist()  # a fresh snapshot, an empty log
    return state


class _CountingCopy:
    """``copy`` for the store module, counting the objects each deepcopy visits."""

    def __init__(self) -> None:
        self.objects = 0

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        memo = {} if memo is None else memo
        result = copy.deepcopy(value, memo)
        self.objects += len(memo)
        return result


def _one_save_cost(
    tmp_path: Path, tickets: int, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, int]:
    path = tmp_path / f"{tickets}.json"
    state = _filled(path, tickets)
    snapshot = path.stat()
    counting = _CountingCopy()
    monkeypatch.setattr(store, "copy", counting)
    state.save("Tickets", [{"id": 5, "summary": "changed"}, {"summary": "new"}])
    monkeypatch.undo()
    log = path.with_name(path.name + ".log")
    written = log.stat().st_size + (path.stat().st_size if path.stat() != snapshot else 0)
    return counting.objects, written


def test_a_saves_copies_and_writes_do_not_grow_with_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = _one_save_cost(tmp_path, 1100, monkeypatch)  # new ids of as many digits
    large = _one_save_cost(tmp_path, 5000, monkeypatch)
    assert small == large, f"(objects copied, bytes written) at 1100, 5000 tickets: {small} {large}"


def test_logged_saves_read_back_and_a_torn_last_line_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    state = _filled(path, 20)
    state.save("Tickets", [{"id": 3, "summary": "renamed"}])
    state.save("Actions", [{"ticket_id": 3, "note": "hello"}])
    log = path.with_name(path.name + ".log")
    with log.open("a", encoding="utf-8") as fh:
        fh.write('{"records": {"Tickets": [{"id": 3, "summ')  # killed mid-append
    again = HaloState(clock=lambda: 0.0, data_file=path)
    assert again.records("Tickets") == state.records("Tickets")
    assert again.records("Actions") == state.records("Actions")
    assert again.get("Tickets", 3) == state.get("Tickets", 3)
    assert (again.get("Tickets", 3) or {})["action_count"] >= 1


def test_the_log_is_folded_into_the_snapshot_once_it_outgrows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(datafile, "MIN_LOG_BYTES", 0)
    path = tmp_path / "data.json"
    state = _filled(path, 5)
    log = path.with_name(path.name + ".log")
    grew = folded = False
    for _ in range(500):
        state.save("Tickets", [{"id": 1, "summary": "x" * 200}])
        grew = grew or log.exists()
        if grew and not log.exists():
            folded = True
            break
    assert grew, "saves were not logged"
    assert folded, "the log was never folded into the snapshot"
    assert HaloState(clock=lambda: 0.0, data_file=path).records("Tickets") == state.records(
        "Tickets"
    )


def test_a_save_after_a_torn_line_is_kept(tmp_path: Path) -> None:
    """Review: after a restart over a torn last line the next save was appended onto it,
    so that answered save was skipped with the torn line at the next load."""
    path = tmp_path / "data.json"
    _filled(path, 5).save("Tickets", [{"id": 2, "summary": "before"}])
    log = path.with_name(path.name + ".log")
    with log.open("a", encoding="utf-8") as fh:
        fh.write('{"records": {"Tickets": [{"id": 2, "summ')  # killed mid-append
    restarted = HaloState(clock=lambda: 0.0, data_file=path)
    restarted.save("Tickets", [{"id": 4, "summary": "after the restart"}])
    again = HaloState(clock=lambda: 0.0, data_file=path)
    assert (again.get("Tickets", 4) or {})["summary"] == "after the restart"
