"""Read-only runbook details: title, start, access, inputs, and each step with its edges.

This fills the ``#runbook-pane`` container until the flowchart and step editor (part 2)
replace it. It is meant to be useful on its own: the steps are listed in flow order from
the start, each with its kind, what it does and where each edge leads; a missing target
is marked. Selecting a step in the tree highlights it here.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from runbench.core.model import EDGE_KEYS, Runbook, Step
from runbench.core.validate import reachable_steps, successors
from runbench.tui.symbols import UNICODE, Symbols, symbols_of


def step_summary(step: Step, dot: str = "·") -> str:
    """One line saying what a step does."""
    if step.kind == "method":
        return f"calls {step.method or '?'}"
    if step.kind == "halo":
        return f"Halo API action {step.action or '?'}"
    if step.kind == "condition":
        rules = f" {step.match} of: " + "; ".join(
            f"{r.left} {r.op}" + ("" if r.right is None else f" {r.right!r}") for r in step.rules)
        return "condition" + (rules if step.rules else " (no rules: always met)")
    if step.kind == "sleep":
        return f"sleeps {step.seconds:g} s"
    if step.kind == "foreach":
        return f"for each item of {step.items or '?'}"
    if step.kind == "next":
        return "next iteration"
    if step.kind == "runbook":
        return f"starts runbook {step.runbook or '?'} and ends this one"
    if step.kind == "end":
        return f"ends: {step.result}" + (f" {dot} {step.message}" if step.message else "")
    return step.kind


def flow_order(runbook: Runbook) -> list[str]:
    """Step ids from the start, breadth first, then any unreachable ones."""
    order: list[str] = []
    todo = [runbook.start] if runbook.start in runbook.steps else []
    while todo:
        current = todo.pop(0)
        if current in order or current not in runbook.steps:
            continue
        order.append(current)
        todo.extend(successors(runbook.steps[current]))
    return order + [name for name in runbook.steps if name not in order]


def runbook_text(runbook: Runbook, selected: str = "", marks: Symbols = UNICODE) -> Text:
    text = Text()
    text.append(f"Runbook {runbook.id}", style="bold")
    if runbook.title:
        text.append(f" {marks.dot} {runbook.title}")
    access = "Halo and a public endpoint" if runbook.public else "only from Halo / CLI / TUI"
    text.append(f"\nstart: {runbook.start or '(none)'} {marks.dot} started from: {access}\n")
    if runbook.public:
        text.append(f"endpoint auth: {runbook.endpoint.auth}\n")
    if runbook.inputs:
        text.append("inputs: " + ", ".join(
            f"{spec.name} ({spec.type})" for spec in runbook.inputs.values()) + "\n")
    reachable = reachable_steps(runbook)
    text.append("\n")
    for name in flow_order(runbook):
        step = runbook.steps[name]
        style = "reverse bold" if name == selected else "bold"
        marker = f"{marks.start} " if name == runbook.start else "  "
        text.append(f"{marker}{name}", style=style)
        text.append(f"  [{step.kind}] {step_summary(step, marks.dot)}")
        if name not in reachable:
            text.append("  (unreachable)", style="yellow")
        text.append("\n")
        for key, label in EDGE_KEYS.get(step.kind, ()):
            target = step.edge(key)
            shown = target or "(not set)"
            edge_style = "red" if target and target not in runbook.steps else (
                "dim" if not target else "")
            text.append(f"      {label} {marks.arrow} ", style="dim")
            text.append(f"{shown}\n", style=edge_style)
    text.append("\nRead-only for now: edit runbooks in the TOML file.", style="dim italic")
    return text


class RunbookDetails(VerticalScroll):
    """The read-only runbook view inside ``#runbook-pane``."""

    def compose(self) -> ComposeResult:
        yield Static("", id="runbook-text")

    def show(self, runbook: Runbook, step: str = "") -> None:
        self.query_one("#runbook-text", Static).update(
            runbook_text(runbook, step, symbols_of(self)))
