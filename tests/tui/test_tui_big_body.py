"""Big response bodies: line indexing in slices, the child process's memory-mapped result,
long lines sliced to the screen, and the viewer after scrolling and zooming (ctrl+r)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from textual.app import App, ComposeResult

from runbench.core.http import Exchange, ResponseRecord
from runbench.tui.app import RunbenchApp
from runbench.tui.state import body_lines as body_format
from runbench.tui.state.body_lines import format_body, index_lines
from runbench.tui.widgets.line_view import LineView
from runbench.tui.widgets.response_viewer import ResponseViewer

TEXTS = [
    "",
    "\n",
    "a",
    "abc\n",
    "\n\nxy\n\n",
    "one\ntwo\nthree",
    "long line here\nx\n" * 5,
    "é\nüñï\n€x",
]


def records(n: int) -> Any:
    return {
        "users": [{"id": i, "name": f"usér {i}", "tags": ["a", "ü"], "x": None} for i in range(n)]
    }


def exchange_of(body: str) -> Exchange:
    record = ResponseRecord(
        200, "OK", (("content-type", "application/json"),), body, len(body), 5.0
    )
    return Exchange(None, record, {}, {}, None, None, 5.0)


@pytest.mark.parametrize("text", TEXTS)
def test_index_lines_in_slices_matches_split(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(body_format, "SLICE", 3)
    lines = index_lines(text)
    expected = text.split("\n")
    assert [lines.line(i) for i in range(lines.count)] == expected
    assert lines.width == max(map(len, expected))
    data = index_lines(text.encode())
    assert [data.line(i) for i in range(data.count)] == expected


def test_child_result_stays_bytes_and_decodes_per_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(body_format, "EXACT_LIMIT", 20_000)  # a small body takes the child path
    data = records(2_000)
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    assert len(body) > body_format.EXACT_LIMIT
    child = format_body(body, "application/json", in_process=True)
    assert not isinstance(child.data, str)  # the memory-mapped output, not a copy
    expected = json.dumps(data, indent=2, ensure_ascii=False).split("\n")
    assert child.count == len(expected)
    assert [child.line(i) for i in range(child.count)] == expected  # byte offsets, "é" too
    assert child.text == "\n".join(expected)


def test_long_line_is_sliced_to_the_visible_columns() -> None:
    lines = index_lines("short\n" + "".join(f"{i:07d}" for i in range(30_000)))
    assert lines.part(1, 70_000, 70_014) == "0010000" + "0010001"
    assert lines.part(1, 10**9, 10**9 + 5) == ""
    assert lines.part(0, 2, 100) == "ort"


class LineHost(App[None]):
    """The line view alone."""

    def compose(self) -> ComposeResult:
        yield LineView()


async def test_long_line_view_renders_the_scrolled_columns() -> None:
    app = LineHost()
    line = "".join(f"{i:07d}" for i in range(30_000))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = app.query_one(LineView)
        view.show(index_lines("{\n" + line))
        await pilot.pause()
        view.scroll_to(70_000, 0, animate=False)
        await pilot.pause()
        shown = view.render_line(1).text
        assert shown.startswith("0010000")
        assert line[70_000:].startswith(shown)


async def test_big_body_shows_the_right_lines_after_scrolling(
    make_app: Callable[..., RunbenchApp],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the size thresholds lowered, a small body takes the big-body path: preview,
    then the child process's memory-mapped result, and scrolling shows its lines."""
    monkeypatch.setattr(body_format, "EXACT_LIMIT", 20_000)
    monkeypatch.setattr(body_format, "PREVIEW_CHARS", 4_000)
    data = records(2_000)
    expected = json.dumps(data, indent=2, ensure_ascii=False).split("\n")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.query_one(ResponseViewer).show(exchange_of(json.dumps(data, ensure_ascii=False)))
        await app.workers.wait_for_complete()
        await pilot.pause()
        view = app.query_one("#response-body", LineView)
        assert not isinstance(view.lines.data, str)
        assert view.lines.count == len(expected)
        view.focus()
        await pilot.press("pagedown", "pagedown", "down")
        await pilot.pause()
        top = view.scroll_offset.y
        assert top > 5
        for y in range(3):
            assert view.render_line(y).text.rstrip() == expected[top + y]
        await pilot.press("end")
        await pilot.pause()
        bottom = view.scroll_offset.y + view.scrollable_content_region.height - 1
        assert bottom == len(expected) - 1
        assert view.render_line(view.scrollable_content_region.height - 1).text.rstrip() == "}"


async def test_ctrl_r_zooms_the_response_to_the_whole_screen(
    make_app: Callable[..., RunbenchApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        viewer = app.query_one(ResponseViewer)
        normal = viewer.region
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert viewer.region.width == 80
        assert viewer.region.height > normal.height
        assert viewer.has_focus_within  # keys go to the body
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert viewer.region == normal
        assert app.query_one("#tree").display
        assert app.focused is app.query_one("#tree")  # focus is back where it was
        await pilot.press("ctrl+b", "ctrl+r")  # tree hidden before the zoom: hidden after
        await pilot.pause()
        assert viewer.region.width == 80
        await pilot.press("escape")
        await pilot.pause()
        assert not app.query_one("#tree").display
        assert app.query_one("#editor").display
        assert viewer.region.width == 80
        assert viewer.region.height == normal.height
