"""The runbook flowchart: layout invariants, the look, and stability under small edits."""

from __future__ import annotations

import dataclasses
import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flowchart_samples import demo_runbook, sample_runbook
from runbench.core.flowchart import (
    Box,
    Edge,
    Graph,
    Layout,
    Node,
    RenderedChart,
    box_text,
    draw,
    layout,
    render,
)


def chain(*ids: str) -> Graph:
    nodes = tuple(Node(i, i.title(), "method") for i in ids[:-1]) + (Node(ids[-1], "End", "end"),)
    edges = tuple(Edge(a, b, "success") for a, b in itertools.pairwise(ids))
    return Graph(nodes, edges, ids[0])


def cells(points: tuple[tuple[int, int], ...]) -> set[tuple[int, int]]:
    out = {points[0]}
    for (xa, ya), (xb, yb) in itertools.pairwise(points):
        assert xa == xb or ya == yb, f"diagonal segment {(xa, ya)} -> {(xb, yb)}"
        for x in range(min(xa, xb), max(xa, xb) + 1):
            for y in range(min(ya, yb), max(ya, yb) + 1):
                out.add((x, y))
    return out


def strokes(points: tuple[tuple[int, int], ...]) -> set[tuple[int, int, str]]:
    """Cells of a polyline with the direction they are drawn in (corners count as both)."""
    out: set[tuple[int, int, str]] = set()
    for (xa, ya), (xb, yb) in itertools.pairwise(points):
        way = "v" if xa == xb else "h"
        out |= {(x, y, way) for x, y in cells(((xa, ya), (xb, yb)))}
    return out


def check_no_shared_lines(lay: Layout) -> None:
    """Two edges may cross, but only edges into the same step may run along the same cells."""
    owner: dict[tuple[int, int, str], str] = {}
    for edge in lay.edges:
        for stroke in strokes(edge.points):
            assert owner.setdefault(stroke, edge.target) == edge.target, (
                f"{edge.source}->{edge.target} runs along an edge to {owner[stroke]} at {stroke}"
            )


def check_chart(lay: Layout, chart: RenderedChart, marks: dict[str, str] | None = None) -> None:
    """Every invariant a reader relies on: equal line widths, no overlapping boxes, box
    interiors hold only their own text, borders intact, no edge through a box."""
    assert len({len(line) for line in chart.lines}) <= 1
    assert len(chart.lines) == lay.height
    boxes = [n.box for n in lay.nodes]
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b), f"{a} overlaps {b}"
    for node in lay.nodes:
        b = node.box
        rows = chart.lines[b.y : b.bottom]
        first, second = box_text(node, (marks or {}).get(node.id, ""))
        assert rows[1][b.x + 1 : b.right - 1] == first
        assert rows[2][b.x + 1 : b.right - 1] == second
        assert rows[0][b.x : b.right] == "┌" + "─" * (b.w - 2) + "┐"
        assert set(rows[3][b.x + 1 : b.right - 1]) <= {"─", "┬"}
        assert rows[1][b.x] == rows[1][b.right - 1] == "│"
    covered = {(x, y) for b in boxes for x in range(b.x, b.right) for y in range(b.y, b.bottom)}
    for edge in lay.edges:
        assert not cells(edge.points) & covered, f"edge {edge.source}->{edge.target} hits a box"
        x, y = edge.points[-1]
        assert chart.lines[y][x] == "▼"
    check_no_shared_lines(lay)


def test_linear_chain_golden_text() -> None:
    chart = draw(chain("fetch", "post", "done"))
    assert chart.text == "\n".join(
        [
            "┌──────────┐ ",
            "│   fetch  │ ",
            "│   method │ ",
            "└────┬─────┘ ",
            "     │success",
            "     ▼       ",
            "┌──────────┐ ",
            "│   post   │ ",
            "│   method │ ",
            "└────┬─────┘ ",
            "     │success",
            "     ▼       ",
            " ┌────────┐  ",
            " │   done │  ",
            " │   end  │  ",
            " └────────┘  ",
        ]
    )
    assert chart.boxes["post"] == Box(0, 6, 12, 4)
    assert chart.node_at(3, 7) == "post"
    assert chart.node_at(12, 7) is None


