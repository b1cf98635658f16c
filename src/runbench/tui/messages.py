"""Messages editors send up to the app: "please change the document like this".

Editors never touch the ``WorkspaceDocument``; they describe the change and the app
applies it through ``WorkspaceEdits``, re-reads the model and tells the other panes.
One place applies edits, so undo-free but consistent: every change marks the title
dirty, refreshes problems and reaches the tree the same way.
"""

from __future__ import annotations

from typing import Any

from textual.message import Message

from runbench.core.workspace import KeyPath


class FieldEdited(Message):
    """Set ``keys`` to ``value``. ``kind``: "text" (a string field), "body", "value"."""

    def __init__(self, keys: KeyPath, value: Any, kind: str = "text") -> None:
        self.keys = keys
        self.value = value
        self.kind = kind
        super().__init__()


class EntryEdited(Message):
    """Set entry ``name`` of the map at ``keys``; ``value`` None deletes ``old_name``."""

    def __init__(self, keys: KeyPath, name: str, value: Any, old_name: str | None = None) -> None:
        self.keys = keys
        self.name = name
        self.value = value
        self.old_name = old_name
        super().__init__()


class OutputEdited(Message):
    """Add or change output ``name`` of the method at ``method_keys``."""

    def __init__(
        self,
        method_keys: KeyPath,
        name: str,
        path: str,
        kind: str = "any",
        old_name: str | None = None,
    ) -> None:
        self.method_keys = method_keys
        self.name = name
        self.path = path
        self.kind = kind
        self.old_name = old_name
        super().__init__()


class AuthEdited(Message):
    """Change an auth field of an integration (``field`` "type" switches the auth type).
    ``secret``: the text is an env:/secret: reference or a literal (warned about)."""

    def __init__(self, integration: str, field: str, value: Any, secret: bool = False) -> None:
        self.integration = integration
        self.field = field
        self.value = value
        self.secret = secret
        super().__init__()
