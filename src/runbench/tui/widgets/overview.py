"""The workspace overview: shown for the workspace and group nodes of the tree.

It answers "what is in this file and is anything wrong with it": name, file, the
variables (marking values overridden for this session only, which are never saved),
and every problem `runbench check` would report, with its line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from runbench.core.workspace import Problem, Workspace


def overview_text(
    workspace: Workspace, problems: Sequence[Problem], overrides: Mapping[str, Any]
) -> Text:
    text = Text()
    text.append(workspace.name or "Workspace", style="bold")
    text.append(f"\n{workspace.path}\n\n", style="dim")
    text.append(
        f"{len(workspace.integrations)} integrations, "
        f"{sum(len(i.methods) for i in workspace.integrations.values())} methods, "
        f"{len(workspace.runbooks)} runbooks\n\n"
    )
    text.append("Variables\n", style="bold")
    names = list(dict.fromkeys([*workspace.variables, *overrides]))
    if not names:
        text.append("  none\n", style="dim")
    for name in names:
        if name in overrides:
            text.append(f"  {name} = {overrides[name]!r}")
            text.append("  (--var, this session only; not saved)\n", style="yellow")
        else:
            text.append(f"  {name} = {workspace.variables[name]!r}\n")
    errors = [p for p in problems if p.is_error]
    text.append(
        f"\nProblems: {len(errors)} errors, {len(problems) - len(errors)} warnings\n", style="bold"
    )
    for problem in problems:
        where = f"line {problem.line}: " if problem.line else ""
        style = "red" if problem.is_error else "yellow"
        text.append(f"  {problem.severity}: ", style=style)
        text.append(f"{where}{problem.message}\n")
    text.append(
        "\nKeys: f1 help · ctrl+p commands · a add · r rename · c duplicate · "
        "delete removes (in the tree)",
        style="dim",
    )
    return text


class WorkspaceOverview(VerticalScroll):
    def compose(self) -> ComposeResult:
        yield Static("", id="overview-text")

    def show(
        self, workspace: Workspace, problems: Sequence[Problem], overrides: Mapping[str, Any]
    ) -> None:
        self.query_one("#overview-text", Static).update(
            overview_text(workspace, problems, overrides)
        )
