"""The streaming re-indenter: any cut of the text gives the output of one piece, valid JSON
comes out as json.dumps(indent=2) does, and the formatter child's file (text, line
starts, trailer) reads back as the same lines, with a body far over the child's slice."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runbench.tui.state import body_lines
from runbench.tui.state.body_lines import format_body, index_lines
from runbench.tui.state.reindent import Reindenter, reindent

JSON_ISH = st.text(alphabet='{}[],: "\\ab1\né', max_size=60)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=20,
)


TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[{}\[\],:]|[^\s{}\[\],:"]+')


def token_by_token(text: str) -> str:
    """The re-indenter as it was, one regex match per token: the specification."""
    out: list[str] = []
    depth, previous = 0, ""
    for match in TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first in "{[":
            depth += 1
            out += [token, "\n" + "  " * depth]
        elif first in "}]":
            depth = max(depth - 1, 0)
            if previous in ("{", "["):
                out[-1] = ""
            else:
                out.append("\n" + "  " * depth)
            out.append(token)
        elif first == ",":
            out.append(",\n" + "  " * depth)
        else:
            out.append(": " if first == ":" else token)
        previous = first
    return "".join(out)


def in_pieces(text: str, cuts: list[int], bulk_min: int | None = None) -> str:
    formatter = Reindenter() if bulk_min is None else Reindenter(bulk_min=bulk_min)
    out, start = [], 0
    for cut in sorted({c % (len(text) + 1) for c in cuts}):
        out.append(formatter.feed(text[start:cut]))
        start = cut
    out.append(formatter.feed(text[start:]))
    out.append(formatter.feed("", final=True))
    return "".join(out)


@settings(max_examples=400)
@given(JSON_ISH, st.lists(st.integers(min_value=0, max_value=60), max_size=8))
def test_any_cut_gives_the_output_of_the_token_scan(text: str, cuts: list[int]) -> None:
    assert in_pieces(text, cuts) == reindent(text) == token_by_token(text)


@given(JSON_VALUES, st.lists(st.integers(min_value=0, max_value=400), max_size=6))
def test_valid_json_comes_out_as_json_dumps_indent_2(value: Any, cuts: list[int]) -> None:
    text = json.dumps(value, ensure_ascii=False)
    assert in_pieces(text, cuts) == json.dumps(value, indent=2, ensure_ascii=False)


# the bulk way's own hazards: escapes, its marks, %, unicode whitespace, bad nesting
BULK_ISH = st.text(alphabet='{}[],: "\\ab1\né%\x01\x05\x06\t\x1c\xa0\u3000', max_size=80)


@settings(max_examples=1500)
@given(BULK_ISH, st.lists(st.integers(min_value=0, max_value=80), max_size=8))
def test_the_bulk_way_gives_the_output_of_the_token_scan(text: str, cuts: list[int]) -> None:
    assert in_pieces(text, cuts, bulk_min=0) == token_by_token(text)


@given(
    JSON_VALUES,
    st.lists(st.integers(min_value=0, max_value=400), max_size=6),
    st.sampled_from([(",", ":"), (", ", ": "), (" ,\t", " :\n ")]),
)
def test_the_bulk_way_formats_valid_json_as_json_dumps(
    value: Any, cuts: list[int], separators: tuple[str, str]
) -> None:
    text = json.dumps(value, ensure_ascii=False, separators=separators)
    assert in_pieces(text, cuts, bulk_min=0) == json.dumps(value, indent=2, ensure_ascii=False)


def test_big_pieces_take_the_bulk_way_and_bad_json_the_token_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    taken: list[str] = []
    bulk = Reindenter._bulk

    def spy(self: Reindenter, text: str) -> tuple[str, str] | None:
        result = bulk(self, text)
        taken.append("bulk" if result is not None else "declined")
        return result

    monkeypatch.setattr(Reindenter, "_bulk", spy)
    records = [{"id": i, "note": 'a "quote" \\ {x}: [y],', "tags": [], "x": {}} for i in range(400)]
    text = json.dumps({"users": records}, separators=(",", ":"))
    assert in_pieces(text, [5000, 9000, 17000]) == json.dumps({"users": records}, indent=2)
    assert set(taken) == {"bulk"}
    taken.clear()
    bad = "]" * 5000 + text
    assert in_pieces(bad, [3000]) == token_by_token(bad)
    assert "declined" in taken


def test_a_string_cut_after_its_backslash_stays_one_string() -> None:
    formatter = Reindenter()
    out = formatter.feed('{"a":"x\\') + formatter.feed('n","b":1}') + formatter.feed("", final=True)
    assert out == '{\n  "a": "x\\n",\n  "b": 1\n}'  # the cut fell inside the escape \\n


def test_the_child_streams_a_body_many_slices_long(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(body_lines, "EXACT_LIMIT", 1000)  # the child's path for a small body
    value = {"users": [{"id": i, "name": f"usér {i}", "tags": [], "x": {}} for i in range(25_000)]}
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert len(text.encode()) > body_lines.SLICE  # more than one of the child's reads
    lines = format_body(text, "application/json", in_process=True)
    expected = index_lines(json.dumps(value, indent=2, ensure_ascii=False))
    assert isinstance(lines.data, memoryview)
    assert [lines.line(i) for i in range(lines.count)] == [
        expected.line(i) for i in range(expected.count)
    ]
