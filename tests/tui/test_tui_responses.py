"""The response viewer's tools on the whole workbench: filter (f), save (s S), copy with
OSC 52 (y v Y c), the pager with the workbench suspended (p), past responses (h), and escape
leaving the zoom (ctrl+r). Search (/ n N) and wrap (w) are local to the viewer:
test_response_viewer.py drives it alone."""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from textual.drivers.headless_driver import HeadlessDriver
from textual.pilot import Pilot
from textual.widgets import Input

from runbench.core.http import Exchange, ResponseRecord
from runbench.tui.app import RunbenchApp
from runbench.tui.screens.method_history import MethodHistoryScreen
from runbench.tui.widgets.line_view import LineView
from runbench.tui.widgets.response_viewer import ResponseViewer
from waits import type_text

ITEMS = {
    "items": [
        {"id": i, "status": "open" if i % 3 else "closed", "name": f"Item {i}"} for i in range(40)
    ]
}


def exchange_of(data: Any) -> Exchange:
    body = json.dumps(data)
    record = ResponseRecord(
        200, "OK", (("Content-Type", "application/json"),), body, len(body), 5.0
    )
    return Exchange(None, record, {}, {}, None, None, 5.0)


async def until(pilot: Pilot[Any], condition: Callable[[], bool], tries: int = 400) -> None:
    """Let the app run until ``condition`` holds (workers and messages included)."""
    for _ in range(tries):
        if condition():
            return
        await pilot.pause()
    assert condition(), "condition never held"


async def shown(pilot: Pilot[Any], app: RunbenchApp, data: Any) -> ResponseViewer:
    viewer = app.query_one(ResponseViewer)
    viewer.show(exchange_of(data))
    await until(pilot, lambda: not viewer.formatting)
    app.query_one("#response-body", LineView).focus()
    await pilot.pause()
    return viewer


def body_has(viewer: ResponseViewer, text: str) -> bool:
    exchange = viewer.exchange
    return exchange is not None and exchange.response is not None and text in exchange.response.body


def saving(app: RunbenchApp) -> bool:
    """A save's worker is still writing (it is there before the file changes: a file that
    exists, or is no longer what it was, may still be half written)."""
    return any(worker.group == "save" for worker in app.workers)


