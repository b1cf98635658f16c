"""The key footer: Textual's ``Footer`` without its leak on every focus change, and
without mounting a dozen keys when one comes or goes.

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

And when the keys do change, most often one or two keys come or go, or move (focus into
an input hides "? Keys" and puts the input's bindings first): only those keys are removed,
mounted or moved, so the footer looks as a recompose would draw it. The first keys are
mounted the same way, each styled once. A recompose mounted ~10 keys, each styled twice
(its ``compact`` watcher sets a class on mount, then the binding clears it): about half
the CPU of a Tab press. Binding groups (none in the workbench) still recompose.
"""

from __future__ import annotations

from collections import defaultdict

from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

WATCHERS = "__watchers"
"""Where Textual keeps watchers of a reactive on the watched object (textual/reactive.py)."""

PALETTE = "-command-palette"

KeySpec = tuple[str, str, str, str, bool, object, bool]
"""What a mounted FooterKey draws: key, its display, description, action, disabled,
tooltip, and whether it is the command palette's key (docked right)."""


class KeyFooter(Footer):
    """See the module docstring."""

    _shown: tuple[object, ...] | None = None
    _holding = False
    _again = False

    async def recompose(self) -> None:
        if not self.is_attached or self._pruning or not self._bindings_ready:
            return
        shown = self.shown_keys()
        if shown == self._shown and self.children:
            return
        previous, self._shown = self._shown, shown
        if previous is not None and previous[-2:] != shown[-2:]:
            await self.remove_children()  # compact or the palette key changed: all anew
        if await self._reconcile():
            return
        await super().recompose()
        self.forget_removed_keys()

    def bindings_changed(self, screen: Screen[object]) -> None:
        """The keys are put right at once (next in the footer's queue) and the screen
        lays nothing out meanwhile, so they change in the same layout as what moved the
        focus. ``Footer`` waits for the next refresh: ``/`` laid the screen out twice
        (the find bar shown, then the keys of its input), and at start-up that refresh
        waited for the screen's first layouts, so the first frames had no keys. Several
        changes in a row cost one reconcile: the first sees the last state."""
        if not (screen.app.app_focus and self.is_attached):
            super().bindings_changed(screen)
            return
        self._bindings_ready = True
        if screen is not self.screen:
            return
        if self._holding:
            self._again = True  # changed while the keys were being put right: once more
            return
        self._holding = True
        self.app._begin_batch()  # no layout or repaint until the keys are right
        self.call_next(self._put_keys_right)

    async def _put_keys_right(self) -> None:
        try:
            self._again = True
            while self._again:  # recompose awaits: the focus may move meanwhile
                self._again = False
                await self.recompose()
        finally:
            self._release()

    def _release(self) -> None:
        """End the hold of ``bindings_changed`` (once), and let the screen do what was
        asked of it meanwhile."""
        if self._holding:
            self._holding = False
            self._check_refresh()  # the keys' layout asked now, with the change that moved them
            self.app._end_batch()
            if self.is_attached:  # on_unmount: the screen may be gone already
                self.screen.check_idle()

    def on_unmount(self) -> None:
        self._release()  # a queued reconcile that never runs holds nothing
        super().on_unmount()

    def watch_compact(self) -> None:
        """Keys mounted here are not bound to ``compact`` (see ``_new_key``)."""
        self.call_after_refresh(self.recompose)

    def shown_keys(self) -> tuple[object, ...]:
        """What the footer would draw: each shown binding's key, label, action and state."""
        return tuple(
            (binding.key, binding.description, binding.action, enabled, tooltip)
            for _, binding, enabled, tooltip in self.screen.active_bindings.values()
            if binding.show
        ) + (self.compact, self.show_command_palette)

    def wanted_keys(self) -> list[KeySpec] | None:
        """The keys ``Footer.compose`` would yield, in order; None when it would group some
        (a ``KeyGroup`` and its label: left to a recompose)."""
        active = self.screen.active_bindings
        by_action: defaultdict[str, list[KeySpec]] = defaultdict(list)
        for _, binding, enabled, tooltip in active.values():
            if not binding.show:
                continue
            if binding.group is not None:
                return None
            spec = (binding.key, self.app.get_key_display(binding), binding.description)
            by_action[binding.action].append(
                (*spec, binding.action, not enabled, tooltip or None, False)
            )
        wanted = [specs[0] for specs in by_action.values()]
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            palette = active.get(self.app.COMMAND_PALETTE_BINDING)
            if palette is not None:
                _, binding, enabled, _ = palette
                display = self.app.get_key_display(binding)
                tip = binding.tooltip or binding.description or None
                wanted.append(
                    (binding.key, display, binding.description, binding.action, not enabled)
                    + (tip, True)
                )
        return wanted

    async def _reconcile(self) -> bool:
        """Remove the keys no longer wanted, mount the new ones and put them all in
        order (the focused widget's bindings come first, so keys also move); False (and
        nothing changed) when a key is shown twice or a group is in the way."""
        wanted = self.wanted_keys()
        mounted = list(self.children)
        if wanted is None or not all(isinstance(key, FooterKey) for key in mounted):
            return False
        by_spec = {spec_of(key): key for key in mounted if isinstance(key, FooterKey)}
        if len(set(wanted)) != len(wanted) or len(by_spec) != len(mounted):
            return False
        gone = [key for spec, key in by_spec.items() if spec not in wanted]
        new = {spec: self._new_key(spec) for spec in wanted if spec not in by_spec}
        async with self.batch():  # one layout for all of it, as a recompose does
            if gone:
                await self.remove_children(gone)
                self.forget_removed_keys()
            if new:
                await self.mount(*new.values())
            by_spec.update(new)
            for index, spec in enumerate(wanted):
                if self.children[index] is not by_spec[spec]:
                    self.move_child(by_spec[spec], before=index)
        return True

    def _new_key(self, spec: KeySpec) -> FooterKey:
        key, display, description, action, disabled, tooltip, palette = spec
        widget = FooterKey(
            key,
            display,
            description,
            action,
            disabled=disabled,
            tooltip=tooltip or "",  # type: ignore[arg-type]
            classes=PALETTE if palette else "",
        )
        # no data_bind (on mount it set the class, then cleared it: two restyles per key),
        # and no watcher left on the footer: a change of ``compact`` remounts every key
        # (Footer.compose binds every key but the palette's, which stays compact)
        compact = True if palette else self.compact
        widget.set_reactive(FooterKey.compact, compact)
        widget.set_class(compact, "-compact", update=False)
        return widget

    def forget_removed_keys(self) -> None:
        watchers = getattr(self, WATCHERS, {}).get("compact")
        if watchers:
            watchers[:] = [
                (node, callback)
                for node, callback in watchers
                if not getattr(node, "_closing", False) and getattr(node, "is_attached", True)
            ]


def spec_of(key: FooterKey) -> KeySpec:
    """What a mounted key draws (see ``KeySpec``)."""
    return (
        key.key,
        key.key_display,
        key.description,
        key.action,
        key._disabled,
        key.tooltip,
        key.has_class(PALETTE),
    )
