"""Where new text goes in a workspace file, and the one TOML style runbench writes.

A workspace is read by people and diffed in review, so an edit should read like a
person made it. tomlkit on its own appends a new table after whatever ends the
document, comments included (a new integration landed under ``# --- Runbooks ---``),
appends a new key after a table's trailing blank line, and spaces inline tables two
ways. So runbench places new tables itself, on the text: a new method after its
integration's last method, a new integration after the last integration, a new step
after its runbook's last step, ``[variables]`` before the integrations; a comment stays
with the table that follows it; one blank line between tables. Values are written in
one style: inline tables as ``{ key = value }``, arrays of tables one per line when
there are several, strings holding ``"`` as literal strings, multi-line text as
``'''`` blocks. The caller checks every text edit with tomllib (the data must be
exactly what was asked for) and falls back to tomlkit when the file is written in a
way this does not handle (dotted keys, inline tables where headers were expected).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from runbench.core.workspace._model import KeyPath, SecretRef
from runbench.core.workspace._tomllines import _renamed_header, header_lines, toml_key

ROOT_ORDER = ("variables", "integrations", "runbooks")
RUNBOOK_ORDER = ("endpoint", "inputs", "steps")
INTEGRATION_ORDER = ("methods",)


# -- values --------------------------------------------------------------------------
def render_value(value: Any) -> str:
    """``value`` (plain data, a ``SecretRef`` or a tomlkit item) as TOML text."""
    from tomlkit.items import AbstractTable, Array, Item

    if isinstance(value, SecretRef):
        return render_value({value.source: value.name})
    if isinstance(value, AbstractTable):
        pairs = [(key.key, item) for key, item in value.value.body if key is not None]
        return _render_pairs(pairs)
    if isinstance(value, Mapping):
        return _render_pairs([(k, v) for k, v in value.items() if v is not None])
    if isinstance(value, Array):
        return _render_list(list(value))
    if isinstance(value, (list, tuple)):
        return _render_list(list(value))
    if isinstance(value, Item):
        return value.as_string().strip()
    if isinstance(value, str):
        return _render_string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    import tomlkit

    return str(tomlkit.item(value).as_string())


def _render_pairs(pairs: Sequence[tuple[str, Any]]) -> str:
    if not pairs:
        return "{}"
    inner = ", ".join(f"{toml_key(key)} = {render_value(item)}" for key, item in pairs)
    return f"{{ {inner} }}"


def _render_list(items: list[Any]) -> str:
    from tomlkit.items import AbstractTable

    tables = [i for i in items if isinstance(i, (Mapping, AbstractTable))]
    if tables and len(tables) == len(items):
        if len(items) == 1:
            return f"[ {render_value(items[0])} ]"
        return "[\n" + "".join(f"  {render_value(i)},\n" for i in items) + "]"
    return "[" + ", ".join(render_value(i) for i in items) + "]"


def _render_string(text: str) -> str:
    import tomlkit

    if "\n" in text:
        literal = "'''" not in text and "\r" not in text
        return str(tomlkit.string(text, multiline=True, literal=literal).as_string())
    if '"' in text and "'" not in text and text.isprintable():
        return str(tomlkit.string(text, literal=True).as_string())
    return str(tomlkit.string(text).as_string())


def item_of(value: Any) -> Any:
    """A tomlkit item written in runbench's style (see the module docstring)."""
    import tomlkit

    return tomlkit.parse(f"x = {render_value(value)}\n")["x"]


def normalized(item: Any) -> Any:
    """``item`` rewritten in runbench's style, or ``item`` itself if that would change
    its data (a dotted key inside an inline table, say)."""
    try:
        fresh = item_of(item)
    except Exception:  # tomlkit raises several error types; keep what we have
        return item
    return fresh if fresh.unwrap() == item.unwrap() else item


# -- tables ----------------------------------------------------------------------------
def table_lines(keys: KeyPath, values: Mapping[str, Any]) -> list[str]:
    """``[keys]`` and one ``key = value`` line per value (None values left out)."""
    text = [f"[{'.'.join(toml_key(k) for k in keys)}]"]
    text += [f"{toml_key(k)} = {render_value(v)}" for k, v in values.items() if v is not None]
    return "\n".join(text).split("\n")


