"""The workbench's screen (screens/workbench.py): no full repaint per focus move, and no
second styling pass over every widget before the first frame."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from textual import events, messages
from textual.css.stylesheet import Stylesheet
from textual.dom import DOMNode
from textual.geometry import Size
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets._select import SelectOverlay

from host_app import Host
from runbench.core.http import Exchange, ResponseRecord
from runbench.tui.app import RunbenchApp
from runbench.tui.screens.dialogs import Field, FormDialog
from runbench.tui.screens.workbench import WorkbenchScreen
from runbench.tui.widgets.footer import KeyFooter, spec_of
from runbench.tui.widgets.response_viewer import ResponseViewer
from waits import settle, until


def style_passes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of widgets of each styling pass from now on."""
    passes: list[int] = []
    update_nodes = Stylesheet.update_nodes

    def spy(self: Stylesheet, nodes: Iterable[DOMNode], animate: bool = False) -> None:
        nodes = list(nodes)
        passes.append(len(nodes))
        update_nodes(self, nodes, animate)

    monkeypatch.setattr(Stylesheet, "update_nodes", spy)
    return passes


async def test_start_up_styles_no_widget_twice_for_nothing(
    make_app: Callable[..., RunbenchApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    passes = style_passes(monkeypatch)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        widgets = len(list(app.screen.walk_children(with_self=True)))
        assert widgets > 50
        assert passes, "no style update at all: the spy is not in the way"
        assert max(passes) < widgets // 3, f"a pass over {max(passes)} of {widgets} widgets"
        app.screen.add_class("-probe")  # a class change still restyles the whole screen
        closed_lists = len(app.screen.query(SelectOverlay))  # but them (tui/restyle.py)
        assert closed_lists
        assert max(passes) >= widgets - closed_lists


async def test_first_layout_has_the_footer_keys(
    make_app: Callable[..., RunbenchApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first frame is whole: the footer's keys are mounted before the first layout,
    not after a refresh (which came five layouts later, after start-up's resizes). Run
    as ``runbench tui`` runs it (``run_test`` lays out once before the app's mount)."""
    keys_at_layout: list[int] = []
    refresh_layout = WorkbenchScreen._refresh_layout

    def spy(self: WorkbenchScreen, *args: Any, **kwargs: Any) -> None:
        keys_at_layout.append(len(self.query_one(KeyFooter).children))
        refresh_layout(self, *args, **kwargs)

    async def look(pilot: Pilot[object]) -> None:
        await settle(pilot)
        assert keys_at_layout, "no layout at all: the spy is not in the way"
        assert keys_at_layout[0] > 5
        assert keys_at_layout[0] == len(pilot.app.query_one(KeyFooter).children)
        pilot.app.exit()

    monkeypatch.setattr(WorkbenchScreen, "_refresh_layout", spy)
    app = make_app()
    await app.run_async(headless=True, size=(80, 24), auto_pilot=look)
    assert app.return_code == 0


async def test_focus_moves_repaint_only_what_changes_then_slash_and_ctrl_b_lay_out_once(
    make_app: Callable[..., RunbenchApp],
) -> None:
    """One app for three checks made after start-up (each with its own spies): a focus
    move does not repaint the whole screen (WorkbenchScreen; the widgets that gain and
    lose focus repaint themselves); ``/`` on a response shows the find bar and the footer's
    keys for its input in one layout (the keys used to come after a refresh, in a second
    one); ctrl+b is one layout and one drawing of the screen, not a second one asked for by
    the sizes the first one set, and a widget that asks for a layout afterwards still gets
    one."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        with pytest.MonkeyPatch.context() as monkeypatch:
            await focus_moves_repaint_only_what_changes(pilot, monkeypatch)
        with pytest.MonkeyPatch.context() as monkeypatch:
            await slash_lays_the_workbench_out_once(pilot, monkeypatch)
        with pytest.MonkeyPatch.context() as monkeypatch:
            await hiding_the_tree_lays_the_screen_out_once(pilot, monkeypatch)


async def focus_moves_repaint_only_what_changes(
    pilot: Pilot[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = pilot.app
    screen = app.screen
    assert isinstance(screen, WorkbenchScreen)
    whole: list[bool] = []
    repainted: list[Widget] = []
    screen_refresh, widget_refresh = Screen.refresh, Widget.refresh

    def spy_screen(self: Screen[Any], *regions: Any, **kwargs: Any) -> Any:
        whole.append(not regions)
        return screen_refresh(self, *regions, **kwargs)

    def spy_widget(self: Widget, *regions: Any, **kwargs: Any) -> Any:
        repainted.append(self)
        return widget_refresh(self, *regions, **kwargs)

    monkeypatch.setattr(Screen, "refresh", spy_screen)
    monkeypatch.setattr(Widget, "refresh", spy_widget)
    title, tree = app.query_one("#m-title"), app.query_one("#tree")
    title.focus()
    await pilot.pause()
    assert screen.focused is title
    assert title.has_pseudo_class("focus")
    assert title in repainted
    assert tree in repainted
    assert not any(whole)


async def slash_lays_the_workbench_out_once(
    pilot: Pilot[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = pilot.app
    viewer = app.query_one(ResponseViewer)
    viewer.show(exchange())
    await until(pilot, lambda: not viewer.formatting, "the body formatted")
    viewer.query_one("#response-body").focus()
    await settle(pilot)
    footer = app.query_one(KeyFooter)
    keys_before = [spec_of(key) for key in footer.children]  # type: ignore[arg-type]
    layouts = count_layouts(monkeypatch)
    await pilot.press("slash")
    await until(pilot, lambda: viewer.find_bar().display, "the bar shown")
    await settle(pilot)
    assert [spec_of(key) for key in footer.children] != keys_before  # type: ignore[arg-type]
    assert len(layouts) == 1


async def hiding_the_tree_lays_the_screen_out_once(
    pilot: Pilot[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = pilot.app
    app.query_one("#response-body").focus()  # the tree keeps no focus to hand on
    await settle(pilot)  # the footer's keys for the new focus included
    screen = app.screen
    layouts: list[bool] = []
    drawn_apart: list[Widget] = []  # drawn by a repaint of their own, not by a layout
    refresh_layout = WorkbenchScreen._refresh_layout
    update_widgets = screen._compositor.update_widgets

    def spy(self: WorkbenchScreen, *args: Any, **kwargs: Any) -> None:
        layouts.append(True)
        monkeypatch.setattr(screen._compositor, "update_widgets", update_widgets)
        refresh_layout(self, *args, **kwargs)
        monkeypatch.setattr(screen._compositor, "update_widgets", spy_drawing)

    def spy_drawing(widgets: set[Widget]) -> None:
        drawn_apart.extend(widgets)
        update_widgets(widgets)

    monkeypatch.setattr(WorkbenchScreen, "_refresh_layout", spy)
    monkeypatch.setattr(screen._compositor, "update_widgets", spy_drawing)
    tree, editor = app.query_one("#tree"), app.query_one("#editor")
    places = {widget: geometry.region for widget, geometry in screen._compositor.layers}
    await pilot.press("ctrl+b")
    # waited for, however long a loaded machine takes; then what else was queued
    await until(pilot, lambda: not tree.display and editor.region.x == 0, "tree hidden")
    await settle(pilot)
    assert editor.region.x == 0  # the editor has the whole width
    assert len(layouts) == 1
    # the layout drew each widget it moved; the sizes it set ask for no second drawing (a
    # widget left in place, such as the body's scroll bar with a new thumb, draws itself)
    moved = [widget for widget in drawn_apart if places.get(widget) != widget.region]
    assert moved == [], f"moved, drawn by the layout, then again: {moved}"
    editor.styles.width = 40  # a later request for a layout is not dropped
    await until(pilot, lambda: editor.region.width == 40, "the editor 40 wide")
    await settle(pilot)
    assert len(layouts) == 2
    assert screen is app.screen


async def test_an_old_layout_request_is_met_and_a_same_size_resize_lays_nothing_out(
    make_app: Callable[..., RunbenchApp],
) -> None:
    """One app for two checks after start-up (each with its own spy): a layout request
    made before the last layout began is dropped, a later one laid out; a resize event
    that keeps the size redraws nothing, a real resize lays out."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        with pytest.MonkeyPatch.context() as monkeypatch:
            await an_old_layout_request_is_met(pilot, monkeypatch)
        with pytest.MonkeyPatch.context() as monkeypatch:
            await a_resize_to_the_same_size_lays_nothing_out(pilot, monkeypatch)


async def an_old_layout_request_is_met(pilot: Pilot[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    app = pilot.app
    screen, tree = app.screen, app.query_one("#tree")
    assert isinstance(screen, WorkbenchScreen)
    stale = messages.Layout(tree)
    screen._refresh_layout()  # began after the request was made
    layouts = count_layouts(monkeypatch)
    screen.post_message(stale)
    await settle(pilot)
    assert layouts == []
    tree.styles.width = 30  # a request made after it is laid out
    await until(pilot, lambda: tree.region.width == 30, "the tree 30 wide")
    assert layouts


async def a_resize_to_the_same_size_lays_nothing_out(
    pilot: Pilot[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = pilot.app
    await settle(pilot)
    layouts: list[bool] = []  # scrolls too
    refresh_layout = WorkbenchScreen._refresh_layout

    def spy(self: WorkbenchScreen, *args: Any, **kwargs: Any) -> None:
        layouts.append(True)
        refresh_layout(self, *args, **kwargs)

    monkeypatch.setattr(WorkbenchScreen, "_refresh_layout", spy)
    screen = app.screen
    screen.post_message(events.Resize(Size(80, 24), Size(80, 24)))
    await settle(pilot)
    assert layouts == []
    await pilot.resize_terminal(100, 30)
    response = app.query_one("#response")
    await until(pilot, lambda: response.region.right == 100, "the response 100 wide")
    assert layouts
    assert screen.has_class("-narrow")  # under 110 columns still


def count_layouts(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Full layouts of the workbench's screen from now on (a scroll is not one)."""
    layouts: list[bool] = []
    refresh_layout = WorkbenchScreen._refresh_layout

    def spy(self: WorkbenchScreen, size: Size | None = None, scroll: bool = False) -> None:
        if not scroll:
            layouts.append(True)
        refresh_layout(self, size, scroll)

    monkeypatch.setattr(WorkbenchScreen, "_refresh_layout", spy)
    return layouts


def exchange() -> Exchange:
    body = json.dumps({"items": [{"id": i, "name": f"Item {i}"} for i in range(40)]})
    record = ResponseRecord(200, "OK", (("Content-Type", "application/json"),), body, 9, 5.0)
    return Exchange(None, record, {}, {}, None, None, 5.0)


async def test_a_dialog_styles_each_widget_once_as_it_opens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A pushed dialog's widgets are styled as they mount; its first ScreenResume (the
    push) no longer restyles its whole subtree again (StyledOnce). A class change still
    restyles it."""
    fields = [Field("name", "Name"), Field("kind", "Kind", options=("method", "end"))]
    async with Host(None).run_test(size=(80, 24)) as pilot:
        passes = style_passes(monkeypatch)
        dialog = FormDialog("Add a step", fields, id="add-step")
        await pilot.app.push_screen(dialog)
        await until(pilot, lambda: bool(dialog.query("#field-kind")), "the dialog composed")
        await settle(pilot)
        widgets = len(list(dialog.walk_children(with_self=True)))
        assert widgets > 10
        assert max(passes, default=0) < widgets // 2, f"a pass over {passes} of {widgets}"
        dialog.add_class("-probe")  # a class change still restyles the whole dialog
        assert max(passes) >= widgets


async def test_tab_in_a_dialog_does_not_redraw_the_dimmed_screen_behind_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A modal's translucent background is the screen below, rendered whole and tinted
    each time the modal's own screen repaints. A focus move inside the dialog repaints the
    two widgets it concerns, not the dialog's screen (StyledOnce drops ``focused``'s
    repaint): the backdrop was drawn again on every Tab."""
    fields = [Field("name", "Name"), Field("path", "Path"), Field("kind", "Kind")]
    async with Host(None).run_test(size=(80, 24)) as pilot:
        dialog = FormDialog("Add a step", fields, id="add-step")
        await pilot.app.push_screen(dialog)
        await until(pilot, lambda: bool(dialog.query("#field-kind")), "the dialog composed")
        await settle(pilot)
        drawn: list[Widget] = []
        render_content = Widget._render_content

        def spy(self: Widget) -> None:
            drawn.append(self)
            render_content(self)

        monkeypatch.setattr(Widget, "_render_content", spy)
        for expected in ("field-path", "field-kind", "form-ok"):
            await pilot.press("tab")
            assert dialog.focused is not None
            assert dialog.focused.id == expected
        await settle(pilot)
        assert drawn, "nothing redrawn: the spy is not in the way"
        assert dialog not in drawn


async def test_a_dialog_lays_out_once_as_it_opens_and_once_for_its_mounts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each layout of a dialog draws it whole, with the screen below rendered again as its
    backdrop. Opening one laid it out three times: as it was shown, for the resize to the
    same size that Textual sends a pushed screen, and for the layout requests its widgets
    posted as they mounted, before the first. LaidOutOnce drops the last two; the one left
    after the first comes from Textual's wait for the mounts, which asks outright."""
    fields = [Field("name", "Name"), Field("kind", "Kind", options=("method", "end"))]
    async with Host(None).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        layouts: list[Screen[Any]] = []
        refresh_layout = Screen._refresh_layout

        def spy(self: Screen[Any], size: Size | None = None, scroll: bool = False) -> None:
            if not scroll:
                layouts.append(self)
            refresh_layout(self, size, scroll)

        monkeypatch.setattr(Screen, "_refresh_layout", spy)
        dialog = FormDialog("Add a step", fields, id="add-step")
        await pilot.app.push_screen(dialog)
        await until(pilot, lambda: bool(dialog.query("#field-kind")), "the dialog composed")
        await settle(pilot)
        assert layouts.count(dialog) == 2, layouts
        assert dialog.query_one("#field-name").region.width > 0  # laid out all the same


def test_every_dialog_derives_from_dialog_screen() -> None:
    """A dialog that lists its own mixins can forget one (a second styling pass, or two more
    layouts, each time it opens): every ModalScreen of the workbench has the one base."""
    import pkgutil
    from importlib import import_module

    from textual.screen import ModalScreen

    import runbench.tui
    from runbench.tui.screens.dialog_screen import DialogScreen

    for module in pkgutil.walk_packages(runbench.tui.__path__, "runbench.tui."):
        import_module(module.name)

    def modal_classes(cls: type) -> list[type]:
        found: list[type] = []
        subclasses: list[type] = cls.__subclasses__()
        for sub in subclasses:
            if sub.__module__.startswith("runbench."):
                found.append(sub)
            found.extend(modal_classes(sub))
        return found

    dialogs = [cls for cls in modal_classes(ModalScreen) if cls is not DialogScreen]
    assert len(dialogs) >= 8
    assert [cls for cls in dialogs if not issubclass(cls, DialogScreen)] == []
