"""A JSON skeleton from a schema: what a request body looks like, for the user to fill in.

Examples win (the spec author's), then defaults, then the first enum value, then an empty
value of the type. Objects list every property (required ones first); arrays hold one
item. ``allOf`` merges, ``oneOf``/``anyOf`` take the first choice. A schema that contains
itself (a tree of categories) stops at the repeat, and depth is capped, so any spec ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runbench.core.openapi._spec import Resolver

MAX_DEPTH = 8
_EMPTY: Mapping[str, Any] = {
    "string": "",
    "integer": 0,
    "number": 0,
    "boolean": False,
    "array": [],
    "object": {},
}


def skeleton(
    resolver: Resolver, schema: Any, depth: int = 0, seen: frozenset[str] = frozenset()
) -> Any:
    ref = schema.get("$ref") if isinstance(schema, Mapping) else None
    if isinstance(ref, str):
        if ref in seen:
            return {}
        seen = seen | {ref}
    node = resolver.get(schema)
    if not isinstance(node, Mapping) or depth > MAX_DEPTH:
        return None
    for key in ("example", "default"):
        if key in node:
            return node[key]
    if node.get("enum"):
        return node["enum"][0]
    if "allOf" in node:
        merged: dict[str, Any] = {}
        for part in node["allOf"]:
            value = skeleton(resolver, part, depth + 1, seen)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    for key in ("oneOf", "anyOf"):
        if node.get(key):
            return skeleton(resolver, node[key][0], depth + 1, seen)
    kind = node.get("type")
    if isinstance(kind, list):  # OpenAPI 3.1: ["string", "null"]
        kind = next((k for k in kind if k != "null"), None)
    if kind == "array" or "items" in node:
        item = skeleton(resolver, node.get("items") or {}, depth + 1, seen)
        return [] if item is None else [item]
    if kind == "object" or "properties" in node:
        properties = node.get("properties") or {}
        required = [p for p in node.get("required") or [] if p in properties]
        ordered = required + [p for p in properties if p not in required]
        return {name: skeleton(resolver, properties[name], depth + 1, seen) for name in ordered}
    return _EMPTY.get(str(kind), None) if kind is not None else None


__all__ = ["skeleton"]
