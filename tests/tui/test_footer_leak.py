"""Focus changes do not leave dead footer keys alive (see runbench/tui/footer.py)."""

from __future__ import annotations

import gc
from collections.abc import Callable

from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from runbench.tui.app import RunbenchApp
from runbench.tui.widgets.footer import KeyFooter, KeySpec, spec_of
from waits import until


async def test_tab_presses_leave_no_dead_footer_keys(make_app: Callable[..., RunbenchApp]) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for _ in range(12):  # focus moves between widgets with different bindings (a leak
            # would leave ~18 dead keys per move: hundreds, against the ~10 shown)
            await pilot.press("tab")
        await pilot.pause()
        gc.collect()
        shown = set(map(id, app.query(FooterKey)))
        alive = [o for o in gc.get_objects() if isinstance(o, FooterKey)]
        dead = [key for key in alive if id(key) not in shown]
        assert len(shown) > 5
        assert len(dead) <= len(shown)  # at most the keys of the recompose in flight


async def test_footer_is_redrawn_only_when_its_keys_change(
    make_app: Callable[..., RunbenchApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.query_one("#m-title").focus()
        await pilot.pause()
        await pilot.pause()
        keys = list(app.query(FooterKey))
        app.query_one("#m-path").focus()  # another input: the same keys
        await pilot.pause()
        await pilot.pause()
        assert list(app.query(FooterKey)) == keys
        app.query_one("#tree").focus()  # the tree adds a, r, c, delete
        await pilot.pause()
        await pilot.pause()
        shown = list(app.query(FooterKey))
        assert shown != keys
        assert "Rename" in {key.description for key in shown}


def drawn(app: RunbenchApp) -> list[KeySpec]:
    return [spec_of(key) for key in app.query_one(KeyFooter).query_children(FooterKey)]


def composed(app: RunbenchApp) -> list[KeySpec]:
    """What Textual's own Footer.compose would mount for the current bindings."""
    footer = app.query_one(KeyFooter)
    with footer._context():  # as when composing: data_bind looks for the footer there
        keys = list(Footer.compose(footer))
    return [spec_of(key) for key in keys if isinstance(key, FooterKey)]


async def test_footer_changes_only_the_keys_that_change(
    make_app: Callable[..., RunbenchApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        # tree (a, r, c, delete, "? Keys"), an input (no "?", its ctrl+e first), a select,
        # the response body, and back: keys come, go and move
        for target in ("#tree", "#m-title", "#m-verb", "#m-path", "#response-body", "#tree"):
            before = {id(key) for key in app.query(FooterKey)}
            app.query_one(target).focus()
            await until(pilot, lambda: drawn(app) == composed(app), f"footer keys at {target}")
            await pilot.pause()
            assert drawn(app) == composed(app)
            now = list(app.query(FooterKey))
            new = [key for key in now if id(key) not in before]
            assert len(new) <= 4, f"{target}: {len(new)} keys mounted again"
        assert "Rename" in {spec[2] for spec in drawn(app)}
