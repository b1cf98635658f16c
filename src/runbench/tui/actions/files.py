"""Save, reload and quit (a mixin of the app): the file side of the workbench.

``ctrl+s`` saves through ``WorkspaceDocument`` (comments kept, atomic). A file changed on
disk since it was loaded is never overwritten: the user is told and offered a reload,
their edits staying in memory until they choose. Quitting with unsaved edits asks first.
"""

from __future__ import annotations

from runbench.core.errors import ConcurrentEditError, WorkspaceError
from runbench.tui.actions.base import WorkbenchBase
from runbench.tui.screens.dialogs import ChoiceDialog, reload_offer


class FileActions(WorkbenchBase):
    """``RunbenchApp`` provides these attributes."""

    def action_save(self) -> None:
        try:
            self.document.save()
        except ConcurrentEditError as exc:
            self.notify(exc.bare, title="Not saved", severity="error")
            self.push_screen(reload_offer(exc.bare), self._reload_answer)
            return
        except (OSError, WorkspaceError) as exc:
            self.notify(str(exc), title="Not saved", severity="error")
            return
        self._update_title()
        self.notify(f"saved {self.document.path}")

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

    async def action_quit(self) -> None:
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
            self.action_save()
            if not self.document.dirty:
                self.exit(0)
