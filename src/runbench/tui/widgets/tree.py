"""The workspace tree: Integrations > integration > methods; Runbooks > runbook > steps.

Each node carries a ``Selection`` (what it stands for). The tree only reports: when the
cursor lands on a node it posts ``WorkspaceTree.Selected``; the app decides which editor
to show. Rebuilding after an edit keeps the expanded nodes and the cursor on the same
thing (or its renamed self), so typing in an editor never makes the tree jump.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from runbench.core.workspace import Workspace


@dataclass(frozen=True)
class Selection:
    """What a tree node stands for. ``kind``: integrations, integration, method, runbooks,
    runbook, step, workspace."""

    kind: str
    integration: str = ""
    method: str = ""
    runbook: str = ""
    step: str = ""

    @property
    def label(self) -> str:
        if self.kind == "method":
            return f"{self.integration}.{self.method}"
        if self.kind == "step":
            return f"{self.runbook}.{self.step}"
        return self.integration or self.runbook or self.kind


WORKSPACE = Selection("workspace")
INTEGRATIONS = Selection("integrations")
RUNBOOKS = Selection("runbooks")
ASCII_LINES = ("  ", "| ", "`-", "|-")


class WorkspaceTree(Tree[Selection]):
    """Shows a workspace; call :meth:`show` with each new model."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "app.add", "Add"),
        Binding("r,f2", "app.rename", "Rename"),
        Binding("c", "app.duplicate", "Duplicate"),
        Binding("delete,x", "app.delete", "Delete"),
    ]

    class Selected(Message):
        """The cursor moved to a node standing for ``selection``."""

        def __init__(self, selection: Selection) -> None:
            self.selection = selection
            super().__init__()

    def __init__(self, *, ascii_only: bool = False, id: str | None = None) -> None:
        super().__init__("workspace", data=WORKSPACE, id=id)
        self.show_root = False
        self._quiet: Selection | None = None
        self.dot = "|" if ascii_only else "·"
        self.guide_depth = 2
        if ascii_only:
            self.LINES = {"default": ASCII_LINES, "bold": ASCII_LINES, "double": ASCII_LINES}
            self.ICON_NODE = "> "
            self.ICON_NODE_EXPANDED = "v "

    # -- building ----------------------------------------------------------------
    def show(self, workspace: Workspace, select: Selection | None = None) -> None:
        """Rebuild from ``workspace``; keep expansion; put the cursor on ``select`` (or
        where it was)."""
        expanded = {node.data for node in self._all_nodes() if node.is_expanded and node.data}
        first = not expanded
        current = select or (self.cursor_node.data if self.cursor_node else None)
        self.clear()
        self.root.data = WORKSPACE
        integrations = self.root.add("Integrations", data=INTEGRATIONS, expand=True)
        for integration in workspace.integrations.values():
            data = Selection("integration", integration.id)
            node = integrations.add(integration.id, data=data, expand=first or data in expanded)
            for method in integration.methods.values():
                node.add_leaf(
                    f"{method.verb} {method.id}",
                    data=Selection("method", integration.id, method.id),
                )
        runbooks = self.root.add("Runbooks", data=RUNBOOKS, expand=True)
        for runbook in workspace.runbooks.values():
            data = Selection("runbook", runbook=runbook.id)
            node = runbooks.add(runbook.id, data=data, expand=data in expanded)
            for step in runbook.steps.values():
                node.add_leaf(
                    f"{step.id} {self.dot} {step.kind}",
                    data=Selection("step", runbook=runbook.id, step=step.id),
                )
        if current is not None:
            self.call_after_refresh(self.select_data, current, False)

    def _all_nodes(self) -> list[TreeNode[Selection]]:
        found: list[TreeNode[Selection]] = []
        todo = [self.root]
        while todo:
            node = todo.pop()
            found.append(node)
            todo.extend(node.children)
        return found

    def find(self, selection: Selection) -> TreeNode[Selection] | None:
        for node in self._all_nodes():
            if node.data == selection:
                return node
        return None

    def select_data(self, selection: Selection, announce: bool = True) -> bool:
        """Move the cursor to ``selection`` (expanding its parents); False if not shown."""
        node = self.find(selection)
        if node is None:
            return False
        parent = node.parent
        while parent is not None:
            parent.expand()
            parent = parent.parent
        self.get_node_at_line(0)  # rebuilds the lines, so the node's line is known
        if not announce and self.cursor_node is not node:
            self._quiet = selection
        self.move_cursor(node, animate=False)
        if announce:
            self.post_message(self.Selected(selection))
        return True

    @property
    def selection(self) -> Selection | None:
        node = self.cursor_node
        return node.data if node is not None else None

    # -- events ----------------------------------------------------------------------
    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[Selection]) -> None:
        event.stop()
        if event.node is self.root:  # hidden; highlighted only while the tree is rebuilt
            return
        if event.node.data is not None and event.node.data == self._quiet:
            self._quiet = None  # moved there by select_data(announce=False): not the user
            return
        if event.node.data is not None:
            self.post_message(self.Selected(event.node.data))

    def on_tree_node_selected(self, event: Tree.NodeSelected[Selection]) -> None:
        event.stop()
