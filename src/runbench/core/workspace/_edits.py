"""Workbench edits as operations on the workspace's tomlkit document.

The TUI never writes the model: every edit (a field typed, an integration renamed, an
output added from the expression checker) becomes a change to the ``WorkspaceDocument``,
and the model is re-read from it. Keeping the translation here, free of widgets, means
the same rules apply to every editor and can be tested without a screen. New tables get
inline tables where the demo file uses them (``query = { ... }``), so saved files still
look hand-written; renames follow references (``method = "integration.method"``).
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from runbench.core.errors import SchemaError
from runbench.core.workspace._ids import check_id
from runbench.core.workspace._model import KeyPath, SecretRef, Workspace
from runbench.core.workspace._store import WorkspaceDocument

SECRET_FIELDS = ("value", "token", "password", "client_secret")
"""Auth fields shown masked: a literal here is a secret stored in the file."""
SECRETISH_FIELDS = SECRET_FIELDS + ("username", "client_id")
"""Auth fields that accept ``env:NAME`` / ``secret:NAME`` references."""
LITERAL_SECRET_WARNING = (
    "a literal secret is saved in the workspace file; type env:NAME or secret:NAME instead"
)


def parse_secret_text(text: str) -> tuple[str | SecretRef, str | None]:
    """What the user typed in a secret field -> (value, warning or None)."""
    text = text.strip()
    for source in ("env", "secret"):
        prefix = f"{source}:"
        if text.startswith(prefix) and text[len(prefix) :].strip():
            return SecretRef(source, text[len(prefix) :].strip()), None
    if not text:
        return "", None
    return text, LITERAL_SECRET_WARNING


def secret_text(value: str | SecretRef, masked: bool, mask: str) -> str:
    """How a secret-ish value is shown in its Input."""
    if isinstance(value, SecretRef):
        return f"{value.source}:{value.name}"
    if masked and value:
        return mask
    return value


def _imported_items(values: Mapping[str, Any], blocks: Collection[str]) -> dict[str, Any]:
    """An importer's plain data as items; the ``blocks`` keys get the '''...''' form."""
    return {
        key: text_block(value) if key in blocks and isinstance(value, str) else toml_item(value)
        for key, value in values.items()
        if value is not None
    }


def toml_item(value: Any) -> Any:
    """Plain data as tomlkit items the way a person writes them: tables inline,
    multi-line strings as ''' blocks, strings holding double quotes as literal strings."""
    import tomlkit

    if isinstance(value, dict):
        table = tomlkit.inline_table()
        for key, item in value.items():
            if item is not None:
                table[key] = toml_item(item)
        return table
    if isinstance(value, list):
        array = tomlkit.array()
        for item in value:
            array.append(toml_item(item))
        if len(value) > 1 and any(isinstance(item, dict) for item in value):
            array.multiline(True)
        return array
    if isinstance(value, str) and "\n" in value:
        literal = "'''" not in value and _literal_ok(value, multiline=True)
        return tomlkit.string(value, multiline=True, literal=literal)
    if isinstance(value, str) and '"' in value and "'" not in value and _literal_ok(value):
        return tomlkit.string(value, literal=True)
    return value


def _literal_ok(text: str, multiline: bool = False) -> bool:
    """Can ``text`` be a TOML literal string (no escapes: no control characters but tab,
    and newline in a multi-line one)?"""
    allowed = "\t\n" if multiline else "\t"
    return not any((ord(c) < 0x20 and c not in allowed) or c == "\x7f" for c in text)


def text_block(text: str) -> Any:
    """A body, query or prompt in the readable '''...''' form the demo uses for JSON (a
    plain string when it holds ''' or starts with a newline, which that form would lose)."""
    import tomlkit

    if text and "'''" not in text and not text.startswith("\n") and _literal_ok(text, True):
        return tomlkit.string(text, literal=True, multiline=True)
    return text


def starter_title(name: str) -> str:
    """The title a new integration, method or runbook starts with: its id, readable."""
    return name.replace("_", " ").replace("-", " ").strip().capitalize() or name


def _strip_trailing_trivia(table: Any) -> None:
    """Drop comments/blank lines at the end of a copied table (they belong to the original)."""
    from tomlkit.items import Table

    body = getattr(getattr(table, "value", None), "body", None)
    if not isinstance(body, list):
        return
    while body and body[-1][0] is None:
        body.pop()
    if body and isinstance(body[-1][1], Table):
        _strip_trailing_trivia(body[-1][1])


class WorkspaceEdits:
    """Semantic edits of one workspace document (see module docstring)."""

    def __init__(self, document: WorkspaceDocument) -> None:
        self.document = document

    # -- fields ----------------------------------------------------------------
    def set(self, keys: KeyPath, value: Any) -> None:
        self.document.set(list(keys), value)

    def set_text(self, keys: KeyPath, value: str) -> None:
        """A string field; an emptied optional field is removed rather than kept as ""."""
        if not value and keys[-1] in ("title",):
            self.delete_if_present(keys)
        else:
            self.document.set(list(keys), value)

    def set_body(self, keys: KeyPath, body: str) -> None:
        """A body keeps the readable '''...''' form the demo uses for JSON."""
        self.document.set(list(keys), text_block(body))

    def delete_if_present(self, keys: KeyPath) -> None:
        try:
            self.document.delete(list(keys))
        except KeyError:
            pass

    def has(self, keys: KeyPath) -> bool:
        try:
            self.document.get(list(keys))
        except KeyError:
            return False
        return True

    # -- maps: query, headers, test values, oauth2 params, outputs ------------------
    def _ensure_map(self, keys: KeyPath) -> None:
        if not self.has(keys):
            self.document.set(list(keys), {})

    def set_entry(self, keys: KeyPath, name: str, value: Any, old_name: str | None = None) -> None:
        """Set ``keys.name`` (an entry of a map); ``old_name`` renames an existing entry."""
        if not name.strip():
            raise SchemaError("a name is needed (it cannot be empty)")
        name = name.strip()
        if old_name is not None and old_name != name:
            if self.has(keys + (name,)):
                raise SchemaError(f"'{name}' already exists: choose another name")
            self.delete_if_present(keys + (old_name,))
        self._ensure_map(keys)
        self.document.set(list(keys + (name,)), value)

    def delete_entry(self, keys: KeyPath, name: str) -> None:
        self.document.delete(list(keys + (name,)))

    def set_output(
        self,
        method_keys: KeyPath,
        name: str,
        path: str,
        kind: str = "any",
        old_name: str | None = None,
        secret: bool | None = None,
    ) -> None:
        """Set an output; ``secret`` None keeps what the entry said (an editor that does not
        show the flag must not drop it)."""
        if secret is None:
            secret = self._output_is_secret(method_keys + ("outputs", old_name or name))
        value: Any = path if kind == "any" else {"path": path, "type": kind}
        if secret:
            value = {"path": path, **({"type": kind} if kind != "any" else {}), "secret": True}
        self.set_entry(method_keys + ("outputs",), name, value, old_name)

    def _output_is_secret(self, keys: KeyPath) -> bool:
        if not self.has(keys):
            return False
        current = self.document.get(list(keys))
        flag = current.get("secret") if isinstance(current, dict) else None
        return getattr(flag, "value", flag) is True  # a tomlkit Bool wraps its value

    # -- the workspace's own fields: name, halo, variables ------------------------------
    def set_top(self, key: str, value: Any) -> None:
        """``name`` or ``halo`` at the top of the file; "" or None removes it."""
        if value is None or value == "":
            self.delete_if_present((key,))
        else:
            self.set((key,), value)

    def set_variable(self, name: str, value: Any, old_name: str | None = None) -> None:
        """A workspace variable, in ``[variables]`` (made, before the integrations, when
        the file has none)."""
        if not self.has(("variables",)):
            if not name.strip():
                raise SchemaError("a name is needed (it cannot be empty)")
            self.document.add_table(("variables",), {name.strip(): value})
            return
        self.set_entry(("variables",), name, value, old_name)

    def delete_variable(self, name: str) -> None:
        self.delete_entry(("variables",), name)

    # -- auth --------------------------------------------------------------------
    def _auth_keys(self, integration: str) -> KeyPath:
        from tomlkit.items import InlineTable, Table

        keys: KeyPath = ("integrations", integration, "auth")
        current = self.document.get(list(keys)) if self.has(keys) else None
        if not isinstance(current, (Table, InlineTable, dict)):
            kind = current if isinstance(current, str) else "none"
            self.document.set(list(keys), {"type": str(kind)})
        return keys

    def set_auth_type(self, integration: str, kind: str) -> None:
        keys = self._auth_keys(integration)
        self.document.set(list(keys + ("type",)), kind)

    def set_auth_field(self, integration: str, field: str, value: Any) -> None:
        keys = self._auth_keys(integration)
        if value == "" and field not in ("prefix",):
            self.delete_if_present(keys + (field,))
            return
        self.document.set(list(keys + (field,)), value)

    def set_auth_secret(self, integration: str, field: str, text: str) -> str | None:
        """Store what was typed into a secret field; returns a warning for a literal."""
        value, warning = parse_secret_text(text)
        self.set_auth_field(integration, field, value)
        return warning

    # -- structure ---------------------------------------------------------------
    def add_integration(
        self,
        workspace: Workspace,
        name: str,
        base_url: str,
        values: Mapping[str, Any] | None = None,
    ) -> str:
        """Add integration ``name``; ``values`` (plain data) replace the starter fields."""
        name = check_id(name, list(workspace.integrations), "integration")
        starter = {
            "title": starter_title(name),
            "base_url": base_url,
            "auth": {"type": "none"},
        }
        self._add_table(["integrations", name], values if values is not None else starter)
        return name

    def add_method(
        self,
        workspace: Workspace,
        integration: str,
        name: str,
        values: Mapping[str, Any] | None = None,
        *,
        replace: bool = False,
    ) -> str:
        """Add method ``name`` to ``integration`` (which may be new in the document);
        ``replace`` overwrites a method of that name instead of refusing it."""
        found = workspace.integrations.get(integration)
        taken = [] if found is None or replace else list(found.methods)
        name = check_id(name, taken, "method")
        starter = {"title": starter_title(name), "verb": "GET", "path": "/"}
        keys = ["integrations", integration, "methods", name]
        self._add_table(keys, values if values is not None else starter)
        return name

    def add_imported(
        self,
        keys: KeyPath,
        values: Mapping[str, Any],
        taken: Collection[str],
        what: str,
        blocks: Collection[str] = (),
    ) -> str:
        """Add the table ``keys`` (whose last key, an id, is checked against ``taken``)
        holding an importer's plain data; the ``blocks`` keys get the '''...''' form."""
        name = check_id(keys[-1], taken, what)
        self.document.add_table([*keys[:-1], name], _imported_items(values, blocks))
        return name

    def add_imported_all(
        self,
        parent: KeyPath,
        tables: Sequence[tuple[str, Mapping[str, Any], Collection[str]]],
        what: str,
        blocks: Collection[str] = (),
    ) -> list[str]:
        """``add_imported`` for many new tables of one collection (``parent``: a runbook's
        steps, an integration's methods), each ``(id, values, taken)``, as one edit: the
        file is checked once, not once per table (quadratic for a 500-step import). Every
        id is checked before anything is added. Returns the ids."""
        names = [check_id(name, taken, what) for name, _, taken in tables]
        items = [_imported_items(values, blocks) for _, values, _ in tables]
        self.document.add_tables(
            [([*parent, name], table) for name, table in zip(names, items, strict=True)]
        )
        return names

    def _add_table(self, keys: list[str], values: Mapping[str, Any]) -> None:
        self.document.add_table(keys, {k: v for k, v in values.items() if v is not None})

    def _copy(self, source: KeyPath, target: KeyPath) -> None:
        """Copy a table: as text where it is written with headers (placed like a new
        one, comments inside kept), else through tomlkit."""
        import tomlkit
        from tomlkit.items import Table

        if self.document.copy_table(source, target):
            return
        table = copy.deepcopy(self.document.get(list(source)))
        _strip_trailing_trivia(table)
        if isinstance(table, Table):
            table.add(tomlkit.nl())
        self.document.set(list(target), table)

    def duplicate_integration(self, workspace: Workspace, name: str, new: str) -> str:
        new = check_id(new, list(workspace.integrations), "integration")
        self._copy(("integrations", name), ("integrations", new))
        return new

    def duplicate_method(self, workspace: Workspace, integration: str, name: str, new: str) -> str:
        new = check_id(new, list(workspace.integrations[integration].methods), "method")
        base: KeyPath = ("integrations", integration, "methods")
        self._copy(base + (name,), base + (new,))
        return new

    def rename_integration(self, workspace: Workspace, name: str, new: str) -> int:
        """Rename and repoint references; returns how many references were updated."""
        new = check_id(new, list(workspace.integrations), "integration")
        self.document.rename(["integrations", name], new)
        count = 0
        if workspace.halo == name:
            self.document.set(["halo"], new)
            count += 1
        for keys, ref in method_references(workspace, name):
            self.document.set(list(keys), f"{new}.{ref.partition('.')[2]}")
            count += 1
        return count

    def rename_method(self, workspace: Workspace, integration: str, name: str, new: str) -> int:
        new = check_id(new, list(workspace.integrations[integration].methods), "method")
        self.document.rename(["integrations", integration, "methods", name], new)
        count = 0
        for keys, _ in method_references(workspace, integration, name):
            self.document.set(list(keys), f"{integration}.{new}")
            count += 1
        return count

    def delete_integration(self, name: str) -> None:
        self.document.delete(["integrations", name])

    def delete_method(self, integration: str, name: str) -> None:
        self.document.delete(["integrations", integration, "methods", name])


def method_references(
    workspace: Workspace, integration: str, method: str | None = None
) -> list[tuple[KeyPath, str]]:
    """The ``method = "..."`` keys of runbook steps that call ``integration[.method]``."""
    found: list[tuple[KeyPath, str]] = []
    for runbook in workspace.runbooks.values():
        for step in runbook.steps.values():
            if step.kind != "method" or not step.method:
                continue
            owner, _, name = step.method.partition(".")
            if owner == integration and (method is None or name == method):
                found.append((("runbooks", runbook.id, "steps", step.id, "method"), step.method))
    return found
