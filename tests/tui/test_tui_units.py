"""Unit tests of the workbench's non-widget parts: formatting, highlighting, edits, CLI."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runbench.cli.cmd_tui import parse_vars
from runbench.cli.main import main
from runbench.core.errors import SchemaError, UsageError
from runbench.core.http import Exchange, ResponseRecord
from runbench.core.workspace import SecretRef, WorkspaceDocument, WorkspaceEdits, parse_secret_text
from runbench.tui.app import RunbenchApp
from runbench.tui.screens.checker import _suggest_name, describe
from runbench.tui.state import body_lines
from runbench.tui.state.body_lines import format_body, index_lines, reindent
from runbench.tui.widgets.highlight import VARIABLE, VARIABLE_UNSET, line_highlights, template_spans
from runbench.tui.widgets.line_view import LineView


def sample(n: int) -> Any:
    return {
        "record_count": n,
        "empty": {},
        "none": [],
        "users": [
            {
                "id": i,
                "name": f"user {i}",
                "ok": i % 2 == 0,
                "score": i * 1.5,
                "tags": ["a", "b"],
                "note": 'quote " and \\ backslash, {braces} [brackets]: colon',
                "x": None,
            }
            for i in range(n)
        ],
    }


BIG = 2_000
"""Users in a "big" sample: ~300 KB, over the limits ``small_limits`` sets (the real ones are
2 MiB and 256 KiB; scanning 2 MiB in Python costs seconds per test for no more coverage)."""


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bodies over 64 KiB take the token-scan path, with a preview of the first 16 KiB."""
    monkeypatch.setattr(body_lines, "EXACT_LIMIT", 64 * 1024)
    monkeypatch.setattr(body_lines, "PREVIEW_CHARS", 16 * 1024)


def test_reindent_matches_json_dumps() -> None:
    data = sample(50)
    assert reindent(json.dumps(data)) == json.dumps(data, indent=2)


@pytest.mark.usefixtures("small_limits")
def test_format_body_large_gives_preview_then_all_lines() -> None:
    data = sample(BIG)  # over the exact limit minified: the token-scan path
    body = json.dumps(data)
    assert len(body) > body_lines.EXACT_LIMIT
    previews: list[int] = []
    lines = format_body(body, "application/json", lambda p: previews.append(p.count))
    expected = json.dumps(data, indent=2).split("\n")
    assert lines.count == len(expected)
    assert lines.line(0) == "{"
    assert lines.line(lines.count - 1) == "}"
    assert lines.line(5) == expected[5]
    assert len(previews) == 1
    assert 0 < previews[0] < lines.count


def test_format_body_small_and_not_json() -> None:
    assert format_body('{"a":[1,2]}').text == '{\n  "a": [\n    1,\n    2\n  ]\n}'
    text = format_body("<html>\n<p>hi</p>", "text/html")
    assert text.count == 2
    assert text.line(1) == "<p>hi</p>"
    assert not text.json
    assert index_lines("").count == 1


def test_template_spans_mark_unset_and_errors() -> None:
    text = '{"a": "<<x!>>",\n "b": <<y>>}'
    spans, report = template_spans(text, {"x"})
    assert [(text[s:e], name) for s, e, name in spans] == [
        ("<<x!>>", VARIABLE),
        ("<<y>>", VARIABLE_UNSET),
    ]
    assert report.variables == ("x", "y")
    assert report.error is None
    by_line = line_highlights(text, spans)
    assert by_line[1] == [(6, 11, VARIABLE_UNSET)]
    spans, report = template_spans("ok <<a^>> after", set())
    assert report.error is not None
    assert report.error_position is not None
    assert spans[0][2] == "rb.error"


def test_line_highlights_use_utf8_bytes() -> None:
    text = "é <<x>>"
    spans, _ = template_spans(text, set())
    assert line_highlights(text, spans)[0] == [(3, 8, VARIABLE_UNSET)]


def test_describe_paths() -> None:
    scope = {"response": {"choices": [{"text": "hi"}]}, "status": 200, "headers": {}}
    shown, usable = describe("response^choices[0]^text!", scope)
    assert usable
    assert "hi" in shown.plain
    assert "raw" in shown.plain
    shown, usable = describe("response^choices[", scope)
    assert not usable
    assert shown.plain.splitlines()[2].endswith("^")
    shown, usable = describe("response^nope", scope)
    assert usable
    assert shown.plain.startswith("no match")
    shown, _ = describe("status", None)
    assert "no response yet" in shown.plain
    assert _suggest_name("response^choices[0]^text!") == "Text"
    assert _suggest_name("response^customer_id") == "CustomerId"


