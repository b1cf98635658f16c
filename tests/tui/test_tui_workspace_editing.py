"""What used to need the file edited by hand, by keyboard at 80x24: runbooks added,
renamed (runbook steps follow), duplicated and deleted; a runbook's details (title,
start, inputs, guards, public endpoint with signature auth); the workspace's name, Halo
integration and variables; a missing secret marked and set from the workbench."""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static

from runbench.tui.app import RunbenchApp
from runbench.tui.widgets.overview import OverviewForm
from runbench.tui.widgets.tree import Selection
from waits import dialog, settle

SIZE = (80, 24)
MakeApp = Callable[..., RunbenchApp]


def edited(app: RunbenchApp) -> dict[str, Any]:
    return tomllib.loads(app.document.text())


async def fill(pilot: Pilot[Any], **values: str) -> None:
    """Fill the open form's fields (``field-NAME``) and submit it."""
    await dialog(pilot, "#form-ok")
    for name, value in values.items():
        widget = pilot.app.screen.query_one(f"#field-{name}")
        if isinstance(widget, Select):
            widget.value = value
        else:
            assert isinstance(widget, Input)
            widget.value = value
    await pilot.pause()
    await pilot.click("#form-ok")
    await settle(pilot)


async def test_runbook_add_rename_duplicate_delete_from_the_tree(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.go_to(Selection("runbooks"))
        app.query_one("#tree").focus()
        await pilot.press("a")
        await dialog(pilot, "#form-ok")
        assert app.screen.id == "add-runbook"
        await fill(pilot, name="triage", title="Triage tickets")
        assert app.selection == Selection("runbook", runbook="triage")
        assert edited(app)["runbooks"]["triage"] == {"title": "Triage tickets"}
        await pilot.press("a")  # on a runbook: adds a step, which becomes the start
        await pilot.pause()
        await fill(pilot, name="route", kind="runbook")
        app.query_one("#s-runbook", Select).value = "create_customer"
        await settle(pilot)
        assert edited(app)["runbooks"]["triage"]["start"] == "route"
        app.go_to(Selection("runbook", runbook="create_customer"))
        app.query_one("#tree").focus()
        await pilot.press("r")
        await pilot.pause()
        await fill(pilot, value="new_customer")
        data = edited(app)["runbooks"]
        assert "create_customer" not in data
        assert "new_customer" in data
        assert data["triage"]["steps"]["route"]["runbook"] == "new_customer"
        await pilot.press("c")
        await pilot.pause()
        await fill(pilot, value="new_customer_2")
        assert set(edited(app)["runbooks"]["new_customer_2"]["steps"]) == {
            "create",
            "done",
            "failed",
        }
        app.go_to(Selection("runbook", runbook="new_customer"))
        app.query_one("#tree").focus()
        await pilot.press("delete")
        await dialog(pilot, ".dialog-message")
        message = str(app.screen.query_one(".dialog-message", Static).render())
        assert "Still started by: triage.route" in message
        await pilot.click("#choice-yes")
        await settle(pilot)
        assert "new_customer" not in edited(app)["runbooks"]
        assert app.selection == Selection("runbooks")


async def test_runbook_details_edit_everything_but_the_steps(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.go_to(Selection("runbook", runbook="ask_chatgpt"))
        await settle(pilot)
        app.with_runbook_pane(lambda pane: pane.open_tab("tab-details"))
        await settle(pilot)
        assert app.query_one("#d-title", Input).value == "Ask ChatGPT a question"
        assert app.query_one("#d-start", Select).value == "ask"
        assert not app.query_one("#row-d-auth").display  # not public: no endpoint fields
        assert (
            edited(app)["runbooks"]["ask_chatgpt"].get("endpoint") is None
        )  # loading wrote nothing
        app.query_one("#d-title", Input).value = "Ask the bot"
        app.query_one("#d-start", Select).value = "check"
        app.query_one("#d-max_steps", Input).value = "50"
        await settle(pilot)
        app.query_one("#d-public", Select).value = "on"
        await settle(pilot)
        app.query_one("#d-auth", Select).value = "signature"
        await settle(pilot)
        assert app.query_one("#row-d-secret").display
        assert not app.query_one("#row-d-password").display
        app.query_one("#d-secret", Input).value = "secret:ask_signing"
        app.query_one("#d-prefix", Input).value = "sha256="
        app.query_one("#d-timestamp_header", Input).value = "X-Timestamp"
        app.query_one("#d-tolerance", Input).value = "60"
        await settle(pilot)
        app.query_one("#d-algorithm", Select).value = "sha512"
        app.query_one("#d-encoding", Select).value = "base64"
        await settle(pilot)
        book = edited(app)["runbooks"]["ask_chatgpt"]
        assert book["title"] == "Ask the bot"
        assert book["start"] == "check"
        assert book["max_steps"] == 50
        assert book["public"] is True
        assert book["endpoint"] == {
            "auth": "signature",
            "secret": {"secret": "ask_signing"},
            "prefix": "sha256=",
            "timestamp_header": "X-Timestamp",
            "tolerance": 60.0,
            "algorithm": "sha512",
            "encoding": "base64",
        }
        table = app.query_one("#d-inputs DataTable", DataTable)
        table.focus()
        await pilot.press("a")
        await pilot.pause()
        await fill(pilot, name="question", type="string", default="hi", description="asked")
        assert book_inputs(app) == {
            "question": {"type": "string", "default": "hi", "description": "asked"}
        }
        await pilot.press("enter")  # edit the row
        await pilot.pause()
        await fill(pilot, type="int", default="3", description="")
        assert book_inputs(app) == {"question": {"type": "int", "default": 3}}
        await pilot.press("d")
        await dialog(pilot, "#choice-yes")
        await pilot.click("#choice-yes")
        await settle(pilot)
        assert "inputs" not in edited(app)["runbooks"]["ask_chatgpt"]


def book_inputs(app: RunbenchApp) -> dict[str, Any]:
    inputs: dict[str, Any] = edited(app)["runbooks"]["ask_chatgpt"]["inputs"]
    return inputs


async def test_overview_edits_name_halo_and_typed_variables(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.go_to(Selection("integrations"))
        await settle(pilot)
        assert app.query_one("#w-name", Input).value == "Demo service desk"
        assert app.query_one("#w-halo", Select).value == "halo"
        assert edited(app)["name"] == "Demo service desk"  # loading wrote nothing
        app.query_one("#w-name", Input).value = "Service desk"
        app.query_one("#w-halo", Select).value = "openai"
        await settle(pilot)
        table = app.query_one("#w-variables DataTable", DataTable)
        table.focus()
        await pilot.press("a")
        await pilot.pause()
        await fill(pilot, name="retries", value="3")
        await pilot.press("a")
        await pilot.pause()
        await fill(pilot, name="code", value='"007"')
        data = edited(app)
        assert data["name"] == "Service desk"
        assert data["halo"] == "openai"
        assert data["variables"]["retries"] == 3
        assert data["variables"]["code"] == "007"
        assert 'retries = 3\ncode = "007"\n' in app.document.text()  # in [variables]


async def test_a_missing_secret_is_marked_and_set_from_the_workbench(
    make_app: MakeApp, workspace_file: Path
) -> None:
    text = workspace_file.read_text(encoding="utf-8")
    workspace_file.write_text(
        text.replace('token = "sk-sandbox"', 'token = { secret = "openai_key" }'), "utf-8"
    )
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        missing = [p for p in app.problems if "openai_key" in p.message]
        assert missing
        assert missing[0].line == 18
        assert app.sub_title == "0 errors, 1 warning"
        app.go_to(Selection("integration", "openai"))
        await settle(pilot)
        shown = str(app.query_one("#integration-problems", Static).render())
        assert "secret 'openai_key' is not in" in shown
        app.go_to(Selection("workspace"))
        await settle(pilot)
        form = app.query_one(OverviewForm)
        assert form.missing == ("openai_key",)
        app.query_one("#w-set-secret").focus()  # below the variables: scrolled to
        await pilot.press("enter")
        await dialog(pilot, "#field-value")
        assert app.screen.id == "set-secret"
        assert app.screen.query_one("#field-value", Input).password
        await fill(pilot, value="sk-sandbox")
        secrets = workspace_file.parent / ".runbench" / "secrets.toml"
        assert stat.S_IMODE(os.stat(secrets).st_mode) == 0o600
        assert tomllib.loads(secrets.read_text(encoding="utf-8")) == {"openai_key": "sk-sandbox"}
        assert not [p for p in app.problems if "openai_key" in p.message]
        assert "sk-sandbox" not in str(app.query_one("#overview-text", Static).render())
