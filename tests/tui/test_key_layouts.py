"""Keys that change one pane do not restyle or lay out the rest: the response viewer's
``-focus-within`` class (widgets/own_classes.py) and the find bar that changes only what
differs (widgets/find_bar.py). ``benchmarks/bench_tui_layouts.py`` counts them per key on
the whole workbench."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.containers import Vertical
from textual.css.stylesheet import Stylesheet
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Input, Select
from textual.widgets._select import SelectCurrent, SelectOverlay

from host_app import Host
from runbench.core.http import Exchange, ResponseRecord
from runbench.tui.app import RunbenchApp
from runbench.tui.screens.workbench import WorkbenchScreen
from runbench.tui.widgets.field_input import FieldInput
from runbench.tui.widgets.find_bar import FindBar
from runbench.tui.widgets.line_view import LineView
from runbench.tui.widgets.own_classes import FOCUS_WITHIN, OWN_CLASSES
from runbench.tui.widgets.response_viewer import ResponseViewer
from waits import settle, until

SIZE = (80, 24)
BODY = json.dumps({"items": [{"id": i, "name": f"Item {i}"} for i in range(40)]})


def exchange() -> Exchange:
    record = ResponseRecord(200, "OK", (("Content-Type", "application/json"),), BODY, 9, 5.0)
    return Exchange(None, record, {}, {}, None, None, 5.0)


class WorkbenchHost(Host):
    """On the workbench's screen, which lays out once per change."""

    def get_default_screen(self) -> WorkbenchScreen:
        return WorkbenchScreen()


def host() -> Host:
    """A field outside the viewer, then the viewer (zoomed, as the search benchmark)."""
    viewer = ResponseViewer(id="response")
    viewer.add_class("-zoomed")
    return WorkbenchHost(Vertical(Input(id="outside"), viewer))


@contextmanager
def restyles(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[DOMNode]]]:
    """Each pass of the stylesheet over some widgets, as it happens."""
    passes: list[list[DOMNode]] = []
    update_nodes = Stylesheet.update_nodes

    def spy(self: Stylesheet, nodes: Iterable[DOMNode], animate: bool = False) -> None:
        nodes = list(nodes)
        passes.append(nodes)
        update_nodes(self, nodes, animate)

    with monkeypatch.context() as patched:
        patched.setattr(Stylesheet, "update_nodes", spy)
        yield passes


