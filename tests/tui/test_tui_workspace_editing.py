"""What used to need the file edited by hand, by keyboard at 80x24: runbooks added,
renamed (runbook steps follow), duplicated and deleted; a runbook's details (title,
start, inputs, guards, public endpoint with signature auth); the workspace's name, Halo
integration and variables; a missing secret marked and set from the workbench. The
details tab is tested alone in a host app (the messages it posts), and those messages
applied by the whole workbench."""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static

from host_app import Host
from runbench.core.workspace import SecretRef, load_workspace
from runbench.tui.app import RunbenchApp
from runbench.tui.messages import EntryEdited, FieldEdited
from runbench.tui.widgets.overview import OverviewForm
from runbench.tui.widgets.runbook_details import RunbookDetails
from runbench.tui.widgets.tree import Selection
from waits import dialog, settle, until

SIZE = (80, 24)
DEMO = Path(__file__).resolve().parents[2] / "workspaces" / "demo.toml"
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


async def test_runbook_details_post_every_field_but_the_steps() -> None:
    """The details tab alone in a host app: loading posts nothing; each field typed or
    chosen posts its ``FieldEdited`` (typed numbers, an endpoint secret as a reference); the
    signature auth shows its fields; the inputs table posts typed specs."""
    details = RunbookDetails(id="runbook-details")
    host = Host(details, FieldEdited, EntryEdited)
    async with host.run_test(size=SIZE) as pilot:
        details.show(load_workspace(DEMO).runbooks["ask_chatgpt"])
        await settle(pilot)
        assert details.query_one("#d-title", Input).value == "Ask ChatGPT a question"
        assert details.query_one("#d-start", Select).value == "ask"
        assert not details.query_one("#row-d-auth").display  # not public: no endpoint fields
        assert host.posted == []  # loading posts nothing
        details.query_one("#d-title", Input).value = "Ask the bot"
        details.query_one("#d-start", Select).value = "check"
        details.query_one("#d-max_steps", Input).value = "50"
        await settle(pilot)
        details.query_one("#d-public", Select).value = "on"
        await settle(pilot)
        details.query_one("#d-auth", Select).value = "signature"
        await settle(pilot)
        assert details.query_one("#row-d-secret").display
        assert not details.query_one("#row-d-password").display
        details.query_one("#d-secret", Input).value = "secret:ask_signing"
        details.query_one("#d-prefix", Input).value = "sha256="
        details.query_one("#d-timestamp_header", Input).value = "X-Timestamp"
        details.query_one("#d-tolerance", Input).value = "60"
        await settle(pilot)
        details.query_one("#d-algorithm", Select).value = "sha512"
        details.query_one("#d-encoding", Select).value = "base64"
        await until(pilot, lambda: len(host.posted) == len(DETAILS), "every field posted")
        posted = {(m.keys[2:], m.value, m.kind) for m in host.posted if isinstance(m, FieldEdited)}
        assert posted == set(DETAILS)
        assert all(m.keys[:2] == ("runbooks", "ask_chatgpt") for m in fields_of(host))

    inputs = RunbookDetails(id="runbook-details")
    host = Host(inputs, FieldEdited, EntryEdited)
    keys = ("runbooks", "create_customer", "inputs")
    async with host.run_test(size=SIZE) as pilot:
        inputs.show(load_workspace(DEMO).runbooks["create_customer"])
        await settle(pilot)
        table = inputs.query_one("#d-inputs DataTable", DataTable)
        table.focus()
        await pilot.press("a")
        await fill(pilot, name="question", type="string", default="hi", description="asked")
        table.move_cursor(row=0)
        await pilot.press("enter")  # edit the row
        await fill(pilot, type="int", default="3", description="")
        await pilot.press("d")
        await dialog(pilot, "#choice-yes")
        await pilot.click("#choice-yes")
        await until(pilot, lambda: len(host.posted) == 3, "added, edited, deleted")
        assert [(m.keys, m.name, m.value, m.old_name) for m in entries_of(host)] == [
            (keys, "question", {"type": "string", "default": "hi", "description": "asked"}, None),
            (
                keys,
                "customer_name",
                {"type": "int", "default": 3, "description": None},
                "customer_name",
            ),
            (keys, "customer_name", None, "customer_name"),
        ]


DETAILS = (
    (("title",), "Ask the bot", "text"),
    (("start",), "check", "value"),
    (("max_steps",), 50, "value"),
    (("public",), True, "value"),
    (("endpoint", "auth"), "signature", "endpoint"),
    (("endpoint", "secret"), SecretRef("secret", "ask_signing"), "endpoint"),
    (("endpoint", "prefix"), "sha256=", "endpoint"),
    (("endpoint", "timestamp_header"), "X-Timestamp", "endpoint"),
    (("endpoint", "tolerance"), 60.0, "endpoint"),
    (("endpoint", "algorithm"), "sha512", "endpoint"),
    (("endpoint", "encoding"), "base64", "endpoint"),
)
"""What the details test sets: (keys under the runbook, value posted, kind)."""


def fields_of(host: Host) -> list[FieldEdited]:
    return [m for m in host.posted if isinstance(m, FieldEdited)]


def entries_of(host: Host) -> list[EntryEdited]:
    return [m for m in host.posted if isinstance(m, EntryEdited)]


def book(app: RunbenchApp) -> dict[str, Any]:
    found: dict[str, Any] = edited(app)["runbooks"]["ask_chatgpt"]
    return found


def book_inputs(app: RunbenchApp) -> dict[str, Any]:
    inputs: dict[str, Any] = book(app)["inputs"]
    return inputs


async def test_overview_details_messages_and_runbooks_from_the_tree(make_app: MakeApp) -> None:
    """One app for three kinds of edit that share the demo workspace and touch different
    parts of it: the overview's name, Halo integration and typed variables; the messages
    the details tab posts, applied by the app (the guards, the public endpoint's fields, a
    secret as a reference, an input added, edited and deleted); runbooks added, renamed
    (runbook steps follow), duplicated and deleted from the tree."""
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

        # the details tab's messages (the tab alone: the host test above)
        for keys, value, kind in DETAILS:
            app.post_message(FieldEdited(("runbooks", "ask_chatgpt", *keys), value, kind))
        await until(pilot, lambda: book(app).get("endpoint", {}).get("encoding"), "the edits")
        assert book(app)["title"] == "Ask the bot"
        assert book(app)["start"] == "check"
        assert book(app)["max_steps"] == 50
        assert book(app)["public"] is True
        assert book(app)["endpoint"] == {
            "auth": "signature",
            "secret": {"secret": "ask_signing"},
            "prefix": "sha256=",
            "timestamp_header": "X-Timestamp",
            "tolerance": 60.0,
            "algorithm": "sha512",
            "encoding": "base64",
        }
        inputs = ("runbooks", "ask_chatgpt", "inputs")
        spec: dict[str, Any] = {"type": "string", "default": "hi", "description": "asked"}
        app.post_message(EntryEdited(inputs, "question", spec))
        await until(pilot, lambda: "inputs" in book(app), "the input added")
        assert book_inputs(app) == {"question": spec}
        spec = {"type": "int", "default": 3, "description": None}
        app.post_message(EntryEdited(inputs, "question", spec, "question"))
        await until(pilot, lambda: book_inputs(app)["question"]["type"] == "int", "edited")
        assert book_inputs(app) == {"question": {"type": "int", "default": 3}}
        app.post_message(EntryEdited(inputs, "question", None, "question"))
        await until(pilot, lambda: "inputs" not in book(app), "the input deleted")

        # runbooks from the tree
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
