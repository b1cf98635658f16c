"""Done means: a workspace built from nothing by keyboard at 80x24, run, saved, checked.

A new file (the workbench offers it; "Empty"), then, with keys only: the name and a
variable; an integration with bearer auth reading ``secret:openai_key`` (set from the
workbench, never shown); a POST method whose JSON body uses ``<<variables>>``, with an
output; a runbook with an input, a method step, a condition and two ends, edges set in
the step editor; a public endpoint with signature auth. It runs against the real
sandbox (127.0.0.1, port 0) to success, is saved, ``runbench check`` passes without a
warning, and the saved file is exactly ``tests/golden/built_from_nothing.toml``
(``RUNBENCH_GOLDEN_UPDATE=1`` rewrites the golden files after an intended change).

The story is told in four stages, so that test workers share it (it was the longest
test of the suite): the first builds the integration from nothing and saves it, which
must give exactly ``built_from_nothing_integration.toml``; the second opens that file
(with the secret the first set by keys), adds the runbook and its first three steps and
saves ``built_from_nothing_runbook.toml``; the third opens that, adds the failure end and
every edge in the step editor and saves ``built_from_nothing_steps.toml``; the fourth
opens that, adds the input and the endpoint, runs, saves and checks. Each stage starts
where the one before is proven to end.
(Widgets are focused by id rather than by counting tab presses; everything typed or
chosen is keys. Text goes in with ``waits.type_text``: the same key events as
``pilot.press``, without its idle wait after every character.)
"""

from __future__ import annotations

import os
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandList
from textual.pilot import Pilot
from textual.widgets import Input, Select, TabbedContent, Tabs
from textual.widgets._select import SelectOverlay

from runbench.cli.main import main
from runbench.core.secrets import secret_names, set_secret
from runbench.sandbox import RunningSandbox
from runbench.tui.app import RunbenchApp
from runbench.tui.widgets.tree import Selection, WorkspaceTree
from waits import settle, type_text, until

SIZE = (80, 24)
GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "built_from_nothing.toml"
INTEGRATION_GOLDEN = GOLDEN.with_name("built_from_nothing_integration.toml")
RUNBOOK_GOLDEN = GOLDEN.with_name("built_from_nothing_runbook.toml")
STEPS_GOLDEN = GOLDEN.with_name("built_from_nothing_steps.toml")
BODY = '{"model": "gpt-3.5-turbo-instruct", "prompt": "<<question!>>", "max_tokens": 50}'


async def focus(pilot: Pilot[Any], selector: str) -> None:
    await until(pilot, lambda: bool(pilot.app.screen.query(selector)), f"{selector} shown")
    pilot.app.screen.query_one(selector).focus()
    await pilot.pause()


async def write(pilot: Pilot[Any], selector: str, text: str) -> None:
    """Type ``text`` into an input (focusing selects what was there: typing replaces it)."""
    await focus(pilot, selector)
    await type_text(pilot, text)
    await settle(pilot)
    assert pilot.app.screen.query_one(selector, Input).value == text


async def choose(pilot: Pilot[Any], selector: str, value: str) -> None:
    """Open a dropdown with enter, move to ``value`` with up/down, take it with enter."""
    await focus(pilot, selector)
    select = pilot.app.screen.query_one(selector, Select)
    if select.value == value:
        return
    await pilot.press("enter")
    await pilot.pause()
    values = [option_value for _, option_value in select._options]
    current = select.query_one(SelectOverlay).highlighted or 0
    steps = values.index(value) - current
    await pilot.press(*(["down"] * steps if steps > 0 else ["up"] * -steps), "enter")
    await settle(pilot)
    assert select.value == value


async def form(pilot: Pilot[Any], screen: str, *fields: str) -> None:
    """Fill a dialog's fields in order (tab between them) and press enter."""
    app = pilot.app  # the dialog focuses its first field a moment after it is the screen
    await until(
        pilot, lambda: app.screen.id == screen and app.focused is not None, f"{screen}, focused"
    )
    for index, text in enumerate(fields):
        if index:
            await pilot.press("tab")
        focused = pilot.app.focused
        if isinstance(focused, Select):
            await choose(pilot, f"#{focused.id}", text)
        else:
            assert isinstance(focused, Input)
            if text:  # "" keeps what the dialog offers
                await type_text(pilot, text)
    if isinstance(pilot.app.focused, Select):
        await pilot.press("tab")  # enter on a dropdown opens it: go to OK first
    await pilot.press("enter")
    await settle(pilot)


