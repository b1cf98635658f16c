"""ASCII mode is complete: with ``--ascii`` (or a non-UTF-8 locale) no character outside
ASCII is on screen, on every main screen: the method, integration and overview editors,
the runbook pane's tabs, and the dialogs (palette, help, checker, forms, confirmations,
the trigger). The text is what the terminal would get, read from the compositor."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import partial

from rich.console import Console

from runbench.tui.app import RunbenchApp
from runbench.tui.ascii_filter import ascii_char, to_ascii_text
from runbench.tui.widgets.runbook_pane import RunbookPane
from runbench.tui.widgets.tree import Selection
from waits import settle

SIZE = (80, 24)
MakeApp = Callable[..., RunbenchApp]


def screen_text(app: RunbenchApp) -> str:
    """Every character on screen, as the terminal would get it (styles left out)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True)
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text(styles=False)


def assert_ascii(app: RunbenchApp, where: str) -> None:
    text = screen_text(app)
    strange = sorted({c for c in text if not c.isascii()})
    assert not strange, f"{where}: {strange}\n{text}"


async def test_no_character_outside_ascii_on_any_main_screen(make_app: MakeApp) -> None:
    app = make_app(ascii_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert_ascii(app, "method editor")
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert_ascii(app, "method editor after a test")
        for name in ("ctrl+p", "f1", "ctrl+e"):
            await pilot.press(name)
            await settle(pilot)
            assert_ascii(app, name)
            await pilot.press("escape")
            await settle(pilot)
        await pilot.press("down")  # the halo integration
        await settle(pilot)
        assert_ascii(app, "integration editor")
        app.go_to(Selection("integrations"))
        await settle(pilot)
        assert_ascii(app, "overview")
        await pilot.press("a")
        await settle(pilot)
        assert_ascii(app, "add integration form")
        await pilot.press("escape")
        app.go_to(Selection("step", runbook="ask_chatgpt", step="check"))
        await settle(pilot)
        assert_ascii(app, "flowchart")
        for tab in ("tab-step", "tab-log", "tab-vars", "tab-history", "tab-details"):
            app.with_runbook_pane(partial(RunbookPane.open_tab, tab=tab))
            await settle(pilot)
            assert_ascii(app, tab)
        app.query_one("#tree").focus()
        await pilot.press("delete")
        while not app.screen.query("#choice-yes"):  # the dialog composes after the push
            await pilot.pause()
        assert app.screen.id == "confirm"
        assert_ascii(app, "confirm")
        await pilot.press("escape", "f5")
        await settle(pilot)
        assert_ascii(app, "trigger dialog")


def test_the_filter_keeps_every_cell() -> None:
    assert to_ascii_text("▶●ask ─┬─╮ ✔ … 🔎x") == ">*ask -+-+ + . > x"
    assert ascii_char("é") == "e"
    assert ascii_char("\u0301") == ""
    assert ascii_char("日") == "??"  # two cells wide: two stand-ins
