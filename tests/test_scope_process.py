"""The checker's scope process: its wire protocol, and ResponseScope giving the same
Checked data from a child process (big body) as in process (small body)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from runbench.core.http import ResponseRecord
from runbench.tui.state.response_scope import RESULT_LIMIT, Checked, ResponseScope, check_path

PATHS = (
    "response^items[1]^name!",
    "response^items[2]",
    "response^items",  # cut at RESULT_LIMIT
    "response^items[",  # syntax error
    "response^items[0]^nmae",  # no match
    "respons^x",  # not a root: does not compile
    "status",
    "headers^content-type!",
    "headers",  # not JSON data: shown via str()
)


def record(body: str) -> ResponseRecord:
    return ResponseRecord(200, "OK", (("content-type", "application/json"),), body, len(body), 1.0)


def body() -> str:
    items = [{"id": i, "name": f"user {i}", "note": 'é ☃ "q"\n'} for i in range(2000)]
    return json.dumps({"items": items})


def test_child_protocol() -> None:
    text = b'{"a": [1, 2]}'
    header = {"status": 200, "headers": [["x-a", "1"]], "size": len(text)}
    requests = [json.dumps(p).encode() for p in ("response^a[1]", "response^a[", "response^b")]
    done = subprocess.run(
        [sys.executable, "-m", "runbench.tui.state.response_scope"],
        input=json.dumps(header).encode() + b"\n" + text + b"\n".join(requests) + b"\n",
        capture_output=True,
        check=True,
        timeout=60,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines[0] == {"ready": True}
    assert Checked(**lines[1]) == Checked("value", type_name="int", shown="2")
    assert Checked(**lines[2]).kind == "syntax"
    assert lines[2]["position"] == 11
    assert Checked(**lines[3]).kind == "no_match"
    assert lines[3]["segment"] == "^b"
    assert len(lines) == 4  # and the child ended at EOF


def test_child_answers_like_in_process() -> None:
    response = record(body())
    local = ResponseScope(response)
    remote = ResponseScope(response, threshold=1000)
    assert not local.big
    assert remote.big
    waits: list[str] = []
    try:
        for text in PATHS:
            here = local.check(text)
            there = remote.check(text, waiting=lambda: waits.append("parsing"))
            assert here == there == check_path(text, response.scope()), text
        assert remote._local is None  # the child answered, no fallback
        assert waits == ["parsing"]  # only before the first answer
        cut = remote.check("response^items")
        assert cut is not None
        assert len(cut.shown) == RESULT_LIMIT
        assert cut.more > 0
    finally:
        remote.stop()


def test_stop_then_check_starts_a_new_child() -> None:
    scope = ResponseScope(record(body()), threshold=1000)
    assert scope.check("response^items[0]^id") == Checked("value", type_name="int", shown="0")
    scope.stop()
    scope.stop()  # twice is fine
    assert not scope.ready
    assert scope.check("response^items[3]^id") == Checked("value", type_name="int", shown="3")
    scope.stop()


def test_unwanted_check_is_skipped() -> None:
    scope = ResponseScope(record(body()), threshold=1000)
    assert scope.check("response^items[0]", wanted=lambda: False) is None
    scope.stop()


@pytest.mark.parametrize("python", ["missing", "dies"])
def test_broken_child_falls_back_to_parsing_here(tmp_path: Path, python: str) -> None:
    executable = tmp_path / python
    if python == "dies":
        executable.write_text("#!/bin/sh\nexit 3\n")
        executable.chmod(0o755)
    response = record(body())
    scope = ResponseScope(response, threshold=1000, python=str(executable))
    for text in PATHS:
        assert scope.check(text) == check_path(text, response.scope())
    assert scope.ready
    scope.stop()
