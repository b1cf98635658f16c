"""Search of a memory-mapped body in a child process: the same matches as the thread's scan,
progress before the end, a cancelled search stops its child, a child that cannot start
leaves the search to the thread, and one that dies mid-count leaves a count marked stopped."""

from __future__ import annotations

import json
import os
import sys
from array import array
from pathlib import Path
from typing import Any

import pytest

import runbench.core.child
from runbench.core.child import ChildSpec
from runbench.tui.state import body_lines, search_child
from runbench.tui.state.body_lines import Lines, format_body
from runbench.tui.state.body_search import Matches, scan, search


@pytest.fixture
def mapped(monkeypatch: pytest.MonkeyPatch) -> Lines:
    """A body formatted by the formatter child: its lines map the child's file."""
    monkeypatch.setattr(body_lines, "EXACT_LIMIT", 20_000)
    data = {"users": [{"id": i, "name": f"usér {i}", "tags": ["a", "beta"]} for i in range(3_000)]}
    lines = format_body(json.dumps(data, ensure_ascii=False), "application/json", in_process=True)
    assert lines.fd is not None
    return lines


def thread_scan(lines: Lines, query: str) -> tuple[int, list[int]]:
    found: list[tuple[int, array[int], bool]] = []
    scan(lines.data, query, cancelled=lambda: False, report=lambda *a: found.append(a))
    return found[-1][0], [offset for _count, kept, _done in found for offset in kept]


@pytest.mark.parametrize("query", ["beta", "USÉR 2", "usér 2999", '"id": 17', "nowhere"])
def test_child_finds_what_the_thread_finds(mapped: Lines, query: str) -> None:
    seen: list[int] = []
    found = search(mapped, query, progress=lambda m: seen.append(m.count))
    count, offsets = thread_scan(mapped, query)
    assert found.done
    assert (found.count, list(found.offsets)) == (count, offsets)
    assert seen == ([count] if count else [])  # one slice: the first match, then the end


def test_positions_of_child_matches_decode_the_line(mapped: Lines) -> None:
    found = search(mapped, "usér 12")
    line, column = found.position(0)
    assert mapped.line(line)[column:].startswith("usér 12")


def test_cancelled_search_ends_its_child(mapped: Lines, monkeypatch: pytest.MonkeyPatch) -> None:
    children = []
    spawn = runbench.core.child.spawn

    def recorded(*args: object, **kwargs: object) -> object:
        children.append(spawn(*args, **kwargs))  # type: ignore[arg-type]
        return children[-1]

    monkeypatch.setattr(runbench.core.child, "spawn", recorded)
    stopped: Matches = search(mapped, "beta", cancelled=lambda: True)
    assert not stopped.done
    assert stopped.count == 0
    assert [child.returncode is not None for child in children] == [True]


def test_search_stays_in_the_thread_when_no_child_starts(
    mapped: Lines, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_child(*_args: object, **_kwargs: object) -> object:
        raise OSError("no processes left")

    monkeypatch.setattr(runbench.core.child, "spawn", no_child)
    found = search(mapped, "beta")
    assert found.done
    assert found.count == thread_scan(mapped, "beta")[0]


def test_a_child_that_answers_nothing_leaves_it_to_the_thread() -> None:
    read_end, write_end = os.pipe()  # a pipe cannot be mapped: the child ends at once
    try:
        records: list[object] = []
        answered = search_child.search_in_child(
            read_end, 100, "beta", cancelled=lambda: False, report=lambda *a: records.append(a)
        )
    finally:
        os.close(read_end)
        os.close(write_end)
    assert answered == "unanswered"
    assert records == []


def test_a_child_that_dies_mid_count_leaves_a_stopped_count(
    mapped: Lines, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The child sends one record that is not its last (3 matches so far, offset 5 kept),
    then ends: the matches say the count stopped short, instead of counting forever."""
    dying = tmp_path / "dying_python"
    dying.write_text(
        f"#!{sys.executable}\n"
        "import struct, sys\n"
        "sys.stdin.buffer.read()\n"
        "sys.stdout.buffer.write(struct.pack('<qqq', 3, 0, 1) + struct.pack('<q', 5))\n"
    )
    dying.chmod(0o755)
    spawn = runbench.core.child.spawn

    def spawn_dying(spec: ChildSpec, **kwargs: Any) -> object:
        return spawn(ChildSpec(spec.module, python=str(dying)), **kwargs)

    monkeypatch.setattr(runbench.core.child, "spawn", spawn_dying)
    progress: list[int] = []
    found = search(mapped, "beta", progress=lambda m: progress.append(m.count))
    assert (found.stopped, found.done) == (True, False)
    assert (found.count, list(found.offsets)) == (3, [5])
    assert progress == [3]


def test_a_finished_or_cancelled_search_is_not_stopped(mapped: Lines) -> None:
    assert not search(mapped, "beta").stopped
    assert not search(mapped, "beta", cancelled=lambda: True).stopped
