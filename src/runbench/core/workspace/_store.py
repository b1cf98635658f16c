"""Edit and save workspace files without losing anything.

Edits go through a ``tomlkit`` document, so comments, key order, odd spacing and keys
runbench does not know survive a load/edit/save round trip. Saves are atomic (a temp
file in the same folder, fsync, rename) and refuse to overwrite a file that changed on
disk since it was loaded: the user's other editor wins until they reload. The compare and
the rename hold a lock between processes, and a symbolic link is saved through (its
target is written, the link stays). Reading a file into the model (tomllib, the line map,
the nesting limit) lives in ``_load``: this module is only the editable document.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runbench.core.errors import (
    ConcurrentEditError,
    SchemaError,
    TomlSyntaxError,
    WorkspaceReadError,
)
from runbench.core.files import MAX_WORKSPACE_BYTES, read_capped_text
from runbench.core.workspace._history import EditHistory
from runbench.core.workspace._load import parse_text, read_text
from runbench.core.workspace._lock import save_lock
from runbench.core.workspace._model import Workspace
from runbench.core.workspace._problems import Problem
from runbench.core.workspace._tomllines import rename_in_headers
from runbench.core.workspace._tomltree import (
    append_key,
    as_item,
    copied_table,
    inserted_sibling_tables,
    inserted_table,
    is_table,
    removed_table,
    restyle_inline,
)

if TYPE_CHECKING:
    import tomlkit


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class WorkspaceDocument:
    """An editable workspace file: a tomlkit document plus what was on disk at load."""

    def __init__(self, path: str | Path, *, new_text: str | None = None) -> None:
        """Open the file at ``path``; with ``new_text``, a file not written yet: the
        document starts as that text and its first save creates the file."""
        self.path = Path(path)
        self.new_file = new_text is not None
        self._text = ""
        self._digest = ""
        self._doc: tomlkit.TOMLDocument | None = None
        self._loaded: tuple[Workspace, list[Problem]] | None = None
        self._current: str | None = None  # text() of the tomlkit tree, until the next edit
        self._unparsed: str | None = None  # an edit's text, parsed when the tree is needed
        self.dirty = False
        self.history = EditHistory()
        if new_text is None:
            self.reload()
        else:
            self._loaded = parse_text(new_text, str(self.path))
            self._text = new_text
            self.dirty = True

    # -- reading ---------------------------------------------------------------
    def reload(self) -> None:
        """Throw away edits and read the file again."""
        text = read_text(self.path)
        # syntax errors surface here, with line and column
        self._loaded = parse_text(text, str(self.path))
        self._text = text
        self._digest = _digest(text)
        self._doc = None
        self._current = None
        self._unparsed = None
        self.dirty = False
        self.new_file = False
        self.history.clear()

    @property
    def doc(self) -> tomlkit.TOMLDocument:
        """The tomlkit document, parsed on the first edit: tomlkit is slow to import and
        to parse, and opening a workspace to read or run it needs neither."""
        if self._doc is None:
            import tomlkit
            from tomlkit.exceptions import ParseError

            text = self.text()
            try:
                self._doc = tomlkit.parse(text)
            except ParseError as exc:  # a text edit (replace_text) that broke the TOML
                raise TomlSyntaxError(
                    str(exc), file=str(self.path), line=exc.line, column=exc.col
                ) from None
            self._current = text  # tomlkit gives back the text it parsed
            self._unparsed = None
            self._loaded = None
        return self._doc

    def text(self) -> str:
        if self._doc is None:
            return self._text if self._unparsed is None else self._unparsed
        if self._current is None:
            import tomlkit

            self._current = tomlkit.dumps(self._doc)
        return self._current

    def model(self) -> tuple[Workspace, list[Problem]]:
        """The workspace as currently edited (not necessarily saved)."""
        if self._loaded is not None:
            workspace, problems = self._loaded
            return workspace, list(problems)
        return parse_text(self.text(), str(self.path))

    def disk_state(self) -> str:
        """ "same" as loaded or last saved, "changed" since, or "missing" (moved, deleted)."""
        try:
            text = read_capped_text(self.path, MAX_WORKSPACE_BYTES)
        except FileNotFoundError:
            return "missing"
        except (OSError, UnicodeDecodeError):
            return "changed"
        return "same" if _digest(text) == self._digest else "changed"

    def disk_diff(self) -> str:
        """A unified diff from the file on disk to the text in memory."""
        import difflib

        try:
            disk = read_capped_text(self.path, MAX_WORKSPACE_BYTES)
        except (OSError, UnicodeDecodeError):
            disk = ""
        name = self.path.name
        lines = difflib.unified_diff(
            disk.splitlines(keepends=True),
            self.text().splitlines(keepends=True),
            fromfile=f"{name} (on disk)",
            tofile=f"{name} (your edits)",
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)

    # -- editing ---------------------------------------------------------------
    def get(self, keys: Sequence[str]) -> Any:
        node: Any = self.doc
        for key in keys:
            node = node[key]
        return node

    def _parent(self, keys: Sequence[str], create: bool) -> Any:
        """The node holding ``keys[-1]``; ``create`` makes missing tables on the way (a
        header table where the file has headers, placed where it belongs)."""
        import tomlkit

        node: Any = self.doc
        for depth, key in enumerate(keys[:-1]):
            if key not in node:
                if not create:
                    raise KeyError(".".join(keys))
                if is_table(node):
                    self.add_table(keys[: depth + 1], {})
                    return self._parent(keys, create)
                node[key] = tomlkit.inline_table()
            node = node[key]
        return node

    def _edited(self) -> None:
        self._loaded = None
        self._current = None
        self.dirty = True

    def set(self, keys: Sequence[str], value: Any) -> None:
        """Set ``keys`` to ``value``, creating tables on the way; a new key goes after the
        table's last key; formatting elsewhere stays (see ``_tomltree``)."""
        parent = self._parent(keys, create=True)
        item = as_item(value)
        if is_table(parent):
            append_key(parent, keys[-1], item)
        else:
            parent[keys[-1]] = item
        restyle_inline(self.doc, keys[:-1])
        self._edited()

    def delete(self, keys: Sequence[str]) -> None:
        """Remove ``keys``; a table written with headers goes as text, so the comments
        after it stay for what follows."""
        parent = self._parent(keys, create=False)
        if is_table(parent[keys[-1]]):
            removed = removed_table(self.text(), keys)
            if removed is not None:
                self.replace_text(removed)
                return
        del parent[keys[-1]]
        restyle_inline(self.doc, keys[:-1])
        self._edited()

    def rename(self, keys: Sequence[str], new_key: str) -> None:
        """Rename the last key of ``keys``, keeping its content and, for a table written
        as ``[headers]``, its place and every other line of the file."""
        import tomlkit

        parent = self._parent(keys, create=False)
        if new_key in parent:
            raise SchemaError(f"'{new_key}' already exists", file=str(self.path))
        text = self.text()
        renamed = rename_in_headers(text, tuple(keys), new_key)
        if renamed is not None and _renamed_data(text, keys, new_key) == tomllib.loads(renamed):
            self._doc = tomlkit.parse(renamed)
        else:  # an inline table or dotted keys: move it (it ends up last among its siblings)
            value = parent[keys[-1]]
            del parent[keys[-1]]
            parent[new_key] = value
        self._edited()

    def add_table(self, keys: Sequence[str], values: dict[str, Any]) -> None:
        """Add ``[keys]`` with ``values`` where a person would put it (after its last
        sibling; see ``_layout``), or, when the file's shape does not allow that, as
        tomlkit places it, ending with a blank line to stay apart from what follows."""
        import tomlkit

        placed = inserted_table(self.text(), keys, values)
        if placed is not None:
            self.replace_text(placed)
            return
        table = tomlkit.table()
        for key, value in values.items():
            table[key] = as_item(value)
        table.add(tomlkit.nl())
        parent = self._parent(keys, create=True)
        parent[keys[-1]] = table
        self._edited()

    def add_tables(self, tables: Sequence[tuple[Sequence[str], dict[str, Any]]]) -> None:
        """Add new sibling tables of one collection (an import's steps or methods), in
        order, with the text ``add_table`` one after another gives, in one edit checked
        once; one at a time when the file's shape needs tomlkit."""
        placed = inserted_sibling_tables(self.text(), tables) if len(tables) > 1 else None
        if placed is not None:
            self.replace_text(placed)
            return
        for keys, values in tables:
            self.add_table(keys, values)

    def copy_table(self, source: Sequence[str], target: Sequence[str]) -> bool:
        """Copy header table ``source`` (with its sub-tables) to sibling ``target`` where
        a new one goes; False (nothing done) when it is not written as headers."""
        placed = copied_table(self.text(), source, target)
        if placed is None:
            return False
        self.replace_text(placed)
        return True

    def replace_text(self, text: str) -> None:
        """Edit: the document becomes ``text`` (which must be valid TOML). tomlkit parses
        it when an edit next needs the tree: edits made on the text one after another (an
        import adding hundreds of tables) would otherwise parse the whole file each time."""
        self._doc = None
        self._edited()
        self._unparsed = text

    # -- undo ------------------------------------------------------------------------
    def checkpoint(self, label: str, group: object = None) -> None:
        """Remember the text before an edit so ``undo`` can go back to it; edits with
        the same ``group`` one after another (typing in one field) are one step."""
        self.history.record(self.text(), label, group)

    def undo(self) -> str | None:
        """Go back one edit; returns what was undone, or None when there is nothing."""
        step = self.history.undo(self.text())
        if step is not None:
            self._restore(step.text)
        return step.label if step is not None else None

    def redo(self) -> str | None:
        step = self.history.redo(self.text())
        if step is not None:
            self._restore(step.text)
        return step.label if step is not None else None

    def _restore(self, text: str) -> None:
        self.replace_text(text)
        self.dirty = self.new_file or text != self._text

    # -- saving ----------------------------------------------------------------
    def save(self, *, force: bool = False) -> None:
        """Write atomically; refuse if the file changed on disk since it was loaded, or
        is gone, unless ``force`` (overwrite, or recreate, on purpose). The compare and
        the rename happen under a lock shared by every runbench process, so two savers
        cannot both see "unchanged" (see ``_lock``). A symbolic link is kept: its target
        is written."""
        target = self.path.resolve()
        with save_lock(target.parent):
            state = "same" if force else self.disk_state()
            if state == "missing" and self.new_file:
                state = "same"  # its first save creates it
            if state == "missing":
                raise ConcurrentEditError(
                    "was moved or deleted since it was loaded; not written. Recreate it "
                    "here, or save under another name (your edits are still in memory).",
                    file=str(self.path),
                )
            if state == "changed":
                raise ConcurrentEditError(
                    "changed on disk since it was loaded; not overwritten. Reload it (your "
                    "edits are still in memory) or save under another name.",
                    file=str(self.path),
                )
            self._write(target)

    def save_as(self, path: str | Path) -> None:
        """Write to ``path`` (a new file, or one the user chose to replace) and edit that
        file from now on."""
        target = Path(path)
        if target.is_dir():
            raise WorkspaceReadError("is a folder: give a file name", file=str(target))
        if not target.parent.is_dir():
            raise WorkspaceReadError("no such folder: create it first", file=str(target))
        resolved = target.resolve()
        with save_lock(resolved.parent):
            self._write(resolved)
        self.path = target

    def _write(self, target: Path) -> None:
        text = self.text()
        try:
            atomic_write(target, text)
        except OSError as exc:
            raise WorkspaceReadError(
                f"cannot write: {exc.strerror or exc}", file=str(self.path)
            ) from None
        self._text = text
        self._digest = _digest(text)
        self.dirty = False
        self.new_file = False


def _renamed_data(text: str, keys: Sequence[str], new_key: str) -> dict[str, Any]:
    """What ``text`` holds with ``keys`` renamed: the check a text-level rename must pass."""
    data = tomllib.loads(text)
    node = data
    for key in keys[:-1]:
        node = node[key]
    node[new_key] = node.pop(keys[-1])
    return data


def atomic_write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so a crash leaves either the old or the new file. A
    symbolic link is followed: its target is replaced and the link stays a link."""
    path = Path(path).resolve()
    folder = path.parent
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    try:
        directory = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


__all__ = [
    "WorkspaceDocument",
    "atomic_write",
]
