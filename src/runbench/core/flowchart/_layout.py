"""Placement half of the runbook flowchart: the layer, order and column of every step.

A runbook reads like a procedure, from the start step downwards, so the chart is a layered
(Sugiyama-style) drawing: break cycles, assign layers, order each layer, assign columns.
Two choices are made for a terminal UI that redraws the chart while the user edits it:

* Every phase works top-down only and breaks ties by input order. A step added at the bottom
  therefore never moves the steps above it (no upward sweep lets the bottom push the top).
* Long edges into the same step share one lane of dummy nodes (a "bus"). Runbooks send most
  failures to one or two end steps; a lane per edge would make the chart as wide as the
  number of failure edges.

Routing edges between the placed boxes lives in ``_routing``, drawing in ``_render``; the
types all three share live in ``_geometry``.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from runbench.core.flowchart._geometry import MAX_LABEL, Graph, text_width

_HOP_LABELS_GAP = 2  # columns between a port's label and the next port
_BUS_WEIGHT = 8.0  # how strongly a bus lane wants to continue straight down


@dataclass
class Placement:
    """Scratch state of one layout call. Indices below ``len(names)`` are steps (and markers
    for missing steps); higher indices are the dummy nodes of bus lanes."""

    names: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    missing: list[bool] = field(default_factory=list)
    edges: list[tuple[int, int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    layer: list[int] = field(default_factory=list)
    forward: list[bool] = field(default_factory=list)
    hops: list[tuple[int, int, int]] = field(default_factory=list)  # (from, to, edge or -1)
    first_hop: dict[int, int] = field(default_factory=dict)
    in_hops: list[list[int]] = field(default_factory=list)
    out_hops: list[list[int]] = field(default_factory=list)
    back_out: list[list[int]] = field(default_factory=list)
    bus_target: dict[int, int] = field(default_factory=dict)
    rows: list[list[int]] = field(default_factory=list)
    pos: list[int] = field(default_factory=list)
    width: list[int] = field(default_factory=list)
    foot: list[int] = field(default_factory=list)
    hop_port: dict[int, int] = field(default_factory=dict)
    back_port: dict[int, int] = field(default_factory=dict)
    x: list[int] = field(default_factory=list)

    @property
    def steps(self) -> int:
        return len(self.names)

    def out_col(self, hop: int) -> int:
        """Absolute column where ``hop`` leaves its upper node."""
        a = self.hops[hop][0]
        return self.x[a] + (self.hop_port[hop] if a < self.steps else 0)


def place(graph: Graph) -> Placement:
    """Run the placement phases; the result feeds the router."""
    p = Placement()
    start = _prepare(graph, p)
    back = _back_edges(p, start)
    _assign_layers(p, start, back)
    _make_hops(p)
    _order(p)
    _ports(p)
    _columns(p)
    return p


def _prepare(graph: Graph, p: Placement) -> int | None:
    index: dict[str, int] = {}
    for node in graph.nodes:
        if node.id in index:
            p.notes.append(f"step '{node.id}' is defined more than once; only the first is drawn")
            continue
        index[node.id] = _add_step(p, node.id, node.label, node.kind, False)
    markers: dict[str, int] = {}
    for edge in graph.edges:
        if edge.source not in index:
            p.notes.append(
                f"edge '{edge.source}' -> '{edge.target}' ({edge.label}) is not drawn: step "
                f"'{edge.source}' does not exist; add the step or remove the edge"
            )
            continue
        target = index.get(edge.target, markers.get(edge.target))
        if target is None:
            target = markers[edge.target] = _add_step(p, edge.target, "", "missing", True)
            p.notes.append(
                f"step '{edge.target}' (the {edge.label or 'unlabelled'} edge of "
                f"'{edge.source}') does not exist; drawn as '?{edge.target}'"
            )
        p.edges.append((index[edge.source], target, edge.label))
    start = index.get(graph.start)
    if start is None and graph.nodes:
        p.notes.append(f"start step '{graph.start}' does not exist; every step is unreachable")
    return start


def _add_step(p: Placement, name: str, label: str, kind: str, missing: bool) -> int:
    p.names.append(name)
    p.labels.append(label)
    p.kinds.append(kind)
    p.missing.append(missing)
    return len(p.names) - 1


def _out_edges(p: Placement) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in range(p.steps)]
    for e, (u, _, _) in enumerate(p.edges):
        out[u].append(e)
    return out


def _back_edges(p: Placement, start: int | None) -> set[int]:
    """Edges closing a cycle in a depth-first search from the start (then input order)."""
    out = _out_edges(p)
    state = [0] * p.steps  # 0 unseen, 1 on the DFS stack, 2 finished
    back: set[int] = set()
    roots = ([start] if start is not None else []) + list(range(p.steps))
    for root in roots:
        if state[root]:
            continue
        state[root] = 1
        stack = [(root, 0)]
        while stack:
            v, i = stack[-1]
            if i == len(out[v]):
                state[v] = 2
                stack.pop()
                continue
            stack[-1] = (v, i + 1)
            e = out[v][i]
            w = p.edges[e][1]
            if state[w] == 1:
                back.add(e)
            elif state[w] == 0:
                state[w] = 1
                stack.append((w, 0))
    return back


def _reachable(p: Placement, start: int | None) -> list[bool]:
    seen = [False] * p.steps
    if start is None:
        return seen
    out = _out_edges(p)
    seen[start] = True
    queue = deque([start])
    while queue:
        for e in out[queue.popleft()]:
            w = p.edges[e][1]
            if not seen[w]:
                seen[w] = True
                queue.append(w)
    return seen


def _assign_layers(p: Placement, start: int | None, back: set[int]) -> None:
    """Longest path from the start; unreachable steps get their own layers below."""
    reach = _reachable(p, start)
    p.layer = [0] * p.steps
    top = _longest_path(p, back, reach, True, 0)
    _longest_path(p, back, reach, False, top + 1)
    p.forward = [p.layer[v] > p.layer[u] for u, v, _ in p.edges]
    lost = [p.names[v] for v in range(p.steps) if not reach[v] and not p.missing[v]]
    if lost and start is not None:
        shown = ", ".join(f"'{name}'" for name in lost[:5]) + (", ..." if len(lost) > 5 else "")
        p.notes.append(
            f"{len(lost)} step(s) cannot be reached from the start step "
            f"'{p.names[start]}': {shown} (drawn below the rest)"
        )


def _longest_path(p: Placement, back: set[int], reach: list[bool], side: bool, base: int) -> int:
    members = [v for v in range(p.steps) if reach[v] == side]
    succ: dict[int, list[int]] = {v: [] for v in members}
    indeg = dict.fromkeys(members, 0)
    for e, (u, v, _) in enumerate(p.edges):
        if e not in back and reach[u] == side and reach[v] == side:
            succ[u].append(v)
            indeg[v] += 1
    for v in members:
        p.layer[v] = base
    queue = deque(v for v in members if indeg[v] == 0)
    while queue:
        v = queue.popleft()
        for w in succ[v]:
            p.layer[w] = max(p.layer[w], p.layer[v] + 1)
            indeg[w] -= 1
            if indeg[w] == 0:
                queue.append(w)
    return max((p.layer[v] for v in members), default=base - 1)


def _make_hops(p: Placement) -> None:
    """Split forward edges into one-layer hops; long ones join their target's bus lane."""
    p.in_hops = [[] for _ in range(p.steps)]
    p.out_hops = [[] for _ in range(p.steps)]
    p.back_out = [[] for _ in range(p.steps)]
    buses: dict[int, list[int]] = {}
    for e, (u, v, _) in enumerate(p.edges):
        if not p.forward[e]:
            p.back_out[u].append(e)
        elif p.layer[v] == p.layer[u] + 1:
            p.first_hop[e] = _add_hop(p, u, v, e)
        else:
            buses.setdefault(v, []).append(e)
    for v, joined in buses.items():
        lo = min(p.layer[p.edges[e][0]] for e in joined) + 1
        lane = {lay: _add_dummy(p, lay, v) for lay in range(lo, p.layer[v])}
        for lay in range(lo, p.layer[v] - 1):
            _add_hop(p, lane[lay], lane[lay + 1], -1)
        _add_hop(p, lane[p.layer[v] - 1], v, -1)
        for e in joined:
            u = p.edges[e][0]
            p.first_hop[e] = _add_hop(p, u, lane[p.layer[u] + 1], e)
    for hops in p.out_hops[: p.steps]:
        hops.sort(key=lambda h: p.hops[h][2])


