"""Changes to the tomlkit tree of a workspace that keep the file's layout.

``WorkspaceDocument`` calls these for every edit. Left to itself, tomlkit puts a new key
after the blank line (or the comment) that ends a table, so the key lands in the gap
before the next table; it respaces an inline table it adds to (``{ a = 1, b = 2}``); and
a table it creates for a missing parent is written at the end of the file. Here a new
key goes right after the table's last key, an inline table touched by an edit is
rewritten in runbench's one style (``_layout.render_value``), and a missing table is
inserted as text where it belongs (``_layout.insert_table``), checked with tomllib.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from typing import Any

from runbench.core.workspace._layout import (
    copy_table,
    insert_sibling_tables,
    insert_table,
    item_of,
    normalized,
    remove_table,
    replace_table,
)
from runbench.core.workspace._model import SecretRef


def as_item(value: Any) -> Any:
    """Plain data as a tomlkit item in runbench's style; numbers, booleans and tomlkit
    items other than inline tables and arrays stay as they are."""
    from tomlkit.items import Array, InlineTable, Item

    if isinstance(value, (InlineTable, Array)):
        return normalized(value)
    if isinstance(value, Item) or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (str, Mapping, list, tuple, SecretRef)):
        return item_of(value)
    return value


def is_table(node: Any) -> bool:
    """A ``[header]`` table or the document itself (not an inline table)."""
    from tomlkit import TOMLDocument
    from tomlkit.items import Table

    return isinstance(node, (Table, TOMLDocument))


def append_key(table: Any, key: str, item: Any) -> None:
    """Add ``key`` to ``table`` right after its last plain key, before any trailing blank
    lines or comments (they belong to what follows); replace it if present."""
    from tomlkit import TOMLDocument
    from tomlkit.items import AoT, Comment, Table

    if key in table:
        table[key] = item
        return
    container = table if isinstance(table, TOMLDocument) else table.value
    body = container.body
    plain = [
        i for i, (k, v) in enumerate(body) if k is not None and not isinstance(v, (Table, AoT))
    ]
    if plain:
        last: Any = body[plain[-1]][0]
        container._insert_after(last, key, item)
    else:  # no key yet: before the comments and blank lines that lead to the first table
        index = next((i for i, (_, v) in enumerate(body) if isinstance(v, (Table, AoT))), len(body))
        while index > 0 and body[index - 1][0] is None:
            index -= 1
        if isinstance(table, TOMLDocument) and index == 0:  # after the file's opening comment
            while index < len(body) and isinstance(body[index][1], Comment):
                index += 1
        if index >= len(body):
            table[key] = item
            return
        container._insert_at(index, key, item)
    if isinstance(table, Table):
        dict.__setitem__(table, key, container[key])


def restyle_inline(doc: Any, keys: Sequence[str]) -> None:
    """Rewrite the outermost inline table on ``keys`` (whose content just changed) in
    runbench's style; nothing when the path has none."""
    from tomlkit.items import InlineTable

    node = doc
    for key in keys:
        if key not in node:
            return
        child = node[key]
        if isinstance(child, InlineTable):
            node[key] = normalized(child)
            return
        node = child


def expected_data(text: str, keys: Sequence[str], table: Any) -> dict[str, Any]:
    """What ``text`` holds once ``keys`` is set to ``table`` (plain data)."""
    data = tomllib.loads(text)
    node = data
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = table
    return data


def inserted_table(text: str, keys: Sequence[str], values: Mapping[str, Any]) -> str | None:
    """``text`` with a new table ``[keys]`` placed as a person would (one already there
    with a header is replaced where it stands, the comments after it kept), or None when
    the text edit would not give exactly that data (the caller then uses tomlkit)."""
    try:
        path = tuple(keys)
        new = replace_table(text, path, values) or insert_table(text, path, values)
        body = "\n".join(new_line for new_line in _table_body(values))
        wanted = expected_data(text, keys, tomllib.loads(body))
        return new if tomllib.loads(new) == wanted else None
    except (tomllib.TOMLDecodeError, KeyError, TypeError, AttributeError):
        return None


def inserted_sibling_tables(
    text: str, tables: Sequence[tuple[Sequence[str], Mapping[str, Any]]]
) -> str | None:
    """``text`` with the new sibling tables ``tables`` (one collection's, in order) as
    ``inserted_table`` one after another would give it, checked with tomllib once for the
    whole batch (an import adding 500 steps parsed the growing file 1,500 times); None
    when that cannot be done on the text (the caller then adds them one at a time)."""
    try:
        batch = [(tuple(keys), values) for keys, values in tables]
        placed = insert_sibling_tables(text, batch)
        if placed is None:
            return None
        new, added = placed
        block = tomllib.loads("\n".join(added))
        wanted = tomllib.loads(text)
        for keys, _ in batch:
            source, target = block, wanted
            for key in keys[:-1]:
                source, target = source[key], target.setdefault(key, {})
            if keys[-1] in target:
                return None
            target[keys[-1]] = source[keys[-1]]
        return new if tomllib.loads(new) == wanted else None
    except (tomllib.TOMLDecodeError, KeyError, TypeError, AttributeError):
        return None


def _table_body(values: Mapping[str, Any]) -> list[str]:
    from runbench.core.workspace._layout import table_lines

    return table_lines(("x",), values)[1:]


def copied_table(text: str, source: Sequence[str], target: Sequence[str]) -> str | None:
    """``text`` with table ``source`` copied to its sibling ``target`` (placed where a new
    one goes), or None when that cannot be done on the text."""
    try:
        new = copy_table(text, tuple(source), tuple(target))
        if new is None:
            return None
        node: Any = tomllib.loads(text)
        for key in source:
            node = node[key]
        return new if tomllib.loads(new) == expected_data(text, target, node) else None
    except (tomllib.TOMLDecodeError, KeyError, TypeError):
        return None


def removed_table(text: str, keys: Sequence[str]) -> str | None:
    """``text`` without the header table ``keys`` (its trailing comments stay for what
    follows), or None when that cannot be done on the text."""
    try:
        new = remove_table(text, tuple(keys))
        if new is None:
            return None
        data = tomllib.loads(text)
        _pop(data, list(keys))
        return new if tomllib.loads(new) == data else None
    except (tomllib.TOMLDecodeError, KeyError, TypeError):
        return None


def _pop(data: dict[str, Any], keys: list[str]) -> None:
    """Remove ``keys`` from ``data``, and parents it leaves empty (as TOML does for tables
    that only existed through a header below them)."""
    node = data
    for key in keys[:-1]:
        node = node[key]
    del node[keys[-1]]
    if len(keys) > 1 and not node:
        _pop(data, keys[:-1])


__all__ = [
    "append_key",
    "as_item",
    "copied_table",
    "expected_data",
    "inserted_sibling_tables",
    "inserted_table",
    "is_table",
    "removed_table",
    "restyle_inline",
]
