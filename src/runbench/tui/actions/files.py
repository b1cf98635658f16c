"""Save, save as, reload, undo and quit (a mixin of the app): the file side of the workbench.

``ctrl+s`` saves through ``WorkspaceDocument`` (comments kept, atomic). A file changed on
disk since it was loaded is never overwritten silently: the user sees why and chooses
to look at the diff (disk against memory, scrollable), overwrite, save under another
name, reload (discarding the edits) or keep editing. A file moved or deleted meanwhile
can be recreated where it was or saved elsewhere. Nobody is left holding edits they
cannot keep. ``ctrl+z``/``ctrl+y`` undo and redo any edit (the document keeps the texts);
quitting asks first when there are unsaved edits or a run is going.
"""

from __future__ import annotations

import glob
import json
from collections.abc import Callable
from pathlib import Path

from runbench.core.errors import ConcurrentEditError, WorkspaceError
from runbench.core.workspace import starter_title
from runbench.tui.actions.base import WorkbenchBase
from runbench.tui.hangup import HUNG_UP_STATUS, TerminalHungUp, keep_unsaved
from runbench.tui.screens.dialogs import ChoiceDialog, Field, FormDialog, confirm

Then = Callable[[], None]


class FileActions(WorkbenchBase):
    """``RunbenchApp`` provides these attributes."""

    _new_workspace = False  # offered as new: its first save also writes .runbench/.gitignore
    _hung_up = False  # the terminal hung up: the app is leaving

    # -- save ----------------------------------------------------------------------------
    def action_save(self, then: Then | None = None) -> None:
        """Save; on a conflict, ask what to do. ``then`` runs once the file is saved."""
        try:
            self.document.save()
        except ConcurrentEditError:
            self.resolve_conflict(then)
            return
        except (OSError, WorkspaceError) as exc:
            self.notify(str(exc), title="Not saved", severity="error")
            return
        self._saved(then)

    def _saved(self, then: Then | None) -> None:
        self._update_title()
        also = ""
        if self._new_workspace:  # as `runbench init` does: the starter says it is ignored
            self._new_workspace = False
            from runbench.core.secrets import state_dir

            try:
                also = f" and {state_dir(self.document.path) / '.gitignore'}"
            except OSError as exc:
                self.notify(f".runbench/.gitignore not written: {exc}", severity="warning")
        self.notify(f"saved {self.document.path}{also}")
        if then is not None:
            then()

    def _save_forced(self, force: bool, then: Then | None) -> None:
        try:
            self.document.save(force=force)
        except (OSError, WorkspaceError) as exc:
            self.notify(str(exc), title="Not saved", severity="error")
            return
        self._saved(then)

    def resolve_conflict(self, then: Then | None = None) -> None:
        """The file on disk is not what was loaded: offer every way out."""
        path = self.document.path
        if self.document.disk_state() == "missing":
            dialog = ChoiceDialog(
                "File moved or deleted",
                f"{path.name} is no longer there. Recreate it with your edits, save them under "
                "another name, or keep editing (nothing is written).",
                [("recreate", "Recreate"), ("save_as", "Save as"), ("keep", "Keep editing")],
                default="recreate",
                id="missing-dialog",
            )
        else:
            dialog = ChoiceDialog(
                "File changed on disk",
                f"{path.name} changed since it was loaded (another editor, git). Diff: what "
                "differs, disk against your edits. Overwrite: write your edits over it. "
                "Save as: write them to another file. Reload: take the disk's version "
                "(your edits are lost). Keep: go on editing, nothing is written.",
                [
                    ("diff", "Diff"),
                    ("overwrite", "Overwrite"),
                    ("save_as", "Save as"),
                    ("reload", "Reload"),
                    ("keep", "Keep"),
                ],
                default="diff",
                id="conflict-dialog",
            )

        def chosen(answer: str | None) -> None:
            if answer in ("overwrite", "recreate"):
                self._save_forced(True, then)
            elif answer == "save_as":
                self.action_save_as(then)
            elif answer == "reload":
                self._reload()
            elif answer == "diff":
                self._show_diff(then)

        self.push_screen(dialog, chosen)

    def _show_diff(self, then: Then | None) -> None:
        from runbench.tui.screens.diff import DiffScreen

        diff = self.document.disk_diff() or "(no difference in the text)\n"
        self.push_screen(
            DiffScreen(f"{self.document.path.name}: disk against your edits", diff),
            lambda _: self.resolve_conflict(then),
        )

    def action_save_as(self, then: Then | None = None) -> None:
        """Ask for a file name, write there and go on editing that file."""
        current = self.document.path

        def check(values: dict[str, str]) -> str | None:
            target = Path(values["path"].strip()).expanduser()
            if not values["path"].strip():
                return "a file name is needed"
            if target.is_dir():
                return f"{target} is a folder: give a file name"
            if not target.parent.is_dir():
                return f"no folder {target.parent}: create it first"
            return None

        def done(values: dict[str, str] | None) -> None:
            if values is None:
                return
            target = Path(values["path"].strip()).expanduser()
            if target.exists() and target.resolve() != current.resolve():
                question = confirm(
                    "Replace file?", f"{target} exists. Replace it with this workspace?", "Replace"
                )
                self.push_screen(
                    question, lambda a: self._save_as(target, then) if a == "yes" else None
                )
            else:
                self._save_as(target, then)

        fields = [Field("path", "File", str(current), placeholder="workspaces/name.toml")]
        hint = "the workspace is written there and edited from then on"
        self.push_screen(
            FormDialog("Save as", fields, validate=check, hint=hint, id="save-workspace-as"), done
        )

    def _save_as(self, target: Path, then: Then | None) -> None:
        try:
            self.document.save_as(target)
        except (OSError, WorkspaceError) as exc:
            self.notify(str(exc), title="Not saved", severity="error")
            return
        self._saved(then)

    # -- a new file ----------------------------------------------------------------------
    def offer_new_file(self) -> None:
        """The workspace file does not exist yet: start it from the starter or empty."""
        path = self.document.path
        self._new_workspace = True
        dialog = ChoiceDialog(
            "New workspace",
            f"{path.name} does not exist yet. Start from the starter (an integration with a "
            "method and a runbook, with comments that explain them) or from an empty "
            "workspace. Nothing is written until ctrl+s.",
            [("starter", "Starter"), ("empty", "Empty"), ("quit", "Quit")],
            default="starter",
            id="new-file",
        )

        def chosen(answer: str | None) -> None:
            if answer == "quit":
                self.exit(0)
            elif answer == "empty":
                title = json.dumps(starter_title(path.stem), ensure_ascii=False)
                self.document.replace_text(f"name = {title}\n")
                self.document.history.clear()
                self.reread(full=True)

        self.push_screen(dialog, chosen)

    # -- reload --------------------------------------------------------------------------
    def _reload_answer(self, answer: str | None) -> None:
        if answer == "reload":
            self._reload()

    def _reload(self) -> None:
        try:
            self.document.reload()
        except WorkspaceError as exc:
            self.notify(str(exc), title="Cannot reload", severity="error")
            return
        self.reread(full=True)
        self.notify(f"reloaded {self.document.path}")

    def action_reload(self) -> None:
        if not self.document.dirty:
            self._reload()
            return
        dialog = ChoiceDialog(
            "Reload from disk?",
            "Your unsaved edits will be lost.",
            [("reload", "Reload"), ("keep", "Keep editing")],
            default="keep",
        )
        self.push_screen(dialog, self._reload_answer)

    # -- undo ----------------------------------------------------------------------------
    def action_undo(self) -> None:
        self.skip_under_a_dialog()
        self._history("undo")

    def action_redo(self) -> None:
        self.skip_under_a_dialog()
        self._history("redo")

    def _history(self, way: str) -> None:
        try:
            label = self.document.undo() if way == "undo" else self.document.redo()
        except WorkspaceError as exc:
            self.notify(str(exc), title=f"Cannot {way}", severity="error")
            return
        if label is None:
            self.notify(f"nothing to {way}", timeout=2)
            return
        self.reread(full=True)
        self.notify(f"{way}: {label}", timeout=2)

    # -- quit ----------------------------------------------------------------------------
    async def action_quit(self) -> None:
        active = self.active_runs()
        if active:
            dialog = ChoiceDialog(
                "A run is going",
                f'{", ".join(active)}: quitting stops it (it ends as failed, "stopped by user").',
                [("stop", "Stop and quit"), ("cancel", "Cancel")],
                default="cancel",
                id="quit-run-dialog",
            )
            self.push_screen(dialog, lambda a: self._quit_unsaved() if a == "stop" else None)
            return
        self._quit_unsaved()

    def active_runs(self) -> list[str]:
        """Runbooks with a run of this session still running or paused."""
        runs = self._runs
        return runs.active() if runs is not None else []

    def _quit_unsaved(self) -> None:
        if not self.document.dirty:
            self.exit(0)
            return
        dialog = ChoiceDialog(
            "Unsaved changes",
            f"{self.document.path.name} has unsaved changes.",
            [("save", "Save and quit"), ("discard", "Quit without saving"), ("cancel", "Cancel")],
            default="cancel",
            id="quit-dialog",
        )
        self.push_screen(dialog, self._quit_answer)

    def _quit_answer(self, answer: str | None) -> None:
        if answer == "discard":
            self.exit(0)
        elif answer == "save":
            self.action_save(then=lambda: self.exit(0))

    # -- the terminal hung up ------------------------------------------------------------
    def on_terminal_hung_up(self, _event: TerminalHungUp) -> None:
        """Nobody is left to ask: leave as ctrl+q would (``on_unmount`` stops runs, closes
        the journal, ends children), exit status 129. Unsaved edits are not written over the
        workspace file (the user never chose to); they are kept beside it, in
        ``.runbench/STEM.hungup.toml`` (0600, in the private git-ignored folder), as vim
        keeps its swap file. Secret values never are in the document (they live in the
        secrets file), so the copy holds nothing a save would not."""
        if self._hung_up:
            return
        self._hung_up = True
        if self.document.dirty:
            from runbench.core.secrets import state_dir

            try:
                folder = state_dir(self.document.path)
                keep_unsaved(folder, self.document.path.stem, self.document.text())
            except OSError:
                pass  # nowhere to write and nobody to tell: the workspace file is untouched
        self.exit(HUNG_UP_STATUS)

    def announce_kept_edits(self) -> None:
        """At start-up: name the files of edits kept at a hangup beside this workspace, so
        they are not forgotten in ``.runbench`` (they stay until the user deletes them)."""
        from runbench.core.secrets import secrets_file

        folder = secrets_file(self.document.path).parent
        pattern = f"{glob.escape(self.document.path.stem)}.hungup*.toml"
        kept = sorted(str(path) for path in folder.glob(pattern))
        if kept:
            self.notify(
                f"{', '.join(kept)}: unsaved edits kept when the terminal hung up. Compare "
                "with this workspace, copy what you need, then delete the file.",
                title="Edits kept at a hangup",
                severity="warning",
                timeout=30,
            )


__all__ = ["FileActions"]