async def test_history_and_saves_then_copy_filter_and_pager_on_a_zoomed_response(
    make_app: Callable[..., RunbenchApp], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One app: two tests of a method, its past responses (h) compared and the older one
    re-opened; the body and the exchange saved, refusing to overwrite unless told. Then the
    response zoomed (ctrl+r) and shown afresh for each: copy with OSC 52 (y v Y c); the
    filter (f) showing the result or the caret; the pager with the workbench suspended,
    back at the same place, then escape leaving the zoom."""
    seen = tmp_path / "seen.txt"
    pager = tmp_path / "pager.sh"
    pager.write_text(f'#!/bin/sh\nstat -c %a "$1" > {seen}.mode\ncp "$1" {seen}\n')
    pager.chmod(0o755)
    events: list[str] = []
    monkeypatch.setattr(HeadlessDriver, "can_suspend", property(lambda _self: True))
    monkeypatch.setattr(
        HeadlessDriver, "suspend_application_mode", lambda _self: events.append("suspend")
    )
    monkeypatch.setattr(
        HeadlessDriver, "resume_application_mode", lambda _self: events.append("resume")
    )
    app = make_app(environ={"PAGER": str(pager)})
    async with app.run_test(size=(80, 24)) as pilot:
        written: list[str] = []
        assert app._driver is not None
        monkeypatch.setattr(app._driver, "write", written.append)
        viewer = app.query_one(ResponseViewer)
        for prompt in ("first", "second"):
            app.overrides["prompt"] = prompt
            await pilot.press("ctrl+t")
            await until(pilot, partial(body_has, viewer, prompt))
        db = Path(app.workspace.path).parent / ".runbench" / "history.db"
        assert stat.S_IMODE(db.stat().st_mode) == 0o600
        app.query_one("#response-body", LineView).focus()
        await pilot.press("h")
        await until(
            pilot, lambda: isinstance(app.screen, MethodHistoryScreen) and app.screen.entries != []
        )
        screen = app.screen
        assert isinstance(screen, MethodHistoryScreen)
        assert len(screen.entries) == 2
        await pilot.press("d")  # newest against the one before
        diff = screen.query_one("#history-diff", LineView)
        await until(pilot, lambda: diff.display)
        assert "Answer to: first" in diff.lines.text
        assert "Answer to: second" in diff.lines.text
        await pilot.press("escape")  # back to the list
        await pilot.press("down", "enter")  # re-open the older one
        await until(pilot, lambda: not isinstance(app.screen, MethodHistoryScreen))
        await until(pilot, partial(body_has, viewer, "Answer to: first"))

        # save the body (s) and the exchange (S) of the response shown
        await until(pilot, lambda: not viewer.formatting)
        app.query_one("#response-body", LineView).focus()
        await pilot.press("s")
        await until(pilot, lambda: app.screen.id == "save-as")
        field = app.screen.query_one(Input)
        assert field.value.startswith("openai.completions-200-")
        assert field.value.endswith(".json")
        target = tmp_path / "body.json"
        field.value = str(target)
        await pilot.press("enter")
        await until(pilot, lambda: target.exists() and not saving(app))
        assert json.loads(target.read_text())["choices"][0]["text"].startswith("Answer to:")
        target.write_text("keep me")
        await pilot.press("S")
        await until(pilot, lambda: app.screen.id == "save-as")
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await until(pilot, lambda: app.screen.id == "confirm")
        await pilot.press("enter")  # the default answer keeps the file
        await until(pilot, lambda: app.screen.id != "confirm" and not saving(app))
        assert target.read_text() == "keep me"
        await pilot.press("S")
        await until(pilot, lambda: app.screen.id == "save-as")
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await until(pilot, lambda: app.screen.id == "confirm")
        await pilot.click("#choice-yes")
        await until(pilot, lambda: target.read_text() != "keep me" and not saving(app))
        saved = json.loads(target.read_text())
        assert saved["request"]["headers"]["Authorization"] == "Bearer ••••"
        assert "sk-sandbox" not in target.read_text()

        # copy, on the response zoomed and shown afresh
        await pilot.press("ctrl+r")
        viewer = await shown(pilot, app, ITEMS)
        await pilot.press("slash")
        await type_text(pilot, "item 7")
        await until(pilot, lambda: viewer.matches is not None and viewer.matches.done)
        await pilot.press("enter", "y", "v", "Y", "c")
        copied = [
            base64.b64decode(w.removeprefix("\x1b]52;c;").removesuffix("\a")).decode()
            for w in written
            if w.startswith("\x1b]52;c;")
        ]
        assert copied[0].strip() == '"name": "Item 7"'
        assert copied[1] == "Item 7"
        assert json.loads(copied[2]) == ITEMS
        assert copied[3].startswith("# set OPENAI_TOKEN")
        assert "$OPENAI_TOKEN" in copied[3]
        assert "sk-sandbox" not in copied[3]

        # the filter, on the response shown afresh
        viewer = await shown(pilot, app, ITEMS)
        body = app.query_one("#response-body", LineView)
        full = body.lines.text
        await pilot.press("f")
        await type_text(pilot, "response^items[")
        error = app.query_one("#find-error")
        await until(pilot, lambda: error.display)
        assert "^" in str(error.render())
        field = app.query_one("#find-input", Input)
        field.value = "response^items[id=9]"
        await pilot.press("enter")
        await until(pilot, lambda: viewer.filtered is not None)
        assert json.loads(body.lines.text) == {"id": 9, "status": "closed", "name": "Item 9"}
        await pilot.press("escape")
        assert viewer.filtered is None
        assert body.lines.text == full
        await pilot.press("f")
        app.query_one("#find-input", Input).value = ".items[2].name"  # a jq-like path
        await pilot.press("enter")
        await until(pilot, lambda: viewer.filtered is not None)
        assert body.lines.text == '"Item 2"'
        await pilot.press("f")
        app.query_one("#find-input", Input).value = ".items[] | .name"
        await until(pilot, lambda: app.query_one("#find-error").display)
        assert "not supported" in str(app.query_one("#find-error").render())

        # the pager, on the response shown afresh (no filter over it)
        await shown(pilot, app, ITEMS)
        assert viewer.filtered is None
        view = app.query_one("#response-body", LineView)
        await pilot.press("pagedown")
        where = view.scroll_offset
        await pilot.press("p")
        await until(pilot, lambda: events == ["suspend", "resume"])
        assert json.loads(seen.read_text()) == ITEMS
        assert Path(f"{seen}.mode").read_text().strip() == "600"
        assert view.scroll_offset == where
        assert view.has_focus
        await pilot.press("escape")  # nothing to clear in the viewer: the app's escape unzooms
        assert not app.query_one(ResponseViewer).has_class("-zoomed")


async def test_copy_refused_when_tmux_drops_it(
    make_app: Callable[..., RunbenchApp], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "tmux").write_text("#!/bin/sh\necho off\n")
    (fake / "tmux").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    app = make_app(environ={"TMUX": "/tmp/tmux-0/default,1,0"})
    async with app.run_test(size=(80, 24)) as pilot:
        written: list[str] = []
        assert app._driver is not None
        monkeypatch.setattr(app._driver, "write", written.append)
        await pilot.press("ctrl+r")
        await shown(pilot, app, ITEMS)
        await pilot.press("Y")
        await until(
            pilot, lambda: any("set-clipboard on" in str(n.message) for n in app._notifications)
        )
        assert not any(w.startswith("\x1b]52") for w in written)
