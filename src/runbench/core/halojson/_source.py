"""Read Halo's JSON in the shapes Halo's API and exports hand out.

Runbooks come as one runbook object (``name``, ``steps``), an array of them, or a bundle
``{"rows": [{id, name, type}], "details": {ID: {name, steps}}}`` (Halo's online template
repository). Custom integrations come as one object with ``methods``, an array, or a list
wrapper (``{"integrations": [...]}``). A file that cannot be read or holds something else
is a ``HaloJsonError`` naming the file and what was found instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from runbench.core.errors import UsageError
from runbench.core.files import (
    json_error_reason,
    json_kind,
    load_json_text,
    not_text,
    read_capped_text,
    unreadable,
)

HaloObject = dict[str, Any]
MAX_FILE_BYTES = 64 * 1024 * 1024


class HaloJsonError(UsageError):
    """An input file is not Halo JSON runbench can read."""


def load_json(path: str | Path) -> Any:
    """The parsed file; HaloJsonError saying why not (missing, too big, not JSON)."""
    file = Path(path)
    try:
        text = read_capped_text(file, MAX_FILE_BYTES, encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HaloJsonError(f"{file}: {not_text(exc)}") from None
    except OSError as exc:
        raise HaloJsonError(f"{file}: cannot read: {unreadable(exc)}") from None
    try:
        return load_json_text(text)
    except json.JSONDecodeError as exc:
        where = f"{file}:{exc.lineno}:{exc.colno}"
        raise HaloJsonError(f"{where}: not JSON: {json_error_reason(exc)}") from None


def runbook_objects(data: Any, where: str) -> list[HaloObject]:
    """The runbooks in ``data``: one, an array, or a ``rows``/``details`` bundle."""
    if isinstance(data, dict) and isinstance(data.get("details"), dict):
        return _bundle(data, where)
    items = data if isinstance(data, list) else [data]
    found: list[HaloObject] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("steps"), list):
            what = _not_a_runbook(item)
            raise HaloJsonError(
                f"{where}: item {index} is {what}; a Halo runbook is an object with "
                '"name" and "steps" (or a bundle with "rows" and "details")'
            )
        found.append(item)
    return found


def _not_a_runbook(item: Any) -> str:
    """What ``item`` is instead of a runbook, in JSON's words."""
    if not isinstance(item, dict):
        return f"{json_kind(item)}, not an object"
    if "steps" not in item:
        return "an object without steps"
    return f'an object whose "steps" is {json_kind(item["steps"])}, not an array'


def _bundle(data: dict[str, Any], where: str) -> list[HaloObject]:
    details: dict[str, Any] = data["details"]
    names = {
        str(row.get("id")): row
        for row in data.get("rows") or []
        if isinstance(row, dict) and row.get("id") is not None
    }
    found: list[HaloObject] = []
    for key, detail in details.items():
        if not isinstance(detail, dict) or not isinstance(detail.get("steps"), list):
            raise HaloJsonError(f"{where}: details[{key!r}] has no steps array")
        row = names.get(str(key), {})
        found.append({"id": key, "name": row.get("name") or key, **detail})
    return found


def integration_objects(data: Any, where: str) -> list[HaloObject]:
    """The custom integrations in ``data``: one, an array, or a list wrapper."""
    if isinstance(data, dict) and "methods" not in data:
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) == 1:
            data = lists[0]
    items = data if isinstance(data, list) else [data]
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not ("name" in item or "methods" in item):
            raise HaloJsonError(
                f"{where}: item {index} is not a custom integration (an object with "
                '"name", "resourcebaseurl" and "methods")'
            )
    return list(items)


__all__ = ["HaloJsonError", "HaloObject", "integration_objects", "load_json", "runbook_objects"]
