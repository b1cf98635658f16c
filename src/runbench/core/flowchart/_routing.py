"""The text flowchart of a runbook: ``layout`` places and routes, ``render`` draws, ``draw``
does both.

This module is the public face and does the routing. Why routing is done this way:

* Between two layers every edge gets its own horizontal track in the gap (never shared), so a
  reader can follow any line; where lines must meet they only cross (``┼``), except edges into
  the same step, which may merge shortly before their common arrow.
* A port column (where an edge leaves or enters a box) is never the column another edge uses
  on the other side of the same gap; where that cannot be avoided the tracks are stacked so the
  two vertical pieces do not overlap.
* Loops (back edges) and edges from unreachable steps go up a column of their own just right of
  the layers they span, so a loop stays next to the steps it repeats.

Placement (layers, order, columns) lives in ``_layout``, drawing in ``_render``, and the types
all three share in ``_geometry``.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping

from runbench.core.flowchart._geometry import (
    BOX_HEIGHT,
    MAX_LABEL,
    Box,
    Graph,
    Layout,
    PlacedNode,
    RoutedEdge,
)
from runbench.core.flowchart._layout import Placement, place
from runbench.core.flowchart._render import RenderedChart, render

Point = tuple[int, int]
SegKey = tuple[str, int]  # ("h", hop) | ("d", back edge leaving) | ("a", back edge arriving)
_CONFLICT = 1000


def layout(graph: Graph) -> Layout:
    """Lay out ``graph`` top to bottom; deterministic, ties broken by input order."""
    return _Router(place(graph)).run()


def draw(
    graph: Graph, *, ascii: bool = False, marks: Mapping[str, str] | None = None
) -> RenderedChart:
    """``render(layout(graph))``."""
    return render(layout(graph), ascii=ascii, marks=marks)


class _Segment:
    """One edge piece inside one gap: vertical stubs at ``top`` (from the gap's top edge down
    to the track) and ``bottom`` (from the track down to the gap's bottom edge)."""

    def __init__(self, key: SegKey, top: tuple[int, ...], bottom: tuple[int, ...]) -> None:
        self.key = key
        self.top = top
        self.bottom = bottom
        cols = top + bottom
        self.lo = min(cols)
        self.hi = max(cols)
        start, end = (top[0], bottom[0]) if top and bottom else (cols[0], cols[-1])
        self.sort_key = (0, -start) if end > start else (1, start)
        self.dogleg = False  # set when it must step aside to a free column (see _constrained)

    def cost_above(self, other: _Segment) -> int:
        """Crossings (and overlaps, heavily) if this segment's track is above ``other``'s."""
        cost = sum(1 for c in other.top if self.lo <= c <= self.hi)
        cost += sum(1 for c in self.bottom if other.lo <= c <= other.hi)
        if self.dogleg:
            return cost
        return cost + _CONFLICT * len(set(self.bottom) & set(other.top))


class _Router:
    def __init__(self, p: Placement) -> None:
        self.p = p
        shift = -min(p.x, default=0)
        p.x = [col + shift for col in p.x]
        self.layers = len(p.rows)
        self.loops = [e for e, fwd in enumerate(p.forward) if not fwd]
        self.chan: dict[int, int] = {}
        self.in_col: dict[SegKey, int] = {}
        self.track: dict[SegKey, int] = {}
        self.dogleg: dict[SegKey, tuple[int, int]] = {}
        self.tails: dict[int, list[Point]] = {}
        self.gap_y = [0] * (self.layers + 1)
        self.gap_h = [0] * (self.layers + 1)
        self.layer_y = [0] * self.layers

    def run(self) -> Layout:
        self._channels()
        gaps = self._gap_contents()
        for g in range(self.layers):
            self._in_ports(gaps[g])
        for g, keys in enumerate(gaps):
            self._tracks(g, keys)
        self._rows()
        return self._result()

    # -- columns -------------------------------------------------------------------------

    def _extent(self, lo: int, hi: int) -> int:
        p = self.p
        return max((p.x[v] + p.foot[v] for li in range(lo, hi + 1) for v in p.rows[li]), default=0)

    def _channels(self) -> None:
        """A column per loop, right of the layers it spans, inner (shorter) loops first."""
        p = self.p
        done: list[tuple[int, int, int]] = []
        spans = {e: (p.layer[p.edges[e][1]], p.layer[p.edges[e][0]]) for e in self.loops}
        for e in sorted(self.loops, key=lambda e: (spans[e][1] - spans[e][0], e)):
            lo, hi = spans[e]
            col = self._extent(lo, hi) + 1
            while any(lo <= h + 1 and l0 <= hi + 1 and abs(col - c) < 2 for l0, h, c in done):
                col += 1
            done.append((lo, hi, col))
            self.chan[e] = col

    def _src_col(self, key: SegKey) -> int:
        kind, i = key
        p = self.p
        if kind == "h":
            return p.out_col(i)
        if kind == "d":
            return p.x[p.edges[i][0]] + p.back_port[i]
        return self.chan[i]

    def _dst_col(self, key: SegKey) -> int:
        kind, i = key
        if kind == "h" and self.p.hops[i][1] >= self.p.steps:
            return self.p.x[self.p.hops[i][1]]
        return self.chan[i] if kind == "d" else self.in_col[key]

    def _gap_contents(self) -> list[list[SegKey]]:
        """Per gap g (above layer g): the hops, loop departures and loop arrivals in it."""
        p = self.p
        gaps: list[list[SegKey]] = [[] for _ in range(self.layers + 1)]
        for h, (a, _, _) in enumerate(p.hops):
            gaps[p.layer[a] + 1].append(("h", h))
        for e in self.loops:
            u, v, _ = p.edges[e]
            gaps[p.layer[u] + 1].append(("d", e))
            gaps[p.layer[v]].append(("a", e))
        return gaps

    def _in_ports(self, keys: list[SegKey]) -> None:
        """Columns where edges enter the boxes of one layer (keys: the segments of the gap above
        it): in the order of their sources,
        straight below the source if possible, never on another edge's source column."""
        p = self.p
        taken = {self._src_col(k) for k in keys if k[0] != "a"}
        incoming: dict[int, list[SegKey]] = {}
        for key in keys:
            kind, i = key
            v = p.hops[i][1] if kind == "h" else p.edges[i][1]
            if kind != "d" and v < p.steps:
                incoming.setdefault(v, []).append(key)
        for v, items in incoming.items():
            items.sort(key=lambda k: (self._src_col(k), k))
            wants = [self._src_col(k) for k in items]
            lo, hi = p.x[v] + 1, p.x[v] + p.width[v] - 2
            for key, col in zip(items, _pick_ports(lo, hi, wants, taken), strict=True):
                self.in_col[key] = col

    def _segment(self, key: SegKey) -> _Segment:
        if key[0] == "d":
            return _Segment(key, (self._src_col(key), self.chan[key[1]]), ())
        if key[0] == "a":
            return _Segment(key, (), (self.chan[key[1]], self._dst_col(key)))
        return _Segment(key, (self._src_col(key),), (self._dst_col(key),))

    def _tracks(self, g: int, keys: list[SegKey]) -> None:
        segs = [self._segment(k) for k in keys]
        bent = [s for s in segs if s.key[0] != "h" or s.lo != s.hi]
        for row, seg in enumerate(_stack(bent)):
            self.track[seg.key] = row + 1
        used = {c for s in segs for c in s.top + s.bottom}
        doglegs = [s for s in bent if s.dogleg]
        for row, seg in enumerate(doglegs, start=len(bent) + 1):
            self.dogleg[seg.key] = (_free_column(seg.bottom[0], used), row)
        if segs:
            self.gap_h[g] = len(bent) + len(doglegs) + (1 if g == self.layers else 2)
        elif 0 < g < self.layers:
            self.gap_h[g] = 1  # keep stacked boxes apart

    def _rows(self) -> None:
        y = 0
        for g in range(self.layers + 1):
            self.gap_y[g] = y
            y += self.gap_h[g]
            if g < self.layers:
                self.layer_y[g] = y
                y += BOX_HEIGHT
        self.height = y

    # -- polylines -----------------------------------------------------------------------

    def _piece(self, key: SegKey, g: int) -> list[Point]:
        top, bottom = self.gap_y[g], self.gap_y[g] + self.gap_h[g] - 1
        row = top + self.track.get(key, 0)
        if key[0] == "d":
            s = self._src_col(key)
            return [(s, top), (s, row), (self.chan[key[1]], row)]
        s, t = self._src_col(key), self._dst_col(key)
        if key[0] == "a":
            return [(s, row), (t, row), (t, bottom)]
        if key not in self.track:
            return [(s, top), (t, bottom)]
        if key in self.dogleg:  # down to its track, aside to a free column, under the rest
            free, second = self.dogleg[key]
            low = top + second
            return [(s, top), (s, row), (free, row), (free, low), (t, low), (t, bottom)]
        return [(s, top), (s, row), (t, row), (t, bottom)]

    def _edge_points(self, e: int) -> list[Point]:
        p = self.p
        u, v, _ = p.edges[e]
        if not p.forward[e]:
            return self._piece(("d", e), p.layer[u] + 1) + self._piece(("a", e), p.layer[v])
        h = p.first_hop[e]
        return self._piece(("h", h), p.layer[u] + 1) + self._tail(p.hops[h][1])

    def _tail(self, node: int) -> list[Point]:
        """The shared, simplified rest of a bus lane from ``node`` down to its step (computed
        once per lane dummy, so many edges into one end step stay cheap)."""
        p = self.p
        chain: list[int] = []
        while node >= p.steps and node not in self.tails:
            chain.append(node)
            node = p.hops[p.out_hops[node][0]][1]
        rest = self.tails.get(node, [])
        for dummy in reversed(chain):
            piece = self._piece(("h", p.out_hops[dummy][0]), p.layer[dummy] + 1)
            rest = self.tails[dummy] = _simplify(piece + rest)
        return rest

    def _strokes(self) -> list[tuple[Point, ...]]:
        """Every piece once (hops, lane pass-throughs, loops): what the renderer traces."""
        p = self.p
        out = [tuple(self._piece(("h", h), p.layer[a] + 1)) for h, (a, _, _) in enumerate(p.hops)]
        for d in range(p.steps, len(p.layer)):
            g = p.layer[d]
            out.append(((p.x[d], self.gap_y[g] + self.gap_h[g] - 1), (p.x[d], self.gap_y[g + 1])))
        out += [tuple(self._edge_points(e)) for e in self.loops]
        return out

    def _result(self) -> Layout:
        p = self.p
        nodes = tuple(
            PlacedNode(
                p.names[v],
                p.labels[v],
                p.kinds[v],
                Box(p.x[v], self.layer_y[p.layer[v]], p.width[v], BOX_HEIGHT),
                p.layer[v],
                p.missing[v],
            )
            for v in range(p.steps)
        )
        edges = tuple(self._routed(e) for e in range(len(p.edges)))
        strokes = tuple(self._strokes())
        cols = [n.box.x + p.foot[v] for v, n in enumerate(nodes)]
        cols += [x + 1 for stroke in strokes for x, _ in stroke]
        return Layout(nodes, edges, max(cols, default=0), self.height, tuple(p.notes), strokes)

    def _routed(self, e: int) -> RoutedEdge:
        p = self.p
        u, v, label = p.edges[e]
        points = _simplify(self._edge_points(e))
        width = min(len(label), MAX_LABEL)
        label_at = (points[0][0] + 1, points[0][1]) if width else None
        return RoutedEdge(
            p.names[u], p.names[v], label, tuple(points), label_at, width, not p.forward[e]
        )


def _pick_ports(lo: int, hi: int, wants: list[int], taken: set[int]) -> list[int]:
    """Increasing columns in lo..hi, each near its want, avoiding ``taken`` unless it is the
    edge's own source column (a straight line); shared only when the box is too narrow."""
    free = [c for c in range(lo, hi + 1) if c not in taken]
    cols: list[int] = []
    prev = lo - 1
    for i, want in enumerate(wants):
        left = len(wants) - 1 - i
        cands = [c for c in free if c > prev]
        if lo <= want <= hi and want > prev and want not in cands:
            cands.append(want)
        roomy = [c for c in cands if sum(1 for f in free if f > c) >= left]
        pool = roomy or cands
        if not pool:
            cols.append(max(prev, lo))
            continue
        aim = min(max(want, lo), hi)
        prev = min(pool, key=lambda c: (abs(c - aim), c))
        cols.append(prev)
    return cols


def _stack(segs: list[_Segment]) -> list[_Segment]:
    """Order tracks top to bottom: first every piece that starts on a column before any
    piece that ends on it (so vertical pieces never overlap), by a crossing-avoiding
    guess; then adjacent swaps that remove crossings (they never undo the first rule)."""
    order = _constrained(segs)
    for _ in range(min(len(order), 60)):
        changed = False
        for i in range(len(order) - 1):
            a, b = order[i], order[i + 1]
            if b.cost_above(a) < a.cost_above(b):
                order[i], order[i + 1] = b, a
                changed = True
        if not changed:
            break
    return order


def _constrained(segs: list[_Segment]) -> list[_Segment]:
    ranked = sorted(segs, key=lambda s: s.sort_key)
    starts: dict[int, list[int]] = {}
    for i, seg in enumerate(ranked):
        for col in seg.top:
            starts.setdefault(col, []).append(i)
    after: list[list[int]] = [[] for _ in ranked]
    indeg = [0] * len(ranked)
    for i, seg in enumerate(ranked):
        for j in {j for col in seg.bottom for j in starts.get(col, ()) if j != i}:
            after[j].append(i)
            indeg[i] += 1
    ready = [i for i, d in enumerate(indeg) if d == 0]
    heapq.heapify(ready)
    placed = [False] * len(ranked)
    order: list[_Segment] = []
    while len(order) < len(ranked):
        if not ready:  # a cycle: the best-ranked piece left finishes below all others
            stuck = next(i for i, done in enumerate(placed) if not done and ranked[i].key[0] == "h")
            ranked[stuck].dogleg = True
            ready.append(stuck)
        i = heapq.heappop(ready)
        if placed[i]:
            continue
        placed[i] = True
        order.append(ranked[i])
        for j in after[i]:
            indeg[j] -= 1
            if indeg[j] == 0 and not placed[j]:
                heapq.heappush(ready, j)
    return order


def _free_column(near: int, used: set[int]) -> int:
    """The column nearest ``near`` that no vertical piece in the gap uses, preferably with
    blank columns on both sides so the detour does not read as a double line."""
    for spacious in (True, False):
        for step in range(1, len(used) + 3):
            for col in (near - step, near + step):
                clear = not spacious or not {col - 1, col + 1} & used
                if col >= 0 and col not in used and clear:
                    return col
    return near


def _simplify(points: list[Point]) -> list[Point]:
    out: list[Point] = []
    for pt in points:
        if out and out[-1] == pt:
            continue
        if len(out) >= 2 and (
            out[-2][0] == out[-1][0] == pt[0] or out[-2][1] == out[-1][1] == pt[1]
        ):
            out[-1] = pt
        else:
            out.append(pt)
    return out
