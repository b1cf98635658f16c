"""The response viewer alone, in a small host app: search (/ n N escape) in the body and
the headers, a search that stopped short, and wrap (w). What crosses panes (zoom, filter, save, copy, pager, history) is
in test_tui_responses.py, on the whole workbench."""

from __future__ import annotations

import json
import threading
from array import array
from collections.abc import Callable
from typing import Any

import pytest
from rich.text import Text
from textual.pilot import Pilot

from host_app import Host
from runbench.core.http import Exchange, ResponseRecord
from runbench.tui.state.body_lines import Lines, index_lines
from runbench.tui.state.body_search import Matches, count_status
from runbench.tui.widgets import response_viewer
from runbench.tui.widgets.find_bar import FindBar
from runbench.tui.widgets.line_view import LineView
from runbench.tui.widgets.response_viewer import ResponseViewer
from waits import DEADLINE, type_text, until

SIZE = (80, 24)
ITEMS = {
    "items": [
        {"id": i, "status": "open" if i % 3 else "closed", "name": f"Item {i}"} for i in range(40)
    ]
}


def viewer_host() -> Host:
    """One ResponseViewer with the workbench's styles, zoomed (ctrl+r) as the workbench
    shows it full screen."""
    viewer = ResponseViewer(id="response")
    viewer.add_class("-zoomed")
    return Host(viewer)


def exchange_of(body: str, content_type: str = "application/json") -> Exchange:
    record = ResponseRecord(200, "OK", (("Content-Type", content_type),), body, len(body), 5.0)
    return Exchange(None, record, {}, {}, None, None, 5.0)


async def shown(pilot: Pilot[Any], exchange: Exchange) -> ResponseViewer:
    viewer = pilot.app.query_one(ResponseViewer)
    viewer.show(exchange)
    await until(pilot, lambda: not viewer.formatting, "the body formatted")
    pilot.app.query_one("#response-body", LineView).focus()
    await pilot.pause()
    return viewer


def finding(viewer: ResponseViewer) -> bool:
    """The find bar is open with its input focused: typed keys go there."""
    return viewer.find_bar().display and viewer.app.focused is viewer.query_one("#find-input")


def searched(viewer: ResponseViewer) -> bool:
    return viewer.matches is not None and viewer.matches.done


async def test_search_marks_counts_and_walks_matches() -> None:
    async with viewer_host().run_test(size=SIZE) as pilot:
        viewer = await shown(pilot, exchange_of(json.dumps(ITEMS)))
        view = viewer.query_one("#response-body", LineView)
        await pilot.press("slash")
        await until(pilot, lambda: finding(viewer), "the find bar")
        await type_text(pilot, "item 1")  # no capitals: any case; Item 1, 10..19
        await until(pilot, lambda: searched(viewer), "the search done")
        assert viewer.matches is not None
        assert viewer.matches.count == 11
        assert str(viewer.query_one("#find-status").render()).strip() == "1 of 11"
        first = view.current
        assert first is not None
        assert view.lines.line(first[0]).strip() == '"name": "Item 1"'
        await pilot.press("enter")  # closes the bar, keeps the matches
        assert not viewer.query_one(FindBar).display
        assert view.has_focus
        await pilot.press("n", "n")
        assert viewer.match_index == 2
        assert view.current is not None
        assert view.current[0] > first[0]
        assert view.cursor == view.current[0]
        await pilot.press("N", "N", "N")
        assert viewer.match_index == 10  # wraps around
        await pilot.press("slash", "I")  # a capital: case matters now, "item 1I" matches nothing
        await until(pilot, lambda: searched(viewer) and viewer.query_text.endswith("I"), "none")
        assert viewer.matches is not None
        assert viewer.matches.count == 0
        await pilot.press("escape")  # closes the bar
        await pilot.press("escape")  # clears the search
        assert viewer.query_text == ""
        assert view.marks is None
        assert not viewer.check_action("clear", ())  # the next escape is the app's


