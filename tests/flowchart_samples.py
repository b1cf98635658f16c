"""Sample runbook graphs for the flowchart's tests and benchmark (not part of runbench)."""

from __future__ import annotations

import random

from runbench.core.flowchart import Edge, Graph, Node


def demo_runbook() -> Graph:
    """A small runbook like the demo workspace: a method, a loop, a condition, two ends."""
    nodes = (
        Node("fetch_tickets", "Fetch open tickets", "method"),
        Node("each_ticket", "For each ticket", "foreach"),
        Node("is_vip", "Client is VIP?", "condition"),
        Node("notify", "Post to Teams", "method"),
        Node("next_ticket", "Next ticket", "next"),
        Node("done", "Success", "end"),
        Node("failed", "Failed", "end"),
    )
    edges = (
        Edge("fetch_tickets", "each_ticket", "success"),
        Edge("fetch_tickets", "failed", "failure"),
        Edge("each_ticket", "is_vip", "item"),
        Edge("each_ticket", "done", "empty"),
        Edge("is_vip", "notify", "met"),
        Edge("is_vip", "next_ticket", "not met"),
        Edge("notify", "next_ticket", "success"),
        Edge("notify", "failed", "failure"),
        Edge("next_ticket", "each_ticket", "loop"),
        Edge("next_ticket", "done", "done"),
    )
    return Graph(nodes, edges, "fetch_tickets")


def sample_runbook(steps: int, seed: int) -> Graph:
    """A seeded, runbook-shaped graph: mostly methods (failures to one end step or a nearby
    handler), some conditions skipping ahead, foreach/next loops and a few retries."""
    rng = random.Random(seed)
    ids = [f"s{i:03d}" for i in range(steps)]
    nodes: list[Node] = []
    edges: list[Edge] = []
    loops: dict[int, int] = {}

    def at(i: int) -> str:
        return ids[i] if i < steps else "ok"

    for i, sid in enumerate(ids):
        r = rng.random()
        if i in loops:
            nodes.append(Node(sid, sid, "next"))
            edges += [Edge(sid, ids[loops[i]], "loop"), Edge(sid, at(i + 1), "done")]
        elif r < 0.15:
            nodes.append(Node(sid, sid, "condition"))
            edges += [Edge(sid, at(i + 1), "met"), Edge(sid, at(i + rng.randint(2, 6)), "not met")]
        elif r < 0.22 and i + 4 < steps and not any(j in loops for j in range(i, i + 4)):
            nodes.append(Node(sid, sid, "foreach"))
            loops[i + 3] = i
            edges += [Edge(sid, at(i + 1), "item"), Edge(sid, at(i + 4), "empty")]
        elif r < 0.27:
            nodes.append(Node(sid, sid, "sleep"))
            edges.append(Edge(sid, at(i + 1), "next"))
        else:
            nodes.append(Node(sid, sid, "method"))
            fail = "fail" if rng.random() < 0.6 else at(i + rng.randint(1, 3))
            if rng.random() < 0.03 and i > 3:
                fail = ids[i - rng.randint(1, 3)]
            edges += [Edge(sid, at(i + 1), "success"), Edge(sid, fail, "failure")]
    nodes += [Node("ok", "Success", "end"), Node("fail", "Failed", "end")]
    return Graph(tuple(nodes), tuple(edges), ids[0] if ids else "ok")
