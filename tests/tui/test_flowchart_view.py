"""The flowchart alone, in a small host app: keys and clicks move its cursor through the
boxes and post ``StepSelected`` (with ``open`` for enter), and the ASCII mode draws with
no other character. What the workbench does with ``StepSelected`` (the tree follows, enter
opens the step editor) is in test_tui_runbooks.py; ASCII on every screen of the whole
workbench in test_tui_ascii.py."""

from __future__ import annotations

from pathlib import Path

from host_app import Host
from runbench.core.workspace import load_workspace
from runbench.tui.state.flow_graph import flow_order, runbook_graph
from runbench.tui.widgets.flowchart import FlowchartView
from waits import settle, until

SIZE = (80, 24)
DEMO = Path(__file__).resolve().parents[2] / "workspaces" / "demo.toml"


def show(view: FlowchartView, runbook: str) -> None:
    """As the runbook pane feeds it when no run is shown."""
    book = load_workspace(DEMO).runbooks[runbook]
    view.show(runbook_graph(book), order=flow_order(book), marks={}, box_class={})


def selected(host: Host) -> list[tuple[str, bool]]:
    return [(m.step, m.open) for m in host.posted if isinstance(m, FlowchartView.StepSelected)]


async def test_keys_move_through_the_boxes_and_enter_opens() -> None:
    view = FlowchartView(id="flowchart")
    host = Host(view, FlowchartView.StepSelected)
    async with host.run_test(size=SIZE) as pilot:
        show(view, "ask_chatgpt")
        view.focus()
        await settle(pilot)
        assert view.order == ["ask", "check", "post_back", "done", "failed"]  # as the flow goes
        assert view.selected is None
        await pilot.press("down")  # nothing selected yet: the start step
        await pilot.press("down")
        await pilot.press("right")  # the box beside check: none, so the next in order
        await pilot.press("down", "right")  # done, then failed beside it
        await pilot.press("left")  # done sits left of failed
        await pilot.press("up", "up", "enter")  # post_back, check, open it
        await until(pilot, lambda: len(selected(host)) == 9, "every move posted")
        assert selected(host) == [
            ("ask", False),
            ("check", False),
            ("post_back", False),
            ("done", False),
            ("failed", False),
            ("done", False),
            ("post_back", False),
            ("check", False),
            ("check", True),
        ]
        assert view.selected == "check"


async def test_click_on_a_box_selects_its_step() -> None:
    view = FlowchartView(id="flowchart")
    host = Host(view, FlowchartView.StepSelected)
    async with host.run_test(size=SIZE) as pilot:
        show(view, "create_customer")
        await settle(pilot)
        assert view.chart is not None
        box = view.chart.boxes["done"]
        await pilot.click(FlowchartView, offset=(box.x + 2, box.y + 1))
        await until(pilot, lambda: selected(host) != [], "the click posted")
        assert selected(host) == [("done", False)]
        assert view.selected == "done"


async def test_ascii_mode_draws_the_chart_without_unicode() -> None:
    view = FlowchartView(ascii_only=True, id="flowchart")
    host = Host(view, FlowchartView.StepSelected)
    async with host.run_test(size=SIZE) as pilot:
        show(view, "onboard_users")
        await settle(pilot)
        assert view.chart is not None
        assert all(line.isascii() for line in view.chart.lines)
        assert "+-" in view.chart.text