async def test_enter_closes_the_bar_and_keeps_the_search(monkeypatch: pytest.MonkeyPatch) -> None:
    """Enter starts no search: the keys typed did. ``FindBar.Submitted`` was a ``Changed``,
    and Textual calls the handlers of every class a message derives from, so enter also ran
    the viewer's search-as-you-type: on a 50 MiB body a new search child and a count from
    zero, beside the key (issue 19's slowest key)."""
    searches: list[str] = []
    find = ResponseViewer.find

    def counted(self: ResponseViewer, text: str) -> None:
        searches.append(text)
        find(self, text)

    monkeypatch.setattr(ResponseViewer, "find", counted)
    async with viewer_host().run_test(size=SIZE) as pilot:
        viewer = await shown(pilot, exchange_of(json.dumps(ITEMS)))
        await pilot.press("slash")
        await until(pilot, lambda: finding(viewer), "the find bar")
        await type_text(pilot, "item 1")
        await until(pilot, lambda: searched(viewer), "the search done")
        assert searches == ["i", "it", "ite", "item", "item ", "item 1"]
        matches = viewer.matches
        await pilot.press("enter")
        await until(pilot, lambda: not viewer.find_bar().display, "the bar closed")
        assert searches == ["i", "it", "ite", "item", "item ", "item 1"]  # none more
        assert viewer.matches is matches  # the count shown is the one kept
        assert viewer.query_one("#response-body", LineView).has_focus


async def test_search_in_headers_tab() -> None:
    async with viewer_host().run_test(size=SIZE) as pilot:
        viewer = await shown(pilot, exchange_of(json.dumps(ITEMS)))
        viewer.query_one("#response-tabs").active = "tab-response-headers"  # type: ignore[attr-defined]
        viewer.query_one("#response-headers", LineView).focus()
        await pilot.press("slash")
        await until(pilot, lambda: finding(viewer), "the find bar")
        await type_text(pilot, "json")
        await until(pilot, lambda: searched(viewer), "the search done")
        assert viewer.matches is not None
        assert viewer.matches.count == 1
        assert viewer.query_one("#response-headers", LineView).current == (0, 26, 4)


