"""Which nodes a class or pseudo-class change restyles: Textual's, less closed dropdowns.

Textual restyles a node and every node under it whenever a class or pseudo-class of the
node changes (``update_node_styles``). A ``Select`` keeps its option list (a
``SelectOverlay``, hidden while the dropdown is closed) under it, and the list restyles
five component-class nodes of its own each time: the list was 6 of the nodes restyled
by each focus or blur of a closed Select (focusing one from the tree: 19 nodes, 13
without it; choosing a value, focus to leave: 94, 70). Nothing of a
hidden list is drawn, and opening the dropdown restyles the Select's whole subtree anyway
(``expanded`` sets the ``-expanded`` class), so a closed, hidden list is left as it is
until then. A list still shown (the dropdown closing) is restyled as before: that is
what hides it. A full restyle (a theme or CSS change) does not come this way and still
reaches every node.
"""

from __future__ import annotations

from textual.dom import DOMNode
from textual.widgets import Select
from textual.widgets._select import SelectOverlay


def restyled_nodes(root: DOMNode) -> list[DOMNode]:
    """``root`` and the nodes under it, depth first (Textual's order), without closed lists."""
    nodes: list[DOMNode] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if _closed_list(node):
            continue
        nodes.append(node)
        stack.extend(reversed(node._nodes))
    return nodes


def _closed_list(node: DOMNode) -> bool:
    """A Select's option list, hidden, its Select not expanding."""
    if not isinstance(node, SelectOverlay) or node.display:
        return False
    select = node.parent
    return not (isinstance(select, Select) and select.expanded)
