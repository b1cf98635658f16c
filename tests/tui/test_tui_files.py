"""The file side of the workbench at 80x24: save as, the conflict dialog (diff, overwrite,
save as, reload), a moved or deleted file, undo/redo of field and structural edits, a
new file offered from the starter. (Quitting with a run going follows a run story in
test_tui_hints.py, in the app that story starts anyway.)"""

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


async def test_conflict_diff_overwrite_recreate_conflict_save_as_then_save_as(
    make_app: MakeApp, workspace_file: Path, tmp_path: Path
) -> None:
    """One app, saving one edit after another into what the file has become: a file changed
    elsewhere (diff, then overwrite); a deleted file (recreated); a file changed elsewhere
    again (save as elsewhere keeps both); then f12, save as, and editing the new file."""
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

        # the file deleted: recreated
        app.query_one("#m-path", Input).value = "/recreated"
        await pilot.pause()
        workspace_file.unlink()
        await pilot.press("ctrl+s")
        await dialog(pilot, "#choice-recreate", screen="missing-dialog")
        await pilot.press("enter")  # Recreate is the default
        await settle(pilot)
        assert "/recreated" in workspace_file.read_text(encoding="utf-8")

        # changed elsewhere again: save as keeps both
        app.query_one("#m-path", Input).value = "/mine"
        await pilot.pause()
        workspace_file.write_text("# someone else's\n" + workspace_file.read_text(), "utf-8")
        await pilot.press("ctrl+s")
        await dialog(pilot, "#choice-save_as", screen="conflict-dialog")
        await pilot.click("#choice-save_as")
        mine = tmp_path / "mine.toml"
        await type_path(pilot, mine)
        assert workspace_file.read_text(encoding="utf-8").startswith("# someone else's")
        assert "/mine" in mine.read_text(encoding="utf-8")
        assert app.document.path == mine

        # f12: save as writes the new file, and it is the one edited from then on
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
        assert "/v2" not in mine.read_text(encoding="utf-8")


async def test_undo_redo_field_and_structural_edits_and_undo_inside_a_field(
    make_app: MakeApp,
) -> None:
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

        # undo inside a text field: the workbench's undo wins over the field's
        app.go_to(Selection("method", "openai", "completions"))
        await settle(pilot)
        field = app.query_one("#m-title", Input)
        field.focus()
        await pilot.press("end", *"!!")
        await pilot.pause()
        assert edited(app)["integrations"]["openai"]["methods"]["completions"]["title"] == (
            "Post completions!!"
        )
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert app.query_one("#m-title", Input).value == "Post completions"


async def test_new_file_is_offered_from_the_starter_and_saved_with_its_gitignore(
    tmp_path: Path,
) -> None:
    """A new file: the starter offered; its first save also writes .runbench/.gitignore (the
    starter's comments say .runbench/ is ignored; issue 15's acceptance)."""
    target = tmp_path / "brand_new.toml"
    app = RunbenchApp(target, environ={}, new_file=True)
    async with app.run_test(size=SIZE) as pilot:
        await dialog(pilot, "#choice-starter", screen="new-file")
        await pilot.press("enter")  # the starter
        await settle(pilot)
        assert not target.exists()
        assert not (tmp_path / ".runbench").exists()
        assert app.title.endswith("*")
        assert set(app.workspace.integrations) == {"openai"}
        await pilot.press("ctrl+s")
        await settle(pilot)
        data = tomllib.loads(target.read_text(encoding="utf-8"))
        assert data["name"] == "Brand new"
        assert set(data["runbooks"]) == {"ask"}
        ignore = tmp_path / ".runbench" / ".gitignore"
        assert ignore.read_text(encoding="utf-8").strip().endswith("*")
        assert (tmp_path / ".runbench").stat().st_mode & 0o777 == 0o700