async def test_wrap_shows_a_long_line_on_many_rows() -> None:
    async with viewer_host().run_test(size=SIZE) as pilot:
        long_line = "".join(f"{i:05d}" for i in range(200))  # 1000 characters
        viewer = await shown(pilot, exchange_of(long_line, "text/plain"))
        view = viewer.query_one("#response-body", LineView)
        await pilot.press("w")
        await until(pilot, lambda: view.wrap, "wrapped")
        await pilot.pause()
        width = view.scrollable_content_region.width
        rows = [view.render_line(y).text.rstrip() for y in range(3)]
        assert rows == [long_line[i * width : (i + 1) * width] for i in range(3)]
        assert view.virtual_size.height == -(-1000 // width)
        await pilot.press("w")
        await until(pilot, lambda: not view.wrap, "unwrapped")
        await pilot.pause()
        assert view.virtual_size.height == 1


async def test_a_search_that_stopped_short_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """A count whose child died shows that it stopped (the matches so far still walk),
    not "searching…" or "k of n+" forever."""

    def stopped_search(lines: Lines, query: str, **_kwargs: Any) -> Matches:
        matches = Matches(query, lines, array("q", [lines.starts[3]]), count=4, length=4)
        matches.stopped = True
        return matches

    monkeypatch.setattr(response_viewer, "search", stopped_search)
    async with viewer_host().run_test(size=SIZE) as pilot:
        viewer = await shown(pilot, exchange_of(json.dumps(ITEMS)))
        await pilot.press("slash")
        await until(pilot, lambda: finding(viewer), "the find bar")
        await type_text(pilot, "item")
        await until(pilot, lambda: viewer.matches is not None, "the stopped search shown")
        assert str(viewer.query_one("#find-status").render()) == "1 of 4+, count stopped"
        assert viewer.query_one("#response-body", LineView).current == (3, 0, 4)


def test_count_status_of_a_stopped_search_without_matches() -> None:
    matches = Matches("x", index_lines("abc"), stopped=True)
    assert count_status(matches, -1).plain == "search stopped: no match so far"
    matches.stopped, matches.done = False, True
    assert count_status(matches, -1).plain.strip() == "no match"


def growing_search(release: threading.Event) -> Any:
    """A search that waits for ``release``, then reports a count gaining a digit each
    time (a big body's count, every 16 MiB) before its final count."""

    def fake(lines: Lines, query: str, *, progress: Any, **_kwargs: Any) -> Matches:
        release.wait(DEADLINE)
        matches = Matches(query, lines, array("q", [lines.starts[2]]), length=len(query))
        for count in (1, 12, 123):
            matches.count = count
            progress(matches)
        matches.count, matches.done = 124, True
        return matches

    return fake


async def test_a_growing_count_keeps_the_status_width_and_a_closed_bar_quiet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Reports of a growing count repaint the status without a layout (one width from
    "searching…" to the final count); once enter closed the bar they show no toast
    (one per report was shown), while n still says where it is."""
    release = threading.Event()
    monkeypatch.setattr(response_viewer, "search", growing_search(release))
    toasts: list[str] = []
    monkeypatch.setattr(ResponseViewer, "notify", lambda _self, text, **_kw: toasts.append(text))
    body = json.dumps({"items": [f"item {i}" for i in range(400)]})  # room for 3 digits
    async with viewer_host().run_test(size=SIZE) as pilot:
        viewer = await shown(pilot, exchange_of(body))
        status = viewer.query_one("#find-status")
        widths: list[int] = []
        monkeypatch.setattr(
            FindBar, "status", recording(FindBar.status, lambda t: widths.append(t.cell_len))
        )
        await pilot.press("slash")
        await until(pilot, lambda: finding(viewer), "the find bar")
        widths.clear()
        await type_text(pilot, "item")
        release.set()
        await until(pilot, lambda: searched(viewer), "the count done")
        assert str(status.render()).strip() == "1 of 124"
        # "searching…" at each key, three reports, the final count: one width throughout
        assert len(widths) >= 5, widths
        assert len(set(widths)) == 1, widths
        assert toasts == []
        release.clear()
        await type_text(pilot, " 1")
        await pilot.press("enter")  # the bar closes while the count goes on
        await until(pilot, lambda: not viewer.find_bar().display, "the bar closed")
        release.set()
        await until(pilot, lambda: searched(viewer), "the second count done")
        assert toasts == []
        await pilot.press("n")
        await until(pilot, lambda: toasts == ["1 of 124"], "n says where it is")


async def test_the_viewers_count_is_the_one_it_showed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The search goes on changing its own Matches after a report; the viewer's matches stay
    as reported (done only once the final count is shown), so a wait on ``searched`` never
    reads a count the status has not caught up with ("1 of 123+" for "1 of 124")."""
    counted, finish = threading.Event(), threading.Event()

    def counting_on(lines: Lines, query: str, *, progress: Any, **_kwargs: Any) -> Matches:
        matches = Matches(query, lines, array("q", [lines.starts[2]]), count=1, length=4)
        progress(matches)  # returns once the viewer has taken the report in
        matches.count, matches.done = 2, True
        counted.set()
        finish.wait(DEADLINE)
        return matches

    monkeypatch.setattr(response_viewer, "search", counting_on)
    async with viewer_host().run_test(size=SIZE) as pilot:
        viewer = await shown(pilot, exchange_of(json.dumps(ITEMS)))
        status = viewer.query_one("#find-status")
        await pilot.press("slash")
        await until(pilot, lambda: finding(viewer), "the find bar")
        await type_text(pilot, "item")
        await until(pilot, counted.is_set, "the search counted on after its report")
        assert viewer.matches is not None
        assert (viewer.matches.count, viewer.matches.done) == (1, False)
        assert str(status.render()).strip() == "1 of 1+"
        finish.set()
        await until(pilot, lambda: searched(viewer), "the count done")
        assert str(status.render()).strip() == "1 of 2"


def recording(method: Any, seen: Callable[[Text], None]) -> Any:
    def spy(self: Any, text: str | Text) -> None:
        seen(Text(text) if isinstance(text, str) else text)
        method(self, text)

    return spy


async def test_opening_the_bar_takes_the_count_toast_away() -> None:
    """n with the bar closed says where it is in a toast (1.5 s); / then opens the bar, whose
    own count lies under those toasts: they go, other notices stay. (The workbench draws
    them; this host app does not, so the drawn toasts were checked in tmux.)"""
    body = json.dumps({"items": [f"item {i}" for i in range(20)]})
    async with viewer_host().run_test(size=SIZE) as pilot:
        viewer = await shown(pilot, exchange_of(body))
        await pilot.press("slash")
        await until(pilot, lambda: finding(viewer), "the find bar")
        await type_text(pilot, "item")
        await until(pilot, lambda: searched(viewer), "the count done")
        await pilot.press("enter")
        await until(pilot, lambda: not viewer.find_bar().display, "the bar closed")
        viewer.app.notify("something else")
        await pilot.press("n")
        shown_now = lambda: [n.message for n in viewer.app._notifications]  # noqa: E731
        await until(pilot, lambda: "2 of 21" in shown_now(), "n's toast")  # 20 items, "items"
        await pilot.press("n")
        await until(pilot, lambda: "3 of 21" in shown_now(), "the second toast")
        await pilot.press("slash")
        await until(pilot, lambda: finding(viewer), "the find bar again")
        assert shown_now() == ["something else"]
