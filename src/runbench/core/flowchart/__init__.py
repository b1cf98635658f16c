"""The text flowchart of a runbook: ``layout`` places and routes, ``render`` draws, ``draw``
does both.

Import from here. Placement (layers, order, columns), routing (edge tracks in the gaps)
and drawing (box-drawing or ASCII) are private modules that share one geometry module, so
placement never imports from drawing.
"""

from runbench.core.flowchart._render import (
    box_text,
)
from runbench.core.flowchart._routing import (
    Box,
    Edge,
    Graph,
    Layout,
    Node,
    RenderedChart,
    demo_runbook,
    draw,
    layout,
    render,
    sample_runbook,
)

__all__ = [
    "Box",
    "Edge",
    "Graph",
    "Layout",
    "Node",
    "RenderedChart",
    "box_text",
    "demo_runbook",
    "draw",
    "layout",
    "render",
    "sample_runbook",
]