def _add_hop(p: Placement, a: int, b: int, edge: int) -> int:
    p.hops.append((a, b, edge))
    p.out_hops[a].append(len(p.hops) - 1)
    p.in_hops[b].append(len(p.hops) - 1)
    return len(p.hops) - 1


def _add_dummy(p: Placement, lay: int, target: int) -> int:
    p.layer.append(lay)
    p.in_hops.append([])
    p.out_hops.append([])
    p.bus_target[len(p.layer) - 1] = target
    return len(p.layer) - 1


def _tie(p: Placement, v: int) -> float:
    return float(v) if v < p.steps else p.bus_target[v] + 0.5


def _order(p: Placement) -> None:
    """One top-down barycenter pass with adjacent transpositions (crossings with the layer
    above only), ties by input order."""
    total = len(p.layer)
    p.rows = [[] for _ in range(max(p.layer, default=-1) + 1)]
    for v in sorted(range(total), key=lambda v: _tie(p, v)):
        p.rows[p.layer[v]].append(v)
    frac: dict[int, float] = {}
    for hops in p.out_hops:
        for i, h in enumerate(hops):
            frac[h] = (i + 1) / (len(hops) + 1)
    p.pos = [0] * total
    for li, row in enumerate(p.rows):
        if li:
            keys = {v: sorted(p.pos[p.hops[h][0]] + frac[h] for h in p.in_hops[v]) for v in row}
            row.sort(key=lambda v: (_barycenter(p, v, frac), _tie(p, v)))
            _transpose(row, keys)
            _keep_lanes_in_order(p, row)
        for i, v in enumerate(row):
            p.pos[v] = i