def test_long_chain_goes_straight_down() -> None:
    ids = [f"step{i}" for i in range(8)]
    lay = layout(chain(*ids))
    check_chart(lay, render(lay))
    assert [n.layer for n in lay.nodes] == list(range(8))
    assert all(len(e.points) == 2 for e in lay.edges)  # straight vertical lines


def test_condition_two_branches_to_two_ends() -> None:
    graph = Graph(
        (Node("check", "Is VIP?", "condition"), Node("yes", "", "end"), Node("no", "", "end")),
        (Edge("check", "yes", "met"), Edge("check", "no", "not met")),
        "check",
    )
    lay = layout(graph)
    chart = render(lay)
    check_chart(lay, chart)
    yes, no, check = chart.boxes["yes"], chart.boxes["no"], chart.boxes["check"]
    assert yes.y == no.y > check.bottom
    assert yes.right <= no.x
    for edge in lay.edges:
        assert edge.label_at is not None
        x, y = edge.label_at
        assert chart.lines[y][x : x + len(edge.label)] == edge.label
        assert chart.lines[y][x - 1] == "│"  # the label sits right next to its own line


def test_two_edges_between_the_same_steps_keep_their_own_lines() -> None:
    graph = Graph(
        (Node("a", "", "condition"), Node("z", "", "end")),
        (Edge("a", "z", "met"), Edge("a", "z", "not met")),
        "a",
    )
    lay = layout(graph)
    check_chart(lay, render(lay))
    ends = {e.points[-1] for e in lay.edges}
    starts = {e.points[0] for e in lay.edges}
    assert len(ends) == 2
    assert len(starts) == 2


def test_foreach_next_loop_is_drawn_back_up() -> None:
    lay = layout(demo_runbook())
    chart = render(lay)
    check_chart(lay, chart)
    loop = next(e for e in lay.edges if e.label == "loop")
    assert loop.back
    assert loop.source == "next_ticket"
    assert loop.target == "each_ticket"
    source, target = chart.boxes["next_ticket"], chart.boxes["each_ticket"]
    assert loop.points[0][1] == source.bottom
    assert loop.points[-1] == (
        loop.points[-1][0],
        target.y - 1,
    )
    assert min(y for _, y in loop.points) < target.y  # it climbs above the foreach step
    channel = max(x for x, _ in loop.points)
    assert channel >= max(b.right for b in chart.boxes.values())  # up the right-hand side
    assert loop.label_at is not None
    x, y = loop.label_at
    assert chart.lines[y][x : x + 4] == "loop"
    assert all(not e.back for e in lay.edges if e is not loop)


def test_demo_fits_in_80_columns() -> None:
    chart = draw(demo_runbook())
    assert chart.width <= 80
    assert not chart.notes


def test_edge_to_a_missing_step_draws_a_marker() -> None:
    graph = Graph(
        (Node("a", "", "method"), Node("b", "", "end")),
        (Edge("a", "b", "success"), Edge("a", "ghost", "failure"), Edge("nobody", "a", "x")),
        "a",
    )
    lay = layout(graph)
    chart = render(lay)
    check_chart(lay, chart)
    assert set(chart.boxes) == {"a", "b"}
    assert set(chart.markers) == {"ghost"}
    assert "?ghost" in chart.text
    assert "missing" in chart.text
    ghost = next(e for e in lay.edges if e.target == "ghost")
    assert ghost.points[-1][1] == chart.markers["ghost"].y - 1
    assert len(lay.edges) == 2  # the edge from a missing source is skipped ...
    assert any("'nobody'" in note and "does not exist" in note for note in chart.notes)
    assert any("'ghost'" in note for note in chart.notes)  # ... and both are explained


def test_unreachable_steps_go_below_in_their_own_layers() -> None:
    graph = Graph(
        (Node("orphan", "", "method"), Node("a", "", "method"), Node("b", "", "end")),
        (Edge("a", "b", "success"), Edge("orphan", "b", "success"), Edge("orphan", "a", "failure")),
        "a",
    )
    lay = layout(graph)
    chart = render(lay)
    check_chart(lay, chart)
    layers = {n.id: n.layer for n in lay.nodes}
    assert layers == {"a": 0, "b": 1, "orphan": 2}
    assert chart.boxes["orphan"].y > chart.boxes["b"].bottom
    assert all(e.back for e in lay.edges if e.source == "orphan")  # routed back up
    assert any("cannot be reached" in note and "'orphan'" in note for note in chart.notes)


