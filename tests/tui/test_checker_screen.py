"""The expression checker alone, pushed on a small host app with a response's scope: what
typing shows (a value, a syntax error's caret, a miss), ctrl+o posting ``AddOutput`` with
the name asked for, escape closing it. Opening it on the last response (ctrl+t, ctrl+e) and
the output reaching the method are in test_tui_workbench.py, on the whole workbench; a big
body parsed in a child process is in test_checker_process.py."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Input, Static

from host_app import Host
from runbench.tui.screens.checker import ExpressionChecker
from waits import dialog, settle, type_text, until

SIZE = (80, 24)
SCOPE: dict[str, Any] = {
    "response": {"choices": [{"index": 0, "text": "Answer to: How do I reset my password?"}]},
    "status": 200,
    "headers": {"content-type": "application/json"},
}


def checker_host() -> Host:
    """Nothing but the workbench's styles; keeps every ``AddOutput`` the checker posts."""
    return Host(None, ExpressionChecker.AddOutput)


def added(host: Host) -> list[tuple[str, str]]:
    return [(m.name, m.path) for m in host.posted if isinstance(m, ExpressionChecker.AddOutput)]


def result_text(checker: ExpressionChecker) -> str:
    content = checker.query_one("#checker-result", Static).content
    return content.plain if isinstance(content, Text) else str(content)


async def test_typed_paths_show_a_value_a_caret_or_a_miss() -> None:
    host = checker_host()
    async with host.run_test(size=SIZE) as pilot:
        checker = ExpressionChecker(lambda: SCOPE, "openai.completions", taken=("ResponseText",))
        await host.push_screen(checker)
        await settle(pilot)
        box = checker.query_one("#checker-input", Input)
        assert box.has_focus
        await type_text(pilot, "choices[0]^text!")  # after the prefilled response^
        await until(pilot, lambda: "Answer to:" in result_text(checker), "the value")
        assert box.value == "response^choices[0]^text!"
        assert result_text(checker) == "= (str, raw)\nAnswer to: How do I reset my password?"

        box.value = "response^choices[0^text"
        await until(pilot, lambda: "syntax error" in result_text(checker), "the syntax error")
        lines = result_text(checker).splitlines()
        position = int(lines[0].split("position ")[1].split(":")[0]) - 1
        assert lines[1:] == ["response^choices[0^text", " " * position + "^"]

        box.value = "response^choices[3]^text"
        await until(pilot, lambda: result_text(checker).startswith("no match:"), "the miss")
        assert "stopped at: [3]" in result_text(checker)

        box.value = "response^choices[0]^index"
        await until(pilot, lambda: result_text(checker).startswith("= (int)"), "the index")
        await pilot.press("ctrl+o")
        await dialog(pilot, "#field-value", screen="output-name")
        assert host.screen.query_one("#field-value", Input).has_focus  # the name offered
        await type_text(pilot, "FirstIndex")  # selected: typing replaces it
        await pilot.press("enter")
        await until(pilot, lambda: added(host) != [], "the output posted")
        assert added(host) == [("FirstIndex", "response^choices[0]^index")]
        assert host.screen is checker  # still open for more
        assert checker.taken == ("ResponseText", "FirstIndex")

        await pilot.press("escape")
        await until(pilot, lambda: host.screen is not checker, "the checker closed")
