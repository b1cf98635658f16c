"""Read an OpenAPI 3 document (JSON, or YAML when PyYAML is installed) and resolve ``$ref``s.

Specs come as JSON or YAML; JSON needs nothing, YAML needs the optional ``pyyaml``
(``pip install 'runbench[openapi]'``), and the error says so. References are only ever
local (``#/components/...``): a spec that points into another file is told so.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runbench.core.errors import UsageError
from runbench.core.files import load_json_text, not_text, read_capped_text, unreadable

MAX_SPEC_BYTES = 20 * 1024 * 1024


def read_spec(path: str | Path) -> dict[str, Any]:
    """The document at ``path`` as plain data; UsageError when it cannot be one."""
    file = Path(path)
    try:
        text = read_capped_text(file, MAX_SPEC_BYTES)
    except UnicodeDecodeError as exc:
        raise UsageError(f"the spec {file}: {not_text(exc)}") from None
    except OSError as exc:
        raise UsageError(f"cannot read the spec {file}: {unreadable(exc)}") from None
    return parse_spec(text, str(file))


def parse_spec(text: str, where: str = "spec") -> dict[str, Any]:
    data: Any
    if text.lstrip().startswith(("{", "[")):
        try:
            data = load_json_text(text)
        except ValueError as exc:
            raise UsageError(f"{where}: not valid JSON ({exc})") from None
    else:
        data = _yaml(text, where)
    if not isinstance(data, dict) or not str(data.get("openapi", "")).startswith("3"):
        found = data.get("swagger") if isinstance(data, dict) else None
        hint = " (Swagger 2: convert it to OpenAPI 3 first)" if found else ""
        raise UsageError(f"{where}: not an OpenAPI 3 document (no 'openapi: 3.x' key){hint}")
    return data


def _yaml(text: str, where: str) -> Any:
    try:
        yaml = importlib.import_module("yaml")
    except ImportError:
        raise UsageError(
            f"{where} looks like YAML, which needs PyYAML: pip install 'runbench[openapi]' "
            "(or convert the spec to JSON)"
        ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UsageError(f"{where}: not valid YAML ({exc})") from None


class Resolver:
    """Follows local ``$ref``s of one document."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec

    def get(self, node: Any) -> Any:
        """``node`` itself, or what its ``$ref`` points to (followed to the end)."""
        seen: set[str] = set()
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen or not ref.startswith("#/"):
                raise UsageError(
                    f"$ref {ref!r}: only references inside the document are followed"
                    if not ref.startswith("#/")
                    else f"$ref {ref!r} refers to itself"
                )
            seen.add(ref)
            node = self._pointer(ref)
        return node

    def _pointer(self, ref: str) -> Any:
        node: Any = self.spec
        for part in ref[2:].split("/"):
            key = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, Mapping) or key not in node:
                raise UsageError(f"$ref {ref!r}: no such place in the document")
            node = node[key]
        return node


__all__ = ["MAX_SPEC_BYTES", "Resolver", "parse_spec", "read_spec"]
