"""The workbench's keys and those of its lazily loaded widgets, in one light module.

The flowchart, history, rules table and expression checker are imported on first use
(the history view alone pulls in the engine, sqlite3 and httpx). The help screen (f1)
lists their keys too; reading them from here means opening help imports none of those
widgets. Each widget's ``BINDINGS`` is the list below, so the two cannot disagree.

Keys that must work wherever the cursor is (inside a text field too: ``ctrl+e`` is
"end of line" to an Input, ``ctrl+z`` undo to a TextArea) are priority bindings: the
workbench's meaning wins, and the footer shows them everywhere.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

FLOWCHART_KEYS: list[BindingType] = [
    Binding("up", "move(-1)", "Previous step", show=False),
    Binding("down", "move(1)", "Next step", show=False),
    Binding("left", "beside(-1)", "Box to the left", show=False),
    Binding("right", "beside(1)", "Box to the right", show=False),
    Binding("home", "first", "Start step", show=False),
    Binding("enter,e", "open", "Edit step", tooltip="Open the selected step in the editor"),
    Binding("a", "app.add", "Add step"),
    Binding("r,f2", "app.rename", "Rename", tooltip="Rename the step (edges follow)"),
    Binding("delete,x", "app.delete", "Delete", tooltip="Delete the step (asks first)"),
]
HISTORY_KEYS: list[BindingType] = [
    Binding("r", "refresh_runs", "Refresh", tooltip="Re-read the run history"),
    Binding("escape,backspace", "back", "Back to runs", show=False),
]
RULES_KEYS: list[BindingType] = [
    Binding("a,insert", "add_rule", "Add rule"),
    Binding("e", "edit_rule", "Edit rule"),
    Binding("delete,d", "delete_rule", "Delete rule"),
]
CHECKER_KEYS: list[BindingType] = [
    Binding("escape", "close", "Close"),
    Binding("ctrl+o", "add_output", "Add as output"),
]
RESPONSE_KEYS: list[BindingType] = [
    Binding("slash", "find", "Find", tooltip="Search the shown tab (n/N: next/previous match)"),
    Binding("n", "find_next", "Next match", show=False),
    Binding("N", "find_previous", "Previous match", show=False),
    Binding("f", "filter", "Filter", tooltip="Show only what an output path (or .jq.path) finds"),
    Binding("escape", "clear", "Clear", show=False, tooltip="Clear the search or the filter"),
    Binding("w", "wrap", "Wrap", show=False, tooltip="Wrap long lines (again: unwrap)"),
    Binding("y", "app.copy_line", "Copy line", show=False, tooltip="Copy the selected line"),
    Binding(
        "v", "app.copy_value", "Copy value", show=False, tooltip="Copy the selected line's value"
    ),
    Binding(
        "Y", "app.copy_body", "Copy all", show=False, tooltip="Copy the body (or filter result)"
    ),
    Binding(
        "c", "app.copy_curl", "Copy curl", show=False, tooltip="Copy the method as a curl command"
    ),
    Binding("s", "app.save_body", "Save", show=False, tooltip="Save the body to a file"),
    Binding(
        "S",
        "app.save_exchange",
        "Save all",
        show=False,
        tooltip="Save request and response (redacted)",
    ),
    Binding("p", "app.pager", "Pager", show=False, tooltip="Open the body in $PAGER (less -R)"),
    Binding("e", "app.editor", "Editor", show=False, tooltip="Open the body in $EDITOR (a copy)"),
    Binding(
        "h", "app.response_history", "History", tooltip="Past responses of this method; diff two"
    ),
]
FIND_BAR_KEYS: list[BindingType] = [
    Binding("escape", "close", "Close", show=False),
]
TEST_HISTORY_KEYS: list[BindingType] = [
    Binding("enter", "open", "Open", tooltip="Show this response in the viewer"),
    Binding("space,m", "mark", "Mark", tooltip="Mark this response to compare"),
    Binding("d", "diff", "Diff", tooltip="Compare with the marked response (or the one before)"),
    Binding("escape", "back", "Back", tooltip="Back to the list; close"),
]

WORKBENCH_KEYS: list[BindingType] = [
    Binding("ctrl+s", "save", "Save", tooltip="Save the workspace (comments kept)"),
    Binding(
        "f12,alt+s",
        "save_as",
        "Save as",
        show=False,
        tooltip="Save the workspace under another name (and go on editing that file)",
    ),
    Binding(
        "ctrl+z",
        "undo",
        "Undo",
        show=False,
        priority=True,
        tooltip="Undo the last edit (fields typed, steps, runbooks, ...)",
    ),
    Binding("ctrl+y", "redo", "Redo", show=False, priority=True, tooltip="Redo what was undone"),
    Binding(
        "ctrl+t", "test_method", "Test", tooltip="Send the selected method with its test values"
    ),
    Binding(
        "ctrl+e",
        "check_expression",
        "Check path",
        priority=True,
        tooltip="Evaluate an output path against the last response (works in any field)",
    ),
    Binding("ctrl+b", "toggle_tree", "Tree", tooltip="Show or hide the tree"),
    Binding(
        "ctrl+r",
        "toggle_response",
        "Zoom response",
        tooltip="Zoom the response to the whole screen (again, or escape, to restore)",
    ),
    Binding("f1,question_mark", "help", "Keys", tooltip="Show every key"),
    Binding(
        "f5",
        "run",
        "Run",
        tooltip="Run the selected runbook (asks for its trigger); continue a paused run",
    ),
    Binding(
        "f10",
        "step",
        "Step",
        show=False,
        tooltip="Paused: run this step and pause before the next; idle: start stepping",
    ),
    Binding("shift+f5", "stop", "Stop", show=False, tooltip="Stop the run (ends as failed)"),
    Binding(
        "f9",
        "toggle_breakpoint",
        "Breakpoint",
        show=False,
        tooltip="Toggle a breakpoint on the selected step",
    ),
    Binding(
        "ctrl+f5",
        "run_from_step",
        "Run from step",
        show=False,
        tooltip="Run again from the selected step with the last run's variables there",
    ),
    Binding(
        "escape",
        "unzoom",
        "Leave zoom",
        show=False,
        tooltip="Leave the zoomed response (as ctrl+r)",
    ),
    Binding(
        "ctrl+q",
        "quit",
        "Quit",
        priority=True,
        tooltip="Quit (asks first when there are unsaved changes or a run is going)",
    ),
]
"""The workbench's own keys (``RunbenchApp.BINDINGS``)."""