def test_edits_keep_comments_and_repoint_references(workspace_file: Path) -> None:
    document = WorkspaceDocument(workspace_file)
    edits = WorkspaceEdits(document)
    workspace, _ = document.model()
    assert edits.rename_integration(workspace, "halo", "halo_prod") == 2  # halo = + one step
    data = tomllib.loads(document.text())
    assert data["halo"] == "halo_prod"
    assert (
        data["runbooks"]["ask_chatgpt"]["steps"]["post_back"]["method"] == "halo_prod.post_action"
    )
    assert "# the integration that is our Halo instance" in document.text()
    with pytest.raises(SchemaError, match="already exists"):
        edits.add_integration(document.model()[0], "openai", "https://x")
    with pytest.raises(SchemaError, match="not a valid"):
        edits.add_integration(document.model()[0], "has space", "https://x")
    edits.set_auth_field("openai", "token", SecretRef("secret", "openai_key"))
    assert tomllib.loads(document.text())["integrations"]["openai"]["auth"]["token"] == {
        "secret": "openai_key"
    }
    edits.set_body(("integrations", "openai", "methods", "completions", "body"), '{"a": "<<b>>"}')
    assert "body = '''{\"a\": \"<<b>>\"}'''" in document.text()


def test_duplicate_does_not_copy_trailing_comments(workspace_file: Path) -> None:
    document = WorkspaceDocument(workspace_file)
    edits = WorkspaceEdits(document)
    edits.duplicate_integration(document.model()[0], "halo", "halo2")
    text = document.text()
    assert text.count("# --- Runbooks") == 1
    workspace, problems = document.model()
    assert not problems
    assert set(workspace.integrations["halo2"].methods) == {
        "post_action",
        "get_ticket",
    }


def test_parse_secret_text() -> None:
    assert parse_secret_text("env:KEY") == (SecretRef("env", "KEY"), None)
    assert parse_secret_text("secret: name ") == (SecretRef("secret", "name"), None)
    assert parse_secret_text("")[1] is None
    value, warning = parse_secret_text("abc")
    assert value == "abc"
    assert warning
    assert "literal" in warning


def test_parse_vars() -> None:
    assert parse_vars(["a=1", "url=http://x/?q=1"]) == {"a": "1", "url": "http://x/?q=1"}
    with pytest.raises(UsageError):
        parse_vars(["novalue"])


def test_demo_headless_against_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    demo = Path(__file__).resolve().parents[2] / "workspaces" / "demo.toml"
    assert main(["demo", "--headless", "--workspace", str(demo)]) == 0
    out = capsys.readouterr().out
    assert "0 of 3 runbook(s) failed" in out
    assert "ok   ask_chatgpt      success: Answered ticket 1 (action " in out
    assert "ask (success) -> check (met) -> post_back (success) -> done (end)" in out
    assert "ok   create_customer  success: Created customer Acme Widgets with id " in out
    assert "ok   onboard_users    success: Onboarding finished" in out


@pytest.mark.usefixtures("small_limits")
async def test_big_response_loads_in_a_worker(make_app: Callable[..., RunbenchApp]) -> None:
    """A response over the exact limit is formatted off the message pump and fully shown."""
    app = make_app()
    body = json.dumps(sample(BIG))
    record = ResponseRecord(
        200, "OK", (("content-type", "application/json"),), body, len(body), 5.0
    )
    exchange = Exchange(None, record, {}, {}, None, None, 5.0)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        viewer = app.query_one("#response")
        viewer.show(exchange)  # type: ignore[attr-defined]
        view = app.query_one("#response-body", LineView)
        assert view.text == "formatting…"  # returned at once; the worker does the work
        await pilot.press("ctrl+b")  # keys are handled while it formats
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not app.query_one("#tree").display
        assert view.lines.count == len(json.dumps(sample(BIG), indent=2).split("\n"))
        await pilot.press("tab")
        view.focus()
        await pilot.press("end")
        await pilot.pause()
        assert view.scroll_offset.y > 1000


@pytest.mark.usefixtures("small_limits")
def test_large_body_formats_in_a_child_process() -> None:
    body = json.dumps(sample(BIG))
    here = format_body(body, "application/json")
    child = format_body(body, "application/json", in_process=True)
    assert child.text == here.text
    assert list(child.starts) == list(here.starts)
    assert child.width == here.width
    assert child.json