def test_self_loop_and_missing_start() -> None:
    graph = Graph((Node("a", "", "sleep"),), (Edge("a", "a", "next"),), "nope")
    lay = layout(graph)
    check_chart(lay, render(lay))
    assert lay.edges[0].back
    assert any("start step 'nope'" in note for note in lay.notes)
    assert draw(Graph((), (), "x")).lines == []


def test_ascii_mode_is_pure_ascii() -> None:
    graph = Graph(
        demo_runbook().nodes + (Node("ünïcode_step_with_a_very_long_name", "", "method"),),
        demo_runbook().edges + (Edge("notify", "ünïcode_step_with_a_very_long_name", "retry…"),),
        "fetch_tickets",
    )
    marks = {"fetch_tickets": "✔ ", "notify": "▶ ", "is_vip": "●"}
    chart = draw(graph, ascii=True, marks=marks)
    assert all(ch.isascii() for ch in chart.text)
    assert "+ fetch_tickets" in chart.text
    assert "> notify" in chart.text
    unicode_chart = draw(graph, marks=marks)
    assert unicode_chart.boxes == chart.boxes
    assert [len(line) for line in unicode_chart.lines] == [len(line) for line in chart.lines]


def test_long_ids_are_truncated_to_the_maximum_box_width() -> None:
    chart = draw(chain("a_really_long_identifier_for_a_step", "end"))
    box = chart.boxes["a_really_long_identifier_for_a_step"]
    assert box.w == 22
    assert "…" in chart.lines[box.y + 1][box.x : box.right]


@pytest.mark.parametrize("marks", [{"notify": "▶ "}, {"notify": "●", "done": "✔ ", "x": "✘ "}])
def test_marks_change_no_box(marks: dict[str, str]) -> None:
    lay = layout(demo_runbook())
    plain, marked = render(lay), render(lay, marks=marks)
    assert plain.boxes == marked.boxes
    assert len(plain.lines[0]) == len(marked.lines[0])
    check_chart(lay, marked, marks)
    box = marked.boxes["notify"]
    assert marked.lines[box.y + 1][box.x + 2 : box.x + 4] == marks["notify"].ljust(2)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_200_step_runbook(seed: int) -> None:
    graph = sample_runbook(200, seed)
    assert sum(1 for e in graph.edges if e.label == "loop") >= 3
    lay = layout(graph)
    chart = render(lay)
    check_chart(lay, chart)
    assert len(chart.boxes) == 202
    assert sum(e.back for e in lay.edges) >= 3
    assert lay.edges
    assert all(e.points[0][1] == chart.boxes[e.source].bottom for e in lay.edges)
    # the de-duplicated strokes draw exactly what tracing every edge's polyline draws
    assert render(dataclasses.replace(lay, strokes=())).lines == chart.lines


_DRAW_IN_CHILD = """
import sys
sys.path.insert(0, sys.argv[1])
from flowchart_samples import sample_runbook
from runbench.core.flowchart import draw
print(draw(sample_runbook(120, 5)).text)
"""


def test_layout_is_deterministic_across_hash_seeds() -> None:
    """Same chart in two processes whose set/dict-of-str orders differ (PYTHONHASHSEED)."""
    here = str(Path(__file__).parent)
    charts = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", _DRAW_IN_CHILD, here],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        charts.append(done.stdout)
    assert charts[0] == charts[1] == draw(sample_runbook(120, 5)).text + "\n"


def test_adding_a_step_at_the_end_keeps_the_top_in_place() -> None:
    graph = sample_runbook(60, 4)
    last = graph.nodes[-3].id  # the last regular step (the two ends come after it)
    grown = Graph(
        graph.nodes + (Node("audit", "Audit", "method"),),
        graph.edges + (Edge(last, "audit", "failure"), Edge("audit", "ok", "success")),
        graph.start,
    )
    before, after = layout(graph), layout(grown)
    top = {n.id: n.box for n in before.nodes if n.layer < 12}
    assert len(top) >= 12
    assert {n.id: n.box for n in after.nodes if n.id in top} == top