def _barycenter(p: Placement, v: int, frac: dict[int, float]) -> float:
    """Mean position of what feeds ``v``; a lane's own previous dummy counts most, so lanes
    keep their order (two lanes swapping places cannot be routed without overlap)."""
    total = weight = 0.0
    for h in p.in_hops[v]:
        w = _BUS_WEIGHT if p.hops[h][2] < 0 else 1.0
        total += w * (p.pos[p.hops[h][0]] + frac[h])
        weight += w
    return total / weight if weight else math.inf


def _keep_lanes_in_order(p: Placement, row: list[int]) -> None:
    """Lanes continuing from the layer above keep their left-to-right order: two lanes that
    swap places would need to cross on the same column pair, which cannot be drawn."""
    slots = [i for i, v in enumerate(row) if v >= p.steps and _lane_pred(p, v) is not None]
    lanes = sorted((row[i] for i in slots), key=lambda v: p.pos[_lane_pred(p, v) or 0])
    for i, v in zip(slots, lanes, strict=True):
        row[i] = v


def _lane_pred(p: Placement, v: int) -> int | None:
    return next((p.hops[h][0] for h in p.in_hops[v] if p.hops[h][2] < 0), None)


def _transpose(row: list[int], keys: dict[int, list[float]]) -> None:
    for _ in range(4):
        changed = False
        for i in range(len(row) - 1):
            a, b = row[i], row[i + 1]
            if _crossings(keys[b], keys[a]) < _crossings(keys[a], keys[b]):
                row[i], row[i + 1] = b, a
                changed = True
        if not changed:
            return


def _crossings(left: list[float], right: list[float]) -> int:
    return sum(1 for a in left for b in right if a > b)


