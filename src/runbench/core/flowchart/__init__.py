"""The text flowchart of a runbook: ``layout`` places and routes, ``render`` draws, ``draw``
does both.

Import from here. Placement (layers, order, columns), routing (edge tracks in the gaps)
and drawing (box-drawing or ASCII) are private modules that share one geometry module, so
placement never imports from drawing.
"""

from runbench.core.flowchart._geometry import (
    Box,
    Edge,
    Graph,
    Layout,
    Node,
    PlacedNode,
    RoutedEdge,
)
from runbench.core.flowchart._render import RenderedChart, box_text, render
from runbench.core.flowchart._routing import draw, layout

__all__ = [
    "Box",
    "Edge",
    "Graph",
    "Layout",
    "Node",
    "PlacedNode",
    "RenderedChart",
    "RoutedEdge",
    "box_text",
    "draw",
    "layout",
    "render",
]
