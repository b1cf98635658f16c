"""The step editor shows and edits sql and ai steps, and the flowchart draws them (80x24,
keyboard-free edits through the widgets' own messages)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Select, TextArea

from runbench.core.workspace import SecretRef
from runbench.tui.app import RunbenchApp
from runbench.tui.widgets.flowchart import FlowchartView
from runbench.tui.widgets.step_editor import StepEditor
from runbench.tui.widgets.tree import Selection
from waits import until

SIZE = (80, 24)
MakeApp = Callable[..., RunbenchApp]


async def add_step(pilot: Pilot[Any], name: str, kind: str) -> None:
    app = pilot.app
    assert isinstance(app, RunbenchApp)
    app.go_to(Selection("step", runbook="ask_chatgpt", step="check"))
    await pilot.pause()
    app.query_one(FlowchartView).focus()
    await pilot.pause()
    await pilot.press("a")
    await until(pilot, lambda: app.screen.id == "add-step", "add dialog")
    app.screen.query_one("#field-name", Input).value = name
    app.screen.query_one("#field-kind", Select).value = kind
    await pilot.click("#form-ok")
    await until(
        pilot, lambda: app.selection is not None and app.selection.step == name, f"{name} selected"
    )


def step(app: RunbenchApp, name: str) -> Any:
    return app.workspace.runbooks["ask_chatgpt"].steps[name]


def shown(app: RunbenchApp, widget_id: str) -> bool:
    return bool(app.query_one(f"#row-s-{widget_id}").display)


async def test_sql_then_ai_step_fields(make_app: MakeApp) -> None:
    """One app: an sql step added and edited, then an ai step."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await add_step(pilot, "lookup", "sql")
        assert shown(app, "database")
        assert shown(app, "max_rows")
        assert not shown(app, "method")
        label = str(app.query_one("#s-body-label").render())
        assert label.startswith("Query")
        app.query_one("#s-body", TextArea).text = "SELECT id FROM tickets WHERE id = <<ticket^id>>"
        app.query_one("#s-database", Input).value = "env:CMDB_URL"
        app.query_one("#s-max_rows", Input).value = "50"
        app.query_one("#s-edge-on_success", Select).value = "done"
        await until(pilot, lambda: step(app, "lookup").max_rows == 50, "max_rows saved")
        found = step(app, "lookup")
        assert found.query == "SELECT id FROM tickets WHERE id = <<ticket^id>>"
        assert found.database == SecretRef("env", "CMDB_URL")
        assert found.edge("on_success") == "done"
        chart = app.query_one(FlowchartView).chart
        assert chart is not None
        assert "sql" in chart.text
        assert "lookup" in chart.text

        # an ai step, in the same app
        await add_step(pilot, "triage", "ai")
        editor = app.query_one(StepEditor)
        assert shown(app, "integration")
        assert shown(app, "ai_type")
        assert not shown(app, "database")
        assert str(editor.query_one("#s-body-label").render()).startswith("Prompt")
        app.query_one("#s-integration", Select).value = "openai"
        app.query_one("#s-ai_type", Select).value = "agent"
        app.query_one("#s-json_answer", Select).value = True
        app.query_one("#s-model", Input).value = "gpt-4o"
        app.query_one("#s-body", TextArea).text = "Classify: <<ticket^summary!>>"
        await until(pilot, lambda: step(app, "triage").prompt.startswith("Classify"), "prompt")
        found = step(app, "triage")
        assert (found.integration, found.ai_type, found.json_answer, found.model) == (
            "openai",
            "agent",
            True,
            "gpt-4o",
        )
        app.go_to(Selection("step", runbook="ask_chatgpt", step="triage"))
        await pilot.pause()
        assert app.query_one("#s-ai_type", Select).value == "agent"
        assert app.query_one("#s-body", TextArea).text == "Classify: <<ticket^summary!>>"


def test_one_line_summaries_of_sql_and_ai_steps() -> None:
    from runbench.core.workspace import Step
    from runbench.tui.widgets.runbook_pane import step_summary

    sql = Step(id="q", kind="sql", query="SELECT id\n  FROM tickets")
    assert step_summary(sql) == "queries Halo's report API: SELECT id FROM tickets"
    assert step_summary(Step(id="a", kind="ai", integration="openai", ai_type="agent")) == (
        "asks openai (Halo AI agent)"
    )
