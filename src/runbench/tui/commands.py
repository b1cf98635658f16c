"""The command palette provider (ctrl+p): every workbench action, plus "go to" entries.

The list itself comes from the app (``palette_commands``), so the palette, the help
screen and the key bindings describe the same actions.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Protocol

from textual.command import DiscoveryHit, Hit, Hits, Provider

from runbench.core.workspace import Workspace
from runbench.tui.widgets.tree import Selection

Command = tuple[str, str, Callable[[], object]]
"""(title, help, callback)."""


class HasCommands(Protocol):
    def palette_commands(self) -> list[Command]: ...


class WorkbenchCommands(Provider):
    """Actions and destinations of the runbench workbench."""

    def _commands(self) -> list[Command]:
        app = self.app
        if not hasattr(app, "palette_commands"):
            return []
        source: HasCommands = app  # type: ignore[assignment,unused-ignore]
        return source.palette_commands()

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)


def go_to_commands(workspace: Workspace, go_to: Callable[[Selection], None]) -> list[Command]:
    """A "Go to ..." entry for every integration, method and runbook."""
    commands: list[Command] = []
    for integration in workspace.integrations.values():
        commands.append(
            (
                f"Go to integration {integration.id}",
                integration.title,
                partial(go_to, Selection("integration", integration.id)),
            )
        )
        for method in integration.methods.values():
            commands.append(
                (
                    f"Go to method {method.ref}",
                    method.title,
                    partial(go_to, Selection("method", method.integration, method.id)),
                )
            )
    for runbook in workspace.runbooks.values():
        commands.append(
            (
                f"Go to runbook {runbook.id}",
                runbook.title,
                partial(go_to, Selection("runbook", runbook=runbook.id)),
            )
        )
    return commands
