"""The file side of the workbench at 80x24: save as, the conflict dialog (diff, overwrite,
save as, reload), a moved or deleted file, undo/redo of field and structural edits, a
new file offered from the starter, and quitting with a run going."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Static

from runbench.tui.app import RunbenchApp
from runbench.tui.widgets.tree import Selection
from waits import dialog, settle

SIZE = (80, 24)
MakeApp = Callable[..., RunbenchApp]


def edited(app: RunbenchApp) -> dict[str, Any]:
    return tomllib.loads(app.document.text())


async def type_path(pilot: Pilot[Any], path: Path) -> None:
    await dialog(pilot, "#field-path", screen="save-workspace-as")
    field = pilot.app.screen.query_one("#field-path", Input)
    field.value = str(path)
    await pilot.press("enter")
    await settle(pilot)


async def test_save_as_writes_the_new_file_and_edits_it_from_then_on(
    make_app: MakeApp, tmp_path: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.query_one("#m-path", Input).value = "/v2"
        await pilot.pause()
        await pilot.press("f12")
        target = tmp_path / "copy.toml"
        await type_path(pilot, target)
        assert app.document.path == target
        assert not app.document.dirty
        assert app.title == "runbench: copy.toml"
        data = tomllib.loads(target.read_text(encoding="utf-8"))
        assert data["integrations"]["openai"]["methods"]["completions"]["path"] == "/v2"


async def test_conflict_offers_diff_then_overwrite(make_app: MakeApp, workspace_file: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.query_one("#m-path", Input).value = "/mine"
        await pilot.pause()
        theirs = workspace_file.read_text(encoding="utf-8").replace("Demo service desk", "Theirs")
        workspace_file.write_text(theirs, encoding="utf-8")
        await pilot.press("ctrl+s")
        await dialog(pilot, "#choice-diff", screen="conflict-dialog")
        await pilot.press("enter")  # Diff is the default
        await dialog(pilot, "#diff-text", screen="diff-screen")
        diff = str(app.screen.query_one("#diff-text", Static).render())
        assert '-name = "Theirs"' in diff
        assert "+path = " in diff
        assert "/mine" in diff
        await pilot.press("escape")  # back to the choice
        await dialog(pilot, "#choice-overwrite", screen="conflict-dialog")
        await pilot.click("#choice-overwrite")
        await settle(pilot)
        data = tomllib.loads(workspace_file.read_text(encoding="utf-8"))
        assert data["name"] == "Demo service desk"
        assert not app.document.dirty
        assert data["integrations"]["openai"]["methods"]["completions"]["path"] == "/mine"


async def test_conflict_save_as_keeps_both(
    make_app: MakeApp, workspace_file: Path, tmp_path: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.query_one("#m-path", Input).value = "/mine"
        await pilot.pause()
        workspace_file.write_text("# someone else's\n" + workspace_file.read_text(), "utf-8")
        await pilot.press("ctrl+s")
        await dialog(pilot, "#choice-save_as", screen="conflict-dialog")
        await pilot.click("#choice-save_as")
        target = tmp_path / "mine.toml"
        await type_path(pilot, target)
        assert workspace_file.read_text(encoding="utf-8").startswith("# someone else's")
        assert "/mine" in target.read_text(encoding="utf-8")
        assert app.document.path == target


async def test_a_deleted_file_can_be_recreated(make_app: MakeApp, workspace_file: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.query_one("#m-path", Input).value = "/mine"
        await pilot.pause()
        workspace_file.unlink()
        await pilot.press("ctrl+s")
        await dialog(pilot, "#choice-recreate", screen="missing-dialog")
        await pilot.press("enter")  # Recreate is the default
        await settle(pilot)
        assert "/mine" in workspace_file.read_text(encoding="utf-8")


async def test_undo_redo_field_and_structural_edits(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        original = app.document.text()
        field = app.query_one("#m-path", Input)
        field.focus()
        await pilot.press("end", *"/v2")  # three edits of one field: one undo step
        await pilot.pause()
        app.go_to(Selection("integration", "openai"))
        await pilot.pause()
        app.query_one("#tree").focus()
        await pilot.press("c", "enter")  # duplicate openai
        await settle(pilot)
        assert "openai_copy" in edited(app)["integrations"]
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert "openai_copy" not in edited(app)["integrations"]
        assert app.selection == Selection("integrations")  # the copy is gone: its group
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert app.document.text() == original
        assert not app.title.endswith("*")
        await pilot.press("ctrl+y")
        await settle(pilot)
        method = edited(app)["integrations"]["openai"]["methods"]["completions"]
        assert method["path"] == "/completions/v2"
        assert app.title.endswith("*")


async def test_undo_inside_a_text_field_reloads_it(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        field = app.query_one("#m-title", Input)
        field.focus()
        await pilot.press("end", *"!!")
        await pilot.pause()
        await pilot.press("ctrl+z")  # the workbench's undo wins over the field's
        await settle(pilot)
        assert app.query_one("#m-title", Input).value == "Post completions"


async def test_new_file_is_offered_from_the_starter(tmp_path: Path) -> None:
    target = tmp_path / "brand_new.toml"
    app = RunbenchApp(target, environ={}, new_file=True)
    async with app.run_test(size=SIZE) as pilot:
        await dialog(pilot, "#choice-starter", screen="new-file")
        await pilot.press("enter")  # the starter
        await settle(pilot)
        assert not target.exists()
        assert app.title.endswith("*")
        assert set(app.workspace.integrations) == {"openai"}
        await pilot.press("ctrl+s")
        await settle(pilot)
        data = tomllib.loads(target.read_text(encoding="utf-8"))
        assert data["name"] == "Brand new"
        assert set(data["runbooks"]) == {"ask"}


async def test_quit_with_a_paused_run_asks_first(sandbox_app: MakeApp) -> None:
    app = sandbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.go_to(Selection("step", runbook="create_customer", step="create"))
        await settle(pilot)
        await pilot.press("f9", "f5")  # breakpoint on the first step, run
        while not app.screen.query("#trigger-run"):
            await pilot.pause()
        await pilot.press("enter")  # the trigger dialog's defaults
        while app.active_runs() == [] or app.runs.handle_of("create_customer") is None:
            await pilot.pause()
        handle = app.runs.handle_of("create_customer")
        assert handle is not None
        while handle.debugger.paused_at is None:
            await pilot.pause()
        await pilot.press("ctrl+q")
        await dialog(pilot, "#choice-cancel", screen="quit-run-dialog")
        await pilot.press("enter")  # Cancel is the default
        await pilot.pause()
        assert app.is_running
        assert app.active_runs() == ["create_customer"]
        await pilot.press("ctrl+q")
        await dialog(pilot, "#choice-stop", screen="quit-run-dialog")
        await pilot.click("#choice-stop")
        await pilot.pause()
