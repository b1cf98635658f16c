"""The viewer's widget-free parts: search in slices (str and memory-mapped bytes), the jq
subset of the filter, copying a line's value, default file names, segment styling."""

from __future__ import annotations

import pytest
from rich.segment import Segment
from rich.style import Style

from runbench.core.errors import PathSyntaxError
from runbench.core.http import Exchange, ResponseRecord
from runbench.tui.actions.responses import default_name, value_of
from runbench.tui.state import body_search
from runbench.tui.state.body_filter import syntax_error, to_output_path
from runbench.tui.state.body_lines import index_lines
from runbench.tui.state.body_search import Matches, search
from runbench.tui.widgets.line_view import _styled

TEXT = "alpha Beta\ngamma beta\n\nbetabeta é-beta\nBETA"


@pytest.mark.parametrize("as_bytes", [False, True])
@pytest.mark.parametrize("slice_size", [1, 3, 7, 1024])
def test_search_in_slices_finds_every_match(
    monkeypatch: pytest.MonkeyPatch, as_bytes: bool, slice_size: int
) -> None:
    monkeypatch.setattr(body_search, "SLICE", slice_size)
    lines = index_lines(TEXT.encode() if as_bytes else TEXT)
    found = search(lines, "beta")
    assert found.done
    assert found.count == 6
    positions = [found.position(i) for i in range(found.count)]
    assert positions == [(0, 6), (1, 6), (3, 0), (3, 4), (3, 11), (4, 0)]  # é: one column
    assert search(lines, "Beta").count == 1  # a capital: case matters


def test_progress_reports_the_first_match_and_cancel_stops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(body_search, "SLICE", 4)
    lines = index_lines(TEXT)
    seen: list[int] = []
    search(lines, "beta", progress=lambda m: seen.append(m.count))
    assert seen
    assert seen[0] == 1
    stopped = search(lines, "beta", cancelled=lambda: True)
    assert not stopped.done
    assert stopped.count == 0


def test_matches_nearest_and_the_keep_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(body_search, "MAX_KEPT", 2)
    found: Matches = search(index_lines(TEXT), "beta")
    assert found.count == 6
    assert len(found.offsets) == 2
    assert found.nearest(1) == 1
    assert found.nearest(3) == 0


def test_jq_subset_becomes_an_output_path() -> None:
    assert to_output_path(".") == "response"
    assert to_output_path(".items[0].name") == "response^items[0]^name"
    assert to_output_path('.["a b"][2]') == "response^a b[2]"
    assert to_output_path("response^x") == "response^x"
    with pytest.raises(PathSyntaxError) as caught:
        to_output_path(".items[] | .name")
    assert caught.value.position == 6
    error = syntax_error("response^items[")
    assert error is not None
    assert "^" in error.plain
    assert syntax_error("response^items[0]") is None


def test_value_of_a_pretty_line() -> None:
    assert value_of('  "name": "Item 7",') == "Item 7"
    assert value_of('  "n": 3,') == "3"
    assert value_of('  "o": {"a": 1}') == '{"a": 1}'
    assert value_of("plain text") == "plain text"


def test_default_file_names() -> None:
    record = ResponseRecord(404, "", (("Content-Type", "application/json"),), "{}", 2, 1.0)
    exchange = Exchange(None, record, {}, {}, None, None, 1.0)
    body = default_name("a.b", exchange, "body", 0.0)
    assert body.startswith("a.b-404-")
    assert body.endswith(".json")
    assert "-exchange-" in default_name("a.b", exchange, "exchange", 0.0)


def test_styled_splits_segments_at_span_edges() -> None:
    red, mark = Style(color="red"), Style(bgcolor="yellow")
    out = _styled([Segment("abc", red), Segment("def")], [(2, 4, mark)])
    assert [s.text for s in out] == ["ab", "c", "d", "ef"]
    assert out[1].style == red + mark
    assert out[2].style == mark
    assert out[3].style is None


def test_long_lines_give_columns_in_units() -> None:
    line = "é" * 3000 + "needle" + "x" * 3000  # longer than LONG_LINE
    assert len(line) > body_search.LONG_LINE
    for data, column in ((line, 3000), (line.encode(), 6000)):
        found = search(index_lines(data), "needle")
        assert found.position(0) == (0, column)  # bytes: the view slices them by bytes