@contextmanager
def layout_requests(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Each widget that asks the screen for a layout."""
    asked: list[Any] = []
    on_layout = Screen._on_layout

    async def spy(self: Screen[Any], message: Any) -> None:
        asked.append(message.widget)
        await on_layout(self, message)

    with monkeypatch.context() as patched:
        patched.setattr(Screen, "_on_layout", spy)
        yield asked


async def test_focus_moves_inside_the_viewer_restyle_only_what_gains_or_loses_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with host().run_test(size=SIZE) as pilot:
        app = pilot.app
        viewer = app.query_one(ResponseViewer)
        viewer.show(exchange())
        await until(pilot, lambda: not viewer.formatting, "the body formatted")
        outside_look = viewer.styles.border_left
        body = viewer.query_one("#response-body", LineView)
        body.focus()
        await until(pilot, lambda: viewer.has_class(FOCUS_WITHIN), "the class set")
        assert viewer.styles.border_left != outside_look  # the accent of app.tcss
        widgets = len(list(viewer.walk_children(with_self=True)))
        assert widgets > 20  # a restyle of the viewer's subtree would show
        with restyles(monkeypatch) as passes:
            await pilot.press("slash")
            await until(pilot, lambda: app.focused is viewer.query_one("#find-input"), "bar")
            await pilot.press("enter")
            await until(pilot, lambda: app.focused is body, "back in the body")
            await pilot.pause()
        assert passes, "no restyle at all: the spy is not in the way"
        assert max(len(nodes) for nodes in passes) <= 3, [len(nodes) for nodes in passes]
        assert viewer.has_class(FOCUS_WITHIN)
        with restyles(monkeypatch) as passes:
            app.query_one("#outside").focus()
            await until(pilot, lambda: not viewer.has_class(FOCUS_WITHIN), "the class gone")
        assert [viewer] in passes  # the viewer alone, not its subtree
        assert max(len(nodes) for nodes in passes) <= 3
        assert viewer.styles.border_left == outside_look


async def test_reopening_the_find_bar_asks_for_one_layout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bar is mounted with the first response; / shows it, and changes neither its
    prompt, its status nor its error line when they are as they were."""
    async with host().run_test(size=SIZE) as pilot:
        app = pilot.app
        viewer = app.query_one(ResponseViewer)
        viewer.show(exchange())
        await until(pilot, lambda: not viewer.formatting, "the body formatted")
        assert viewer.query(FindBar), "the bar is mounted with the response"
        viewer.query_one("#response-body").focus()
        await pilot.pause()
        for _ in range(2):
            with layout_requests(monkeypatch) as asked:
                await pilot.press("slash")
                await until(pilot, lambda: viewer.find_bar().display, "the bar shown")
                await pilot.pause()
            await pilot.press("escape")  # closes the bar
            await until(pilot, lambda: not viewer.find_bar().display, "the bar hidden")
        assert asked == [viewer.find_bar()]  # the second time: only its display changed


async def test_a_status_as_wide_as_before_is_repainted_without_a_layout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with WorkbenchHost(FindBar(id="find-bar")).run_test(size=SIZE) as pilot:
        bar = pilot.app.query_one(FindBar)
        bar.open("find")
        shown = bar.query_one("#find-status")
        bar.status("1 of 12")
        await pilot.pause()
        await until(pilot, lambda: shown.size.width == 7, "placed")
        with layout_requests(monkeypatch) as asked:
            bar.status("2 of 12")
            bar.status(Text("2 of 12"))  # the same: nothing to do
            await pilot.pause()
            await pilot.pause()
        assert str(shown.render()) == "2 of 12"
        assert asked == []
        with layout_requests(monkeypatch) as asked:
            bar.status("10 of 12")  # wider: the status takes room from the input
            await until(pilot, lambda: shown.size.width == 8, "the wider count placed")
        assert asked == [shown]

        def colours() -> set[str]:
            return {str(segment.style.color) for segment in shown.render_line(0) if segment.style}

        plain = colours()
        bar.status(Text("10 of 12", style="yellow"))  # same text, another look: shown
        await until(pilot, lambda: colours() != plain, "the new look")


async def test_a_field_draws_what_textuals_input_draws_without_a_layout_per_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """FieldInput (widgets/field_input.py) against Textual's Input: the same keys, the same
    text, cursor and scrolling on screen; typing asks the screen for no layout."""
    stock, field = Input(id="stock", compact=True), FieldInput(id="field", compact=True)
    for each in (stock, field):
        each.styles.width = 16
    keys = [*"a/long/path/<<id>>/items", "home", "right", "right", "end", "left", "left"]
    keys += ["backspace", "backspace", "ctrl+left", "x", "end", *"?q=1", "home", "delete"]
    async with WorkbenchHost(Vertical(stock, field)).run_test(size=SIZE) as pilot:

        def drawn(widget: Input) -> tuple[str, float, int]:
            line = "".join(segment.text for segment in widget.render_line(0))
            return line, widget.scroll_x, widget.cursor_position

        shown: dict[str, list[tuple[str, float, int]]] = {}
        for each in (stock, field):
            each.focus()
            await pilot.pause()
            with layout_requests(monkeypatch) as asked:
                shown[each.id or ""] = []
                for key in keys:
                    await pilot.press(key)
                    shown[each.id or ""].append(drawn(each))
            if each is field:
                assert asked == []
        assert stock.value == field.value != ""
        assert shown["field"] == shown["stock"]
        assert any(scroll for _, scroll, _ in shown["field"])  # the text did scroll


async def test_a_closed_dropdowns_list_is_restyled_only_as_it_opens_and_closes(
    make_app: Callable[..., RunbenchApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Focusing a closed Select, or leaving it, restyles the Select and what shows its
    value, not its hidden option list (6 of the 19 nodes restyled); opening restyles the
    list, which then looks as a full restyle would make it, and closing hides it."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        select = app.query_one("#m-verb", Select)
        overlay = select.query_one(SelectOverlay)
        with restyles(monkeypatch) as passes:
            select.focus()
            await until(pilot, lambda: select.has_focus, "the Select focused")
            await pilot.pause()
        restyled = [node for nodes in passes for node in nodes]
        assert select.query_one(SelectCurrent) in restyled  # :focus still reaches its value
        assert overlay not in restyled
        await pilot.press("enter")
        await until(pilot, lambda: overlay.has_focus, "the dropdown open")
        assert overlay.display
        opened = overlay.styles.css
        app.stylesheet.update(app.screen)  # everything, as a theme change does
        assert overlay.styles.css == opened
        await pilot.press("escape")
        await until(pilot, lambda: select.has_focus, "the dropdown closed")
        assert not overlay.display
        with restyles(monkeypatch) as passes:
            await pilot.press("tab")
            await until(pilot, lambda: not select.has_focus, "the Select left")
            await pilot.pause()
        assert overlay not in [node for nodes in passes for node in nodes]
        assert not overlay.display


def test_own_classes_style_only_the_widget_that_carries_them() -> None:
    """set_own_classes restyles one widget: app.tcss may use those classes on the widget
    itself (the last part of a selector), never to style something inside it."""
    css = re.sub(r"/\*.*?\*/", "", Path(str(RunbenchApp.CSS_PATH)).read_text(), flags=re.S)
    found = 0
    for selectors in re.findall(r"([^{}]+)\{", css):
        for selector in selectors.split(","):
            parts = selector.split()
            for index, part in enumerate(parts):
                used = [name for name in OWN_CLASSES if re.search(rf"\.{name}(?![\w-])", part)]
                if used:
                    found += 1
                    assert index == len(parts) - 1, f"{selector.strip()!r} styles inside {used}"
    assert found >= len(OWN_CLASSES)  # each is used, so the check looks at something


def test_the_workbench_jumps_unless_textual_animations_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scrolls and tab underlines do not animate (frames of CPU after the key) unless
    TEXTUAL_ANIMATIONS asks for Textual's animations."""
    path = tmp_path / "w.toml"
    path.write_text('name = "w"\n')
    monkeypatch.delenv("TEXTUAL_ANIMATIONS", raising=False)
    assert RunbenchApp(path, environ={}).animation_level == "none"
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "full")
    assert RunbenchApp(path, environ={}).animation_level == "full"
