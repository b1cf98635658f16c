"""What the user does with a response: filter, copy, save, page, export as curl, history.

A mixin of the app, because each of these needs something only the app holds: the parsed
scope of the response (the filter), the workspace and ``--var`` overrides (curl), the
terminal (the clipboard, suspending for the pager), the state folder (history). The viewer
says what is selected; everything here runs off the message pump when it can take time
(writing 50 MiB, reading the history), in ``@work`` workers.

Copy uses OSC 52, the terminal escape that sets the clipboard of the terminal the user
sits at, so it works over SSH and inside tmux (with ``set -g set-clipboard on``). Nothing
answers whether the terminal took it, so what can be known is said: tmux with
``set-clipboard off`` swallows it (checked once), and a text too large for terminals'
limits is refused with a pointer to ``s`` (save) instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shlex
import subprocess
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work

from runbench.core.files import load_json_text
from runbench.tui.actions.base import WorkbenchBase
from runbench.tui.widgets.response_viewer import ResponseViewer

if TYPE_CHECKING:
    from runbench.core.http import Exchange


async def tmux_keeps_clipboard() -> bool:
    """False when tmux's ``set-clipboard`` is off (it would swallow OSC 52); True when it
    is on, or when tmux cannot tell within 2 s (then the copy is tried)."""
    try:
        process = await asyncio.create_subprocess_exec(
            "tmux",
            "show-options",
            "-gv",
            "set-clipboard",
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
    except OSError:
        return True
    try:
        async with asyncio.timeout(2):
            out, _ = await process.communicate()
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):  # it ended just now
            process.kill()
        await process.wait()
        return True
    return out.decode(errors="replace").strip() != "off"


OSC52_LIMIT = 512 * 1024
"""Characters copied at most: terminals cap OSC 52 (xterm ~100 KB by default, tmux
and kitty more); beyond this, saving is the way."""


def default_name(ref: str, exchange: Exchange, what: str, now: float) -> str:
    """``openai.completions-200-20260101-120000.json`` (``-exchange`` for the whole one)."""
    status = exchange.status if exchange.status is not None else "error"
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    response = exchange.response
    kind = (response.header("content-type") or "") if response is not None else ""
    suffix = ".json" if what == "exchange" or "json" in kind else ".txt"
    middle = "-exchange" if what == "exchange" else ""
    return f"{ref}-{status}{middle}-{stamp}{suffix}"


def value_of(line: str) -> str:
    """The value on a pretty-printed JSON line (``"name": "x",`` gives ``x``)."""
    text = line.strip().rstrip(",")
    if text.startswith('"'):
        _, colon, rest = text.partition('": ')
        if colon:
            text = rest
    try:
        value = load_json_text(text)
    except ValueError:
        return text
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


class ResponseActions(WorkbenchBase):
    """f (answered here), y v Y c s S p e h on the response viewer."""

    _tmux_clipboard: bool | None = None

    def _viewer(self) -> ResponseViewer:
        return self.query_one(ResponseViewer)

    def _shown_exchange(self) -> Exchange | None:
        exchange = self._viewer().exchange
        if exchange is None or exchange.response is None:
            self.notify("no response yet: ctrl+t tests the method", severity="warning")
            return None
        return exchange

    # -- filter --------------------------------------------------------------------------
    @on(ResponseViewer.FilterAsked)
    def _filter_asked(self, event: ResponseViewer.FilterAsked) -> None:
        scope = self.scope_of(event.exchange)  # on the event loop: it may stop a child
        if scope is not None:
            self._filter(event.exchange, event.text, scope)

    @work(thread=True, exclusive=True, group="filter", description="filter the response")
    def _filter(self, exchange: Exchange, text: str, scope: object) -> None:
        from runbench.core.errors import PathSyntaxError
        from runbench.tui.state.body_filter import to_output_path
        from runbench.tui.state.response_scope import Checked, ResponseScope

        assert isinstance(scope, ResponseScope)
        try:
            checked: Checked | None = scope.check(to_output_path(text))
        except PathSyntaxError as exc:
            checked = Checked(
                "syntax", position=exc.position, reason=exc.reason, expression=exc.expression
            )
        if checked is not None:
            self.call_from_thread(self._viewer().show_filtered, exchange, text, checked)

    # -- copy ----------------------------------------------------------------------------
    def action_copy_line(self) -> None:
        self.copy_text(self._viewer().selected_text(), "the line")

    def action_copy_value(self) -> None:
        self.copy_text(value_of(self._viewer().selected_text()), "the value")

    def action_copy_body(self) -> None:
        viewer = self._viewer()
        self.copy_text(viewer.shown_text(), "the filter result" if viewer.filtered else "the body")

    def action_copy_curl(self) -> None:
        from runbench.core.curl import export_curl
        from runbench.core.errors import ExpressionError

        method = self.selected_method()
        if method is None:
            self.notify("select a method to copy it as curl", severity="warning")
            return
        try:
            exported = export_curl(self.workspace, method, self.overrides)
        except ExpressionError as exc:
            self.notify(f"{method.ref}: {exc}", title="Cannot export", severity="error")
            return
        names = ", ".join(name for name, _ in exported.variables)
        self.copy_text(exported.script(), "the curl command" + (f" (set {names})" if names else ""))

    def copy_text(self, text: str, what: str) -> None:
        """Put ``text`` on the user's clipboard with OSC 52, or say why it cannot."""
        if not text:
            self.notify(f"nothing to copy: {what} is empty", severity="warning")
            return
        if len(text) > OSC52_LIMIT:
            self.notify(
                f"{what} is {len(text) // 1024} KB, more than terminals take through the "
                "clipboard escape (OSC 52); s saves it to a file",
                title="Not copied",
                severity="warning",
            )
            return
        if "TMUX" in self.environ and self._tmux_clipboard is None:
            self._ask_tmux_then_copy(text, what)
            return
        self._copy_if_tmux_allows(text, what)

    @work(group="clipboard")
    async def _ask_tmux_then_copy(self, text: str, what: str) -> None:
        """Ask tmux once, off the message pump (a slow tmux must not freeze the keys)."""
        if self._tmux_clipboard is None:
            self._tmux_clipboard = await tmux_keeps_clipboard()
        self._copy_if_tmux_allows(text, what)

    def _copy_if_tmux_allows(self, text: str, what: str) -> None:
        if "TMUX" in self.environ and self._tmux_clipboard is False:
            self.notify(
                "tmux has set-clipboard off, so it would drop the copy: run "
                "`tmux set -g set-clipboard on` (or s saves to a file)",
                title="Not copied",
                severity="warning",
            )
            return
        self.copy_to_clipboard(text)
        self.notify(f"copied {what} ({len(text)} characters, OSC 52)", timeout=2)

    # -- save ----------------------------------------------------------------------------
    def action_save_body(self) -> None:
        self._ask_where("body")

    def action_save_exchange(self) -> None:
        self._ask_where("exchange")

    def _ask_where(self, what: str) -> None:
        from runbench.tui.screens.dialogs import ask_text

        exchange = self._shown_exchange()
        if exchange is None:
            return
        method = self.selected_method()
        name = default_name(method.ref if method else "response", exchange, what, time.time())
        title = "Save the response body" if what == "body" else "Save request and response"
        hint = "relative to the folder runbench started in; secrets are redacted"
        self.push_screen(
            ask_text(title, "File", name, hint=hint, id="save-as"),
            partial(self._chosen_file, exchange, what),
        )

    def _chosen_file(self, exchange: Exchange, what: str, values: dict[str, str] | None) -> None:
        from runbench.tui.screens.dialogs import confirm

        if not values or not values["value"].strip():
            return
        path = Path(values["value"].strip()).expanduser()
        if path.is_dir():
            self.notify(f"{path} is a folder: give a file name", severity="error")
            return
        if not path.exists():
            self._write(exchange, what, path)
            return

        def answered(choice: str | None) -> None:
            if choice == "yes":
                self._write(exchange, what, path)

        self.push_screen(
            confirm("Overwrite?", f"{path} exists. Replace it?", yes="Replace", no="Keep it"),
            answered,
        )

    @work(thread=True, group="save", description="save the response")
    def _write(self, exchange: Exchange, what: str, path: Path) -> None:
        text = self._file_text(exchange, what)
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            self.call_from_thread(
                self.notify, f"cannot write {path}: {exc.strerror}", severity="error"
            )
            return
        size = len(text.encode("utf-8"))
        self.call_from_thread(self.notify, f"saved {what} to {path} ({size} bytes)", timeout=3)

    def _file_text(self, exchange: Exchange, what: str) -> str:
        """The file's content: the body as received (redacted), or the exchange as JSON."""
        if what == "exchange":
            return json.dumps(exchange.to_dict(), indent=2, ensure_ascii=False) + "\n"
        viewer = self._viewer()
        if viewer.filtered is not None:
            return viewer.shown_text()
        return exchange.response.body if exchange.response is not None else ""

    # -- pager and editor ----------------------------------------------------------------
    def action_pager(self) -> None:
        self._open_outside(self.environ.get("PAGER") or "less -R")

    def action_editor(self) -> None:
        editor = self.environ.get("VISUAL") or self.environ.get("EDITOR")
        if not editor:
            self.notify(
                "set $EDITOR (or $VISUAL) to open the body in an editor", severity="warning"
            )
            return
        self._open_outside(editor)

    def _open_outside(self, command: str) -> None:
        exchange = self._shown_exchange()
        if exchange is not None:
            self._to_temp(command, self._viewer().shown_text())

    @work(thread=True, group="pager", description="write the body for the pager")
    def _to_temp(self, command: str, text: str) -> None:
        handle, name = tempfile.mkstemp(prefix="runbench-", suffix=".txt")  # 0600
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        self.call_from_thread(self.run_outside, [*shlex.split(command), name], name)

    def run_outside(self, argv: list[str], path: str) -> None:
        """Run ``argv`` on the terminal with the workbench suspended, then come back to the
        same screen (the viewer keeps its place); ``path`` is removed afterwards."""
        from textual.app import SuspendNotSupported

        try:
            with self.suspend():
                subprocess.run(argv, check=False)
        except SuspendNotSupported:
            self.notify("this terminal cannot hand over the screen", severity="error")
        except OSError as exc:
            self.notify(f"cannot run {argv[0]}: {exc.strerror}", severity="error")
        finally:
            Path(path).unlink(missing_ok=True)
        self.refresh()

    # -- history -------------------------------------------------------------------------
    def action_response_history(self) -> None:
        from runbench.core.history import MethodTestHistory
        from runbench.tui.screens.method_history import MethodHistoryScreen

        method = self.selected_method()
        if method is None:
            self.notify("select a method to see its past responses", severity="warning")
            return
        history = MethodTestHistory.for_workspace(self.workspace.path, self.state_dir)
        self.push_screen(MethodHistoryScreen(history, method.ref), self._reopen)

    def _reopen(self, exchange: Exchange | None) -> None:
        if exchange is not None:
            self._viewer().show(exchange)
