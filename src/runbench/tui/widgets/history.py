"""The History tab: past runs of the runbook from the journal, and one run in detail.

The list is the journal's (newest first), so runs started by ``runbench run`` or
``runbench serve`` show up beside the workbench's own; it is re-read when the tab opens
and with ``r``. Opening a run (enter) shows its steps in order; the flowchart shows the
path it took at the same time (the app draws the opened run's marks). A step row shows
what the journal kept for that step: the variables it started from, its outputs and
its HTTP exchanges (redacted when they were recorded).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import ContentSwitcher, DataTable, Static

from runbench.core.engine import RunRow, StepRow
from runbench.core.files import load_json_text
from runbench.tui.keymap import HISTORY_KEYS
from runbench.tui.state.flow_graph import edge_label
from runbench.tui.state.run_view import HttpRecord, RunView
from runbench.tui.widgets.run_panes import one_line

STATUS_MARKS = {
    "success": "✔",
    "failure": "✘",
    "running": "▶",
    "paused": "‖",
    "queued": "…",
    "interrupted": "!",
}
BODY_LINES = 40


def when(stamp: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp)) if stamp else "-"


def short_when(stamp: float | None, now: float | None = None) -> str:
    """``14:03:07`` today, ``03-14 14:03`` another day: short enough for 80 columns."""
    if not stamp:
        return "-"
    day = time.strftime("%Y-%m-%d", time.localtime(now if now is not None else time.time()))
    if time.strftime("%Y-%m-%d", time.localtime(stamp)) == day:
        return time.strftime("%H:%M:%S", time.localtime(stamp))
    return time.strftime("%m-%d %H:%M", time.localtime(stamp))


def short_ids(ids: Sequence[str], minimum: int = 14) -> dict[str, str]:
    """Each run id cut to the shortest length (at least ``minimum``: the 12 characters of
    its time and two random ones) at which every id in ``ids`` differs."""
    length = minimum
    while length < max((len(i) for i in ids), default=0) and len({i[:length] for i in ids}) < len(
        set(ids)
    ):
        length += 1
    return {i: i[:length] for i in ids}


def took(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def _body(value: Any) -> list[str]:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    try:
        text = json.dumps(load_json_text(text), indent=2, ensure_ascii=False)
    except ValueError:
        pass
    lines: list[str] = text.splitlines()
    return lines[:BODY_LINES] + (
        [f"... {len(lines) - BODY_LINES} more lines"] if len(lines) > BODY_LINES else []
    )


def http_text(record: HttpRecord) -> Text:
    text = Text()
    request, response = record.request or {}, record.response or {}
    text.append(f"{request.get('method', '?')} {request.get('url', '')}", style="bold")
    text.append(f"  attempt {record.attempt}\n")
    for name, value in (request.get("headers") or {}).items():
        text.append(f"  > {name}: {value}\n", style="dim")
    for line in _body(request.get("body")) if request.get("body") else []:
        text.append(f"  > {line}\n")
    if response:
        took_ms = f" ({response.get('elapsed_ms', 0):.0f} ms)"
        status = f"{response.get('status')} {response.get('reason', '')}".rstrip()
        text.append(f"  < {status}{took_ms}\n", style="bold")
        for line in _body(response.get("body", "")):
            text.append(f"  < {line}\n")
    if record.error:
        text.append(f"  error: {record.error}\n", style="red")
    return text


def step_detail(view: RunView, row: StepRow) -> Text:
    """What the journal kept for one step of a run."""
    text = Text()
    edge = (
        edge_label(row.kind, row.edge) if row.edge else ("running" if not row.finished else "end")
    )
    target = f" → {row.target}" if row.target else ""
    duration = f" · {row.duration_ms:.0f} ms" if row.duration_ms is not None else ""
    text.append(f"#{row.seq} {row.step} ({row.kind}) · {edge}{target}{duration}\n", style="bold")
    if row.error:
        text.append(f"error: {row.error}\n", style="red")
    text.append("Outputs\n", style="bold underline")
    for name, value in row.outputs.items():
        text.append(f"  {name} = {one_line(value, 200)}\n", style="green")
    if not row.outputs:
        text.append("  (none)\n", style="dim")
    text.append("Variables before the step\n", style="bold underline")
    for name in sorted(row.variables_before, key=str.lower):
        text.append(f"  {name} = {one_line(row.variables_before[name], 200)}\n")
    records = [r for r in view.http if r.seq == row.seq]
    if records:
        text.append("HTTP\n", style="bold underline")
        for record in records:
            text.append_text(http_text(record))
    return text


class HistoryView(Vertical):
    """See the module docstring; the app feeds it with ``show_runs`` and ``show_run``."""

    BINDINGS: ClassVar[list[BindingType]] = HISTORY_KEYS

    class Open(Message):
        def __init__(self, run_id: str) -> None:
            self.run_id = run_id
            super().__init__()

    class Closed(Message):
        """Back from a run to the list."""

    class Refresh(Message):
        """Re-read the list from the journal."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.runs: list[RunRow] = []
        self.view: RunView | None = None

    def compose(self) -> ComposeResult:
        with ContentSwitcher(initial="history-list", id="history-switcher"):
            with Vertical(id="history-list"):
                runs: DataTable[str] = DataTable(
                    cursor_type="row", zebra_stripes=True, id="history-runs"
                )
                runs.add_columns("Status", "Started", "Took", "Trigger", "Run")
                yield runs
                yield Static("enter: open the run · r: refresh", classes="kv-hint")
            with Vertical(id="history-run"):
                yield Static("", id="history-title")
                steps: DataTable[str] = DataTable(cursor_type="row", id="history-steps")
                steps.add_columns("#", "Step", "Edge", "Took", "Error")
                yield steps
                with VerticalScroll(id="history-detail-scroll"):
                    yield Static("", id="history-detail")
                yield Static(
                    "up/down: a step's variables and HTTP · escape: back to runs", classes="kv-hint"
                )

    @property
    def is_open(self) -> bool:
        return self.query_one(ContentSwitcher).current == "history-run"

    def show_runs(self, runs: Sequence[RunRow]) -> None:
        self.runs = list(runs)
        table = self.query_one("#history-runs", DataTable)
        table.clear()
        shown = short_ids([row.id for row in self.runs])
        for row in self.runs:
            mark = STATUS_MARKS.get(row.status, " ")
            table.add_row(
                f"{mark} {row.status}",
                short_when(row.started or row.created),
                took(row.duration),
                row.trigger,
                shown[row.id],
                key=row.id,
            )
        if not self.runs:
            table.add_row("", "no runs yet", "", "", "")

    def show_run(self, view: RunView) -> None:
        self.view = view
        self.query_one(ContentSwitcher).current = "history-run"
        status = f"{STATUS_MARKS.get(view.status, ' ')} {view.status}"
        outcome = view.message or view.error or ""
        self.query_one("#history-title", Static).update(
            Text.assemble(
                (f"{status} ", "bold"),
                f"{when(view.started)} · {view.trigger} · {view.run_id}",
                f"\n{outcome}" if outcome else "",
            )
        )
        table = self.query_one("#history-steps", DataTable)
        table.clear()
        for row in view.rows:
            edge = edge_label(row.kind, row.edge) if row.edge else ("" if row.finished else "…")
            duration = f"{row.duration_ms:.0f} ms" if row.duration_ms is not None else ""
            table.add_row(
                str(row.seq),
                row.step,
                edge,
                duration,
                one_line(row.error or "", 30),
                key=str(row.seq),
            )
        self._detail(0)
        table.focus()

    def _detail(self, index: int) -> None:
        view = self.view
        widget = self.query_one("#history-detail", Static)
        if view is None or not 0 <= index < len(view.rows):
            widget.update(Text("This run has no steps.", style="dim"))
            return
        widget.update(step_detail(view, view.rows[index]))

    @on(DataTable.RowHighlighted, "#history-steps")
    def _step(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._detail(event.cursor_row)

    @on(DataTable.RowSelected, "#history-runs")
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self.runs):
            self.post_message(self.Open(self.runs[event.cursor_row].id))

    @on(DataTable.RowSelected, "#history-steps")
    def _step_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.query_one("#history-detail-scroll").focus()

    def action_refresh_runs(self) -> None:
        self.post_message(self.Refresh())

    def action_back(self) -> None:
        if self.is_open:
            self.view = None
            self.query_one(ContentSwitcher).current = "history-list"
            self.query_one("#history-runs", DataTable).focus()
            self.post_message(self.Closed())


__all__ = ["STATUS_MARKS", "HistoryView", "short_ids", "short_when", "step_detail", "when"]
