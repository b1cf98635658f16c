"""The key footer: Textual's ``Footer`` without its leak on every focus change.

Each time the focused widget's bindings change, ``Footer`` recomposes its keys, and each
new ``FooterKey`` binds ``compact`` to the footer (``data_bind``). The watcher entry stays
on the footer after the key is removed, until ``compact`` changes, which in a session
means never (Textualize/textual#6666, open). So each focus change kept ~18 dead widgets
and their styles alive: after a hundred Tab presses, a full garbage collection walked
tens of thousands of extra objects and took 80-100 ms, landing on some key press.
``KeyFooter`` drops the entries of removed keys after each recompose.
``tests/tui/test_footer_leak.py`` fails if the leak (or the way it is stored) changes.

It also skips a recompose that would draw the same keys: moving between two inputs, or
two rows of a table, changes the focused widget but not what the footer shows, and a
recompose mounts and styles a dozen widgets (and leaves them as garbage) for nothing.
"""

from __future__ import annotations

from textual.widgets import Footer

WATCHERS = "__watchers"
"""Where Textual keeps watchers of a reactive on the watched object (textual/reactive.py)."""


class KeyFooter(Footer):
    """See the module docstring."""

    _shown: tuple[object, ...] | None = None

    async def recompose(self) -> None:
        shown = self.shown_keys()
        if shown == self._shown and self.children:
            return
        self._shown = shown
        await super().recompose()
        self.forget_removed_keys()

    def shown_keys(self) -> tuple[object, ...]:
        """What the footer would draw: each shown binding's key, label, action and state."""
        return tuple(
            (binding.key, binding.description, binding.action, enabled, tooltip)
            for _, binding, enabled, tooltip in self.screen.active_bindings.values()
            if binding.show
        ) + (self.compact, self.show_command_palette)

    def forget_removed_keys(self) -> None:
        watchers = getattr(self, WATCHERS, {}).get("compact")
        if watchers:
            watchers[:] = [
                (node, callback)
                for node, callback in watchers
                if not getattr(node, "_closing", False) and getattr(node, "is_attached", True)
            ]
