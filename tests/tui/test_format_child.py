"""The formatter child on two cores: the cut is a guess, checked against the re-indenter's
exact state; right or wrong, the output (text, line starts, longest line) is that of one
pass. The second part's file appends to the first as if written in one go."""

from __future__ import annotations

import json
import tempfile
from typing import Any

import pytest

from runbench.tui.state import body_lines
from runbench.tui.state.body_lines import format_body, index_lines
from runbench.tui.state.format_child import LineWriter, guess_cut
from runbench.tui.state.reindent import Reindenter, reindent


def records(n: int, note: str) -> Any:
    return {"count": n, "users": [{"id": i, "note": note, "tags": [], "x": {}} for i in range(n)]}


def minified(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def guess_holds(text: str) -> bool:
    body = text.encode()
    guess = guess_cut(body)
    assert guess is not None
    cut, depth = guess
    formatter = Reindenter()
    formatter.feed(body[:cut].decode())
    return formatter.continues_at(depth)


GOOD = minified(records(3000, 'usér {braces} [1] "q" \\ x'))
WRONG_DEPTH = minified(records(3000, "an opener in a string: {"))
INSIDE_A_STRING = '["' + "a," * 30_000 + '"]'
BAD_JSON = "]]" + GOOD[: len(GOOD) // 3] + "}}}}" + GOOD
BAD_UTF8 = GOOD[:70_000] + "\udcff\ud800" + GOOD[70_000:]  # sent as bytes that are not UTF-8


def test_the_guess_holds_for_balanced_strings_and_not_otherwise() -> None:
    assert guess_holds(GOOD)
    assert not guess_holds(WRONG_DEPTH)  # every "{" in a string counted as an opener
    assert not guess_holds(INSIDE_A_STRING)  # the comma cut at is in a string


@pytest.mark.parametrize(
    "text",
    [GOOD, WRONG_DEPTH, INSIDE_A_STRING, BAD_JSON, BAD_UTF8],
    ids=["good-guess", "wrong-depth", "cut-in-a-string", "bad-json", "bad-utf8"],
)
def test_two_parts_give_the_lines_of_one_pass(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(body_lines, "EXACT_LIMIT", 1000)  # the child's path
    monkeypatch.setattr(body_lines, "SPLIT_MIN", 1000)  # in two parts
    lines = format_body(text, "application/json", in_process=True)
    assert isinstance(lines.data, memoryview)
    sent = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")  # as the child reads it
    formatted = reindent(sent).encode()
    expected = index_lines(formatted)
    assert bytes(lines.data) == formatted
    assert list(lines.starts) == list(expected.starts)
    assert lines.width == expected.width


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("ab\ncd", "ef\ngh"),  # the second's first line goes on with the first's last
        ("ab\n", "a very long first line\nx"),  # the longest line straddles the cut
        ("a\nb", "cdefghij"),  # no newline in the second: one line goes on
        ("é\nü", "ñ\n€€€\n"),  # byte offsets
        ("", "x\ny"),
    ],
)
def test_a_second_writers_file_appends_as_if_written_here(first: str, second: str) -> None:
    with tempfile.TemporaryFile() as whole, tempfile.TemporaryFile() as out:
        with tempfile.TemporaryFile() as part:
            other = LineWriter(part)
            other.write(second)
            other.finish()
            writer = LineWriter(out)
            writer.write(first)
            writer.append(part)
            writer.finish()
        one = LineWriter(whole)
        one.write(first + second)
        one.finish()
        for name in ("size", "width"):
            assert getattr(writer, name) == getattr(one, name)
        assert writer.starts == one.starts
        out.seek(0)
        whole.seek(0)
        assert out.read() == whole.read()
