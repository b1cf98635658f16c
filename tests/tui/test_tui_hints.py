"""Hints that are true, and keys that work where the cursor is: the rules table stops
saying "always met" once a rule exists; an end step is not told to set its edges; the
checker's prefill does not double and ctrl+o offers a free name; ctrl+e opens the
checker from inside a text field; ctrl+f5 runs from a step the last run paused before;
problems and status lines are whole (they wrap) and counts read "1 error"."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Input, Static

from runbench.core.workspace import Problem, summary
from runbench.tui.app import RunbenchApp
from runbench.tui.screens.checker import ExpressionChecker, _suggest_name, without_prefill
from runbench.tui.widgets.history import short_ids
from runbench.tui.widgets.rules_table import RulesTable
from runbench.tui.widgets.tree import Selection
from waits import dialog, settle, until

SIZE = (80, 24)
MakeApp = Callable[..., RunbenchApp]


def test_counts_prefill_names_and_ids() -> None:
    one = Problem("w.toml", 1, "error", "x")
    assert summary([one]) == "1 error, 0 warnings"
    assert summary([one, Problem("w.toml", 2, "warning", "y")]) == "1 error, 1 warning"
    assert without_prefill("response^response^id", "response^") == "response^id"
    assert without_prefill("response^items", "response^") is None
    assert _suggest_name("response^id", ("Id",)) == "Id_2"
    same_time = ["018f00000000aaaa1111", "018f00000000aaab2222", "018f00000001cccc3333"]
    shown = short_ids(same_time)
    assert len(set(shown.values())) == 3
    assert all(len(v) == 16 for v in shown.values())


class NoticesStay(RunbenchApp):
    """Notices stay until the test reads them: at load ~28 both of the test below had gone
    (after Textual's 5 s) before it looked."""

    NOTIFICATION_TIMEOUT = 3600


async def test_ctrl_e_from_a_field_then_the_rules_hint_and_end_step_notice(
    make_app: MakeApp,
) -> None:
    """One app: ctrl+e from a field opens the checker whose prefill is typed over; then a
    new condition's rules hint and the notices of added steps."""
    app = make_app(NoticesStay)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.query_one("#m-path", Input).focus()
        await pilot.press("ctrl+e")
        await until(pilot, lambda: isinstance(app.screen, ExpressionChecker), "the checker")
        field = app.screen.query_one("#checker-input", Input)
        await pilot.press("end", *"response^choices")
        await settle(pilot)
        assert field.value == "response^choices"
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ExpressionChecker), "closed")

        app.go_to(Selection("runbook", runbook="ask_chatgpt"))
        await settle(pilot)
        app.query_one("#tree").focus()
        await pilot.press("a")
        await dialog(pilot, "#form-ok", screen="add-step")
        app.screen.query_one("#field-name", Input).value = "routed"
        app.screen.query_one("#field-kind").value = "condition"  # type: ignore[attr-defined]
        await pilot.click("#form-ok")
        await settle(pilot)
        # a new condition has no rule: always met (the hint following the rules shown is
        # test_widgets.py's, the app applying a rule added test_tui_runbooks.py's)
        rules = app.query_one("#s-rules", RulesTable)
        assert "always met" in str(rules.query_one(".kv-hint", Static).render())
        notices = [n.message for n in app._notifications]
        assert any("set its edges" in m for m in notices)
        app.query_one("#tree").focus()
        await pilot.press("a")
        await dialog(pilot, "#form-ok", screen="add-step")
        app.screen.query_one("#field-name", Input).value = "ended"
        app.screen.query_one("#field-kind").value = "end"  # type: ignore[attr-defined]
        await pilot.click("#form-ok")
        runbook = "ask_chatgpt"
        await until(pilot, lambda: "ended" in app.workspace.runbooks[runbook].steps, "end added")
        await settle(pilot)
        last = [n.message for n in app._notifications][-1]
        assert last == "added end step ended"


async def test_run_from_the_step_a_stopped_run_paused_before_then_quit_asks_first(
    sandbox_app: MakeApp,
) -> None:
    """One app on create_customer: the run from the step a stopped run paused before; then
    quitting with a paused run asks first (cancel keeps it, stop ends it and quits)."""
    app = sandbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.go_to(Selection("step", runbook="create_customer", step="done"))
        await settle(pilot)
        await pilot.press("f9", "f5")
        await until(pilot, lambda: bool(app.screen.query("#trigger-run")), "the trigger dialog")
        await pilot.press("enter")
        await until(
            pilot,
            lambda: (
                (h := app.runs.handle_of("create_customer")) is not None
                and h.debugger.paused_at == "done"
            ),
            "the pause before done",
        )
        await pilot.press("shift+f5")
        await until(pilot, lambda: not app.active_runs(), "the stop")
        first = app.runs.current("create_customer")
        assert first is not None
        assert first.status == "failure"
        await pilot.press("f9", "ctrl+f5")  # no breakpoint this time: run from done
        await until(
            pilot,
            lambda: (
                (view := app.runs.current("create_customer")) is not None
                and view.run_id != first.run_id
                and not view.active
            ),
            "the run from done",
        )
        again = app.runs.current("create_customer")
        assert again is not None
        assert again.status == "success", again.error
        assert "Created customer Acme Widgets with id" in (again.message or "")

        # quit with a paused run: asks first
        app.go_to(Selection("step", runbook="create_customer", step="create"))
        await settle(pilot)
        await pilot.press("f9", "f5")  # breakpoint on the first step, run
        await until(pilot, lambda: bool(app.screen.query("#trigger-run")), "the trigger dialog")
        await pilot.press("enter")  # the trigger dialog's defaults
        await until(
            pilot,
            lambda: (
                (view := app.runs.current("create_customer")) is not None
                and view.run_id != again.run_id
                and view.paused_at == "create"
            ),
            "the pause before create",
        )
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