def _ports(p: Placement) -> None:
    """Box widths and the columns where each outgoing edge leaves its box: forward edges
    ordered like their next node, loops last (they go right), each label fitting before the
    next port. ``foot`` is the width including the last label."""
    total = len(p.layer)
    p.width = [1] * total
    p.foot = [1] * total
    for v in range(p.steps):
        fwd = sorted(p.out_hops[v], key=lambda h: (p.pos[p.hops[h][1]], p.hops[h][2]))
        p.out_hops[v] = fwd
        labels = [p.edges[p.hops[h][2]][2] for h in fwd] + [p.edges[e][2] for e in p.back_out[v]]
        lens = [min(len(label), MAX_LABEL) for label in labels]
        rel, p.width[v] = _spread(text_width(p.names[v], p.kinds[v], p.missing[v]), lens)
        for h, col in zip(fwd, rel, strict=False):
            p.hop_port[h] = col
        for e, col in zip(p.back_out[v], rel[len(fwd) :], strict=True):
            p.back_port[e] = col
        ends = [col + 1 + n for col, n in zip(rel, lens, strict=True) if n]
        p.foot[v] = max([p.width[v], *ends])


def _spread(width: int, lens: list[int]) -> tuple[list[int], int]:
    if not lens:
        return [], width
    if len(lens) == 1:
        return [(width - 1) // 2], width
    compact = [2]
    for n in lens[:-1]:
        compact.append(compact[-1] + n + _HOP_LABELS_GAP)
    width = max(width, compact[-1] + 3)
    k = len(lens)
    even = [2 + round(i * (width - 5) / (k - 1)) for i in range(k)]
    fits = all(even[i + 1] - even[i] >= lens[i] + _HOP_LABELS_GAP for i in range(k - 1))
    return (even if fits else compact), width


def _columns(p: Placement) -> None:
    """Columns layer by layer: each node wants to sit under the ports feeding it; the
    nearest placement respecting order and spacing is a weighted isotonic regression."""
    p.x = [0] * len(p.layer)
    for li, row in enumerate(p.rows):
        offsets = [0]
        for a, b in zip(row, row[1:], strict=False):
            offsets.append(offsets[-1] + p.foot[a] + (3 if max(a, b) < p.steps else 2))
        base = min((p.x[u] for u in p.rows[li - 1]), default=0) if li else 0
        wants: list[float] = []
        weights: list[float] = []
        for v, off in zip(row, offsets, strict=True):
            want, weight = _desire(p, v)
            wants.append(want if weight else base + off)
            weights.append(weight or 1e-3)
        for v, col in zip(row, _isotonic(wants, weights, offsets), strict=True):
            p.x[v] = col


def _desire(p: Placement, v: int) -> tuple[float, float]:
    hops = p.in_hops[v]
    if not hops:
        return 0.0, 0.0
    if v >= p.steps:
        lane = [h for h in hops if p.hops[h][2] < 0]
        if lane:
            return float(p.x[p.hops[lane[0]][0]]), _BUS_WEIGHT
    if v >= p.steps:  # a lane starts under the port(s) joining it
        cols = [float(p.out_col(h)) for h in hops]
        return sum(cols) / len(cols), float(len(cols))
    # A box centres under the boxes feeding it (not under their ports): a port lies well
    # inside a box of similar width, so lines stay straight without a staircase drift.
    centres = [p.x[a] + (p.width[a] - 1) / 2 for a, _, _ in (p.hops[h] for h in hops)]
    return sum(centres) / len(centres) - (p.width[v] - 1) / 2, float(len(centres))


def _isotonic(wants: list[float], weights: list[float], offsets: list[int]) -> list[int]:
    """Pool-adjacent-violators: x[i] near wants[i] with x[i+1]-x[i] >= offsets gap."""
    blocks: list[tuple[float, float, int]] = []  # (weight sum, weighted sum, count)
    for want, weight, off in zip(wants, weights, offsets, strict=True):
        cur = (weight, weight * (want - off), 1)
        while blocks and blocks[-1][1] / blocks[-1][0] > cur[1] / cur[0]:
            prev = blocks.pop()
            cur = (prev[0] + cur[0], prev[1] + cur[1], prev[2] + cur[2])
        blocks.append(cur)
    cols: list[int] = []
    for total, weighted, count in blocks:
        value = math.floor(weighted / total + 0.5)
        first = len(cols)
        cols.extend(value + offsets[first + i] for i in range(count))
    return cols
