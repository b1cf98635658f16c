"""The shared geometry of the runbook flowchart: what goes in, what comes out, and sizes.

Placement (``_layout``), routing (``_routing``) and drawing (``_render``) all speak these
types; keeping them here means placement never imports from drawing, and a change to how
boxes are drawn cannot silently change where they are placed. A ``Graph`` of ``Node`` and
``Edge`` goes in; a ``Layout`` of ``PlacedNode`` boxes and ``RoutedEdge`` polylines comes out.
"""

from __future__ import annotations

from dataclasses import dataclass

BOX_HEIGHT = 4
MAX_BOX_WIDTH = 22
MARK_WIDTH = 2
MAX_LABEL = 12
PAD = 4  # two borders plus one blank column inside each


@dataclass(frozen=True)
class Node:
    """One step: ``kind`` is method|halo|condition|sleep|foreach|next|runbook|end."""

    id: str
    label: str
    kind: str


@dataclass(frozen=True)
class Edge:
    """A labelled edge (success, failure, met, not met, next, item, empty, loop, done)."""

    source: str
    target: str
    label: str


@dataclass(frozen=True)
class Graph:
    """A runbook as a directed graph; edges may form cycles and name missing steps."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    start: str


@dataclass(frozen=True)
class Box:
    """A rectangle in character cells: columns x..x+w-1, rows y..y+h-1."""

    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    def contains(self, col: int, row: int) -> bool:
        return self.x <= col < self.right and self.y <= row < self.bottom

    def overlaps(self, other: Box) -> bool:
        return (
            self.x < other.right
            and other.x < self.right
            and self.y < other.bottom
            and other.y < self.bottom
        )


@dataclass(frozen=True)
class PlacedNode:
    """A step's box. ``missing`` marks the "?name" marker drawn for an edge to nowhere."""

    id: str
    label: str
    kind: str
    box: Box
    layer: int
    missing: bool = False


@dataclass(frozen=True)
class RoutedEdge:
    """An edge as an orthogonal polyline from just below its source box to just above its
    target box (where the arrow goes). ``back`` edges loop up through a channel on the right."""

    source: str
    target: str
    label: str
    points: tuple[tuple[int, int], ...]
    label_at: tuple[int, int] | None
    label_width: int
    back: bool


@dataclass(frozen=True)
class Layout:
    """Boxes and routed edges of a chart ``width`` x ``height`` cells, plus notes about
    what could not be drawn as given (missing steps, unreachable steps, duplicates).
    ``strokes`` draw the same lines as ``edges`` without retracing shared lanes; when
    empty, the edges are traced instead."""

    nodes: tuple[PlacedNode, ...]
    edges: tuple[RoutedEdge, ...]
    width: int
    height: int
    notes: tuple[str, ...]
    strokes: tuple[tuple[tuple[int, int], ...], ...] = ()  # each line piece once, for drawing


def text_width(name: str, kind: str, missing: bool) -> int:
    """Box width for a step: mark column pair + the longer of id and kind, capped."""
    shown = len(name) + (1 if missing else 0)
    return min(MAX_BOX_WIDTH, PAD + MARK_WIDTH + max(shown, len(kind)))