def _is_trivia(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


class _Layout:
    """The header lines of one text, and where each table's own lines end."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        if self.lines and self.lines[-1] == "":
            self.lines.pop()
        self.headers = header_lines(text)
        self.starts = sorted(line for _, line in self.headers)

    def under(self, prefix: KeyPath, *, strict: bool) -> list[int]:
        """Lines of the headers at or below ``prefix`` (only below when ``strict``)."""
        depth = len(prefix) + (1 if strict else 0)
        return [
            line
            for path, line in self.headers
            if len(path) >= depth and path[: len(prefix)] == prefix
        ]

    def end_of(self, header: int) -> int:
        """The last line that belongs to the table whose header is on line ``header``:
        trailing blank lines and comments belong to what follows."""
        following = [line for line in self.starts if line > header]
        last = (following[0] if following else len(self.lines) + 1) - 1
        while last > header and _is_trivia(self.lines[last - 1]):
            last -= 1
        return last

    def root_end(self) -> int:
        """The last line of the keys before the first table (0: there are none)."""
        last = (self.starts[0] if self.starts else len(self.lines) + 1) - 1
        while last > 0 and _is_trivia(self.lines[last - 1]):
            last -= 1
        return last

    def slot(self, keys: KeyPath) -> int:
        """The line after which a new table ``keys`` goes (0: at the very top)."""
        parent, name = keys[:-1], keys[-1]
        if _is_collection(parent):
            found = self.under(parent, strict=True)
            if found:
                return self.end_of(max(found))
            return self.slot(parent)
        order = _child_order(parent)
        earlier = order[: order.index(name)] if name in order else order
        found = [line for path, line in self.headers if parent and path == parent]
        for child in earlier:
            found += self.under(parent + (child,), strict=False)
        if found:
            return self.end_of(max(found))
        if not parent:
            return self.root_end()
        return self.slot(parent)

    def block(self, prefix: KeyPath) -> list[tuple[str, bool]]:
        """The lines of every header table at or below ``prefix``, one blank between;
        each with whether it is a header."""
        found: list[tuple[str, bool]] = []
        for line in sorted(self.under(prefix, strict=False)):
            if found:
                found.append(("", False))
            found.append((self.lines[line - 1], True))
            found += [(text, False) for text in self.lines[line : self.end_of(line)]]
        return found

    def insert(self, after: int, new: list[str]) -> str:
        """The text with ``new`` after line ``after``, one blank line either side."""
        before, rest = self.lines[:after], self.lines[after:]
        added = ([""] if before and before[-1].strip() else []) + new
        if rest and rest[0].strip():
            added.append("")
        return "\n".join(before + added + rest) + "\n"

    def remove(self, prefix: KeyPath) -> str | None:
        """The text without the header tables at or below ``prefix`` (their own lines and
        the blank line before each); comments above a header stay. None: no headers."""
        found = sorted(self.under(prefix, strict=False))
        if not found:
            return None
        drop: set[int] = set()
        for line in found:
            start = line - 1 if line > 1 and not self.lines[line - 2].strip() else line
            drop.update(range(start, self.end_of(line) + 1))
        kept = [text for number, text in enumerate(self.lines, 1) if number not in drop]
        while kept and not kept[0].strip() and self.lines and self.lines[0].strip():
            kept.pop(0)
        return "\n".join(kept) + "\n"

    def replace(self, keys: KeyPath, new: list[str]) -> str | None:
        """The text with table ``keys`` (written with its own header) holding ``new``
        instead, where it stands; its header sub-tables go. Comments and blank lines
        after each (they belong to what follows) stay. None: no such header."""
        own = [line for path, line in self.headers if path == keys]
        if len(own) != 1:
            return None
        start, end = own[0], self.end_of(own[0])
        drop = set(range(start + 1, end + 1))
        for line in self.under(keys, strict=True):
            first = line - 1 if not self.lines[line - 2].strip() else line
            drop.update(range(first, self.end_of(line) + 1))
        out: list[str] = []
        for number, text in enumerate(self.lines, 1):
            if number == start:
                out += new
            elif number not in drop:
                out.append(text)
        return "\n".join(out) + "\n"


def replace_table(text: str, keys: KeyPath, values: Mapping[str, Any]) -> str | None:
    """``text`` with table ``keys`` replaced where it stands by one holding ``values``
    (a pulled step whose kind changed), or None when it is not written with a header."""
    return _Layout(text).replace(keys, table_lines(keys, values))


def remove_table(text: str, keys: KeyPath) -> str | None:
    """``text`` without table ``keys`` when it is written with headers, else None."""
    return _Layout(text).remove(keys)


def _is_collection(path: KeyPath) -> bool:
    """Tables whose children are named by id: integrations, runbooks, methods, steps."""
    return path in (("integrations",), ("runbooks",)) or (
        len(path) == 3 and path[2] in ("methods", "steps")
    )


def _child_order(path: KeyPath) -> tuple[str, ...]:
    if not path:
        return ROOT_ORDER
    if len(path) == 2 and path[0] == "runbooks":
        return RUNBOOK_ORDER
    if len(path) == 2 and path[0] == "integrations":
        return INTEGRATION_ORDER
    return ()


def insert_table(text: str, keys: KeyPath, values: Mapping[str, Any]) -> str:
    """``text`` with the table ``[keys]`` (holding ``values``) where it belongs."""
    layout = _Layout(text)
    return layout.insert(layout.slot(keys), table_lines(keys, values))


def insert_sibling_tables(
    text: str, tables: Sequence[tuple[KeyPath, Mapping[str, Any]]]
) -> tuple[str, list[str]] | None:
    """``text`` with new tables of one collection (a runbook's steps, an integration's
    methods) placed where ``insert_table`` would put them one after another, scanning the
    text once; and the lines added. None when they are not siblings in a collection (the
    one case where one place, after the last sibling, holds for every one of them)."""
    parent = tables[0][0][:-1] if tables else ()
    if not tables or not _is_collection(parent) or any(k[:-1] != parent for k, _ in tables):
        return None
    added: list[str] = []
    for keys, values in tables:
        added += ([""] if added else []) + table_lines(keys, values)
    layout = _Layout(text)
    return layout.insert(layout.slot(tables[0][0]), added), added


def copy_table(text: str, source: KeyPath, target: KeyPath) -> str | None:
    """``text`` with the header tables at ``source`` (and below) copied to ``target``, a
    sibling, placed where a new ``target`` goes; None if ``source`` has no header."""
    layout = _Layout(text)
    block = layout.block(source)
    if not block or source[:-1] != target[:-1]:
        return None
    lines: list[str] = []
    for line, is_header in block:
        renamed = _renamed_header(line, len(source), target[-1]) if is_header else line
        if renamed is None:
            return None
        lines.append(renamed)
    return layout.insert(layout.slot(target), lines)


__all__ = [
    "copy_table",
    "insert_sibling_tables",
    "insert_table",
    "remove_table",
    "replace_table",
    "item_of",
    "normalized",
    "render_value",
    "table_lines",
]
