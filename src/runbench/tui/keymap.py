"""The keys of the workbench's lazily loaded widgets, in one light module.

The flowchart, history, rules table and expression checker are imported on first use
(the history view alone pulls in the engine, sqlite3 and httpx). The help screen (f1)
lists their keys too; reading them from here means opening help imports none of those
widgets. Each widget's ``BINDINGS`` is the list below, so the two cannot disagree.
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