async def tree_to(pilot: Pilot[Any], target: Selection) -> None:
    """Walk the tree with up/down until ``target`` is selected."""
    app = pilot.app
    assert isinstance(app, RunbenchApp)
    tree = app.query_one(WorkspaceTree)
    tree.focus()
    lines = [tree.get_node_at_line(n) for n in range(tree.last_line + 1)]
    wanted = next(n for n, node in enumerate(lines) if node is not None and node.data == target)
    steps = wanted - tree.cursor_line
    await pilot.press(*(["down"] * steps if steps > 0 else ["up"] * -steps))
    await settle(pilot)
    assert app.selection == target


async def palette(pilot: Pilot[Any], command: str) -> None:
    """Run a palette command: ctrl+p, its name, enter once it is the first hit."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    await type_text(pilot, command)

    def first_hit() -> bool:
        found = pilot.app.screen.query(CommandList)
        if not found or found.first().option_count == 0:
            return False
        prompt = found.first().get_option_at_index(0).prompt
        return command in str(getattr(prompt, "plain", prompt))

    await until(pilot, first_hit, f"{command!r} listed in the palette")
    await pilot.press("enter")
    await settle(pilot)


async def tab(pilot: Pilot[Any], tabs: str, title: str) -> None:
    """Move a tab bar (by keys) to the tab called ``title``."""
    await focus(pilot, f"{tabs} Tabs")
    bar = pilot.app.screen.query_one(f"{tabs} Tabs", Tabs)
    for _ in range(10):
        if bar.active_tab is not None and str(bar.active_tab.label) == title:
            await settle(pilot)
            return
        await pilot.press("right")
        await pilot.pause()
    raise AssertionError(f"no tab {title}")


async def add_row(pilot: Pilot[Any], table: str, screen: str, *fields: str) -> None:
    await focus(pilot, f"{table} DataTable")
    await pilot.press("a")
    await form(pilot, screen, *fields)


async def step(pilot: Pilot[Any], name: str, kind: str) -> None:
    """Add step ``name`` to the selected runbook (``a`` in the tree, on the runbook or on
    one of its steps: the step added last is selected, no need to walk back up)."""
    app = pilot.app
    app.query_one(WorkspaceTree).focus()
    await pilot.press("a")
    await form(pilot, "add-step", name, kind)


def on_step_tab(pilot: Pilot[Any]) -> None:
    """The runbook pane still shows its Step tab (opened once by the palette: selecting or
    adding another step keeps the tab that is shown)."""
    assert pilot.app.query_one("#runbook-tabs", TabbedContent).active == "tab-step"


async def edges(pilot: Pilot[Any], runbook: str, name: str, **targets: str) -> None:
    await tree_to(pilot, Selection("step", runbook=runbook, step=name))
    on_step_tab(pilot)
    for key, target in targets.items():
        await choose(pilot, f"#s-edge-{key}", target)


def same_as_golden(saved: str, golden: Path) -> None:
    tomllib.loads(saved)
    if os.environ.get("RUNBENCH_GOLDEN_UPDATE"):  # after an intended change; read the diff
        golden.write_text(saved, encoding="utf-8")
    assert saved == golden.read_text(encoding="utf-8")


async def save(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, RunbenchApp)
    await pilot.press("ctrl+s")
    await until(pilot, lambda: not app.document.dirty, "saved")


async def test_build_an_integration_from_nothing(tmp_path: Path) -> None:
    target = tmp_path / "helpdesk.toml"
    app = RunbenchApp(target, new_file=True, environ={}, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.id == "new-file"
        await pilot.press("right", "enter")  # Empty
        await settle(pilot)

        # the workspace: name and a variable
        await write(pilot, "#w-name", "Help desk")
        await add_row(pilot, "#w-variables", "kv-dialog", "sandbox", "http://127.0.0.1:8781")

        # an integration with a bearer token read from the secrets file
        await tree_to(pilot, Selection("integrations"))
        await pilot.press("a")
        await form(pilot, "add-integration", "openai", "<<sandbox>>/openai/v1")
        assert app.selection == Selection("integration", "openai")
        await choose(pilot, "#auth-type", "bearer")
        await write(pilot, "#auth-token", "secret:openai_key")
        await palette(pilot, "Set a secret")
        await form(pilot, "set-secret", "sk-sandbox")  # the name is offered: in the value

        # a POST method with a JSON body using <<variables>>, and an output
        await tree_to(pilot, Selection("integration", "openai"))
        await pilot.press("a")
        await form(pilot, "add-method", "ask", "POST", "/completions")
        assert app.selection == Selection("method", "openai", "ask")
        await tab(pilot, "#method-tabs", "Body")
        await choose(pilot, "#m-body_type", "json")
        await focus(pilot, "#m-body")
        await type_text(pilot, BODY)
        await settle(pilot)
        await tab(pilot, "#method-tabs", "Outputs")
        await add_row(pilot, "#m-outputs", "kv-dialog", "Answer", "response^choices[0]^text!")
        assert not app.problems, [str(p) for p in app.problems]

        await save(pilot)  # the first save creates the file

    saved = target.read_text(encoding="utf-8")
    assert "sk-sandbox" not in saved
    assert secret_names(target)[0] == {"openai_key"}
    same_as_golden(saved, INTEGRATION_GOLDEN)


async def test_add_a_runbook_with_its_first_steps(tmp_path: Path) -> None:
    target = tmp_path / "helpdesk.toml"
    shutil.copyfile(INTEGRATION_GOLDEN, target)  # where the first stage ends
    set_secret(target, "openai_key", "sk-sandbox")  # as the first stage set it, by keys
    app = RunbenchApp(target, environ={}, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # a runbook: a method step, a condition and an end (the third stage adds the other
        # end and the edges, the fourth the input)
        await tree_to(pilot, Selection("runbooks"))
        await pilot.press("a")
        await form(pilot, "add-runbook", "answer", "Answer a question")
        await step(pilot, "ask", "method")
        await palette(pilot, "Show step editor")
        await choose(pilot, "#s-method", "openai.ask")
        await add_row(pilot, "#s-args", "kv-dialog", "question", "<<question>>")
        await step(pilot, "check", "condition")
        on_step_tab(pilot)  # each step added is shown in the Step tab opened above
        await add_row(pilot, "#s-rules", "rule-dialog", "<<Answer>>", "has_value", "")
        await step(pilot, "done", "end")
        on_step_tab(pilot)
        await write(pilot, "#s-message", "<<Answer>>")
        await save(pilot)

    same_as_golden(target.read_text(encoding="utf-8"), RUNBOOK_GOLDEN)


async def test_add_the_failure_end_and_the_edges(tmp_path: Path) -> None:
    target = tmp_path / "helpdesk.toml"
    shutil.copyfile(RUNBOOK_GOLDEN, target)  # where the second stage ends
    set_secret(target, "openai_key", "sk-sandbox")  # as the first stage set it, by keys
    app = RunbenchApp(target, environ={}, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await tree_to(pilot, Selection("runbook", runbook="answer"))
        await step(pilot, "failed", "end")
        await palette(pilot, "Show step editor")
        await choose(pilot, "#s-result", "failure")
        await write(pilot, "#s-message", "The API did not answer")
        await edges(pilot, "answer", "ask", on_success="check", on_failure="failed")
        await edges(pilot, "answer", "check", on_true="done", on_false="failed")
        # only the input is missing (the fourth stage adds it)
        assert [p.keys for p in app.problems] == [
            ("runbooks", "answer", "steps", "ask", "args", "question")
        ], [str(p) for p in app.problems]
        await save(pilot)

    same_as_golden(target.read_text(encoding="utf-8"), STEPS_GOLDEN)


async def test_add_the_endpoint_run_save_and_check(
    tmp_path: Path, sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "helpdesk.toml"
    shutil.copyfile(STEPS_GOLDEN, target)  # where the third stage ends
    set_secret(target, "openai_key", "sk-sandbox")  # as the first stage set it, by keys
    app = RunbenchApp(
        target,
        environ={},
        overrides={"sandbox": sandbox.url},  # this session only: the file keeps :8781
        cursor_blink=False,
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        # its details: the input and a public endpoint with signature auth
        await tree_to(pilot, Selection("runbook", runbook="answer"))
        await palette(pilot, "Edit runbook details")
        await add_row(
            pilot, "#d-inputs", "kv-dialog", "question", "string", "How do I reset it?", "asked"
        )
        await choose(pilot, "#d-public", "on")
        await choose(pilot, "#d-auth", "signature")
        await write(pilot, "#d-secret", "secret:answer_signing")
        await write(pilot, "#d-prefix", "sha256=")
        await palette(pilot, "Set a secret")
        await form(pilot, "set-secret", "a-signing-secret")
        assert not app.problems, [str(p) for p in app.problems]

        # run it against the sandbox, to success
        await tree_to(pilot, Selection("runbook", runbook="answer"))
        await pilot.press("f5")
        await until(pilot, lambda: bool(app.screen.query("#trigger-run")), "the trigger dialog")
        await pilot.press("enter")
        await until(
            pilot,
            lambda: (view := app.runs.current("answer")) is not None and not view.active,
            "the run to end",
        )
        view = app.runs.current("answer")
        assert view is not None
        assert view.status == "success", view.error
        assert "How do I reset it?" in (view.message or "")  # the sandbox echoes the prompt

        await save(pilot)

    saved = target.read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["check", str(target)]) == 0
    assert f"{target}: 0 errors, 0 warnings" in capsys.readouterr().err
    assert "sk-sandbox" not in saved
    assert "a-signing-secret" not in saved
    assert secret_names(target)[0] == {"openai_key", "answer_signing"}
    same_as_golden(saved, GOLDEN)
