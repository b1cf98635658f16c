"""Output variables: evaluate each path over a response and coerce it to its declared type.

A failed output never hides the others: each one that does not match (or does not fit its
type) is reported by name with the reason, and the rest still get values, so the user
fixes every path in one go. Coercion is forgiving where APIs are sloppy (numbers sent as
strings, ``"true"``), strict where a silent guess would be wrong (``3.5`` is not an int).
Datetimes become ISO 8601 strings, so every output value stays JSON data.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from runbench.core.errors import ExpressionError
from runbench.core.expressions import CompiledPath, compile_path, stored_value, to_text
from runbench.core.files import json_kind, load_json_text
from runbench.core.workspace import Output

_TRUE = frozenset({"true", "yes", "1", "on"})
_FALSE = frozenset({"false", "no", "0", "off"})


class CoercionError(ValueError):
    """A value does not fit an output type."""


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:39] + "…"


def _fail(value: Any, kind: str) -> CoercionError:
    return CoercionError(f"{_short(value)} ({json_kind(value)}) is not {kind}")


def to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise _fail(value, "an int")
    if isinstance(value, int):
        return value
    try:
        number = to_float(value) if isinstance(value, (float, str)) else None
    except CoercionError:
        number = None
    if number is None or not number.is_integer():
        raise _fail(value, "an int (a whole number)")
    return int(number)


def to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise _fail(value, "a float")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            raise _fail(value, "a float") from None
    raise _fail(value, "a float")


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise _fail(value, "a bool (true/false)")


def _container(value: Any, wanted: type, kind: str) -> Any:
    if isinstance(value, wanted):
        return value
    if isinstance(value, str):
        try:
            parsed = load_json_text(value)
        except ValueError:
            raise _fail(value, kind) from None
        if isinstance(parsed, wanted):
            return parsed
    raise _fail(value, kind)


def to_datetime(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC).isoformat()
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise _fail(value, "a datetime (ISO 8601 such as 2024-05-01T12:00:00Z)")


def coerce(value: Any, kind: str) -> Any:
    """``value`` as output type ``kind``; CoercionError says why it does not fit."""
    if kind == "any":
        return value
    if kind == "string":
        return value if isinstance(value, str) else to_text(value)
    if kind == "int":
        return to_int(value)
    if kind == "float":
        return to_float(value)
    if kind == "bool":
        return to_bool(value)
    if kind == "array":
        return _container(value, list, "an array")
    if kind == "object":
        return _container(value, dict, "an object")
    if kind == "datetime":
        return to_datetime(value)
    raise CoercionError(f"unknown output type {kind!r}")


def needs_json(path: CompiledPath) -> bool:
    """Does ``path`` look inside the body (``response^x``, ``response[0]``)?"""
    return path.root == "response" and path.text.strip().rstrip("!").strip() != "response"


class OutputEvaluator:
    """Compiles output paths once and evaluates them over a response. Compiling one
    generates Python code (a few hundred microseconds), so an engine shares one evaluator
    between all its runs' executors instead of compiling every path again per run. It is
    bounded like ``TemplateCache``: past ``limit`` distinct paths it starts over."""

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self._paths: dict[str, CompiledPath | ExpressionError] = {}

    def path(self, text: str) -> CompiledPath:
        found = self._paths.get(text)
        if found is None:
            try:
                found = compile_path(text)
            except ExpressionError as exc:
                found = exc
            if len(self._paths) >= self.limit:
                self._paths.clear()
            self._paths[text] = found
        if isinstance(found, ExpressionError):
            raise found
        return found

    def json_readers(self, outputs: Sequence[Output]) -> list[str]:
        """Names of outputs whose paths need a JSON body."""
        names = []
        for output in outputs:
            try:
                if needs_json(self.path(output.path)):
                    names.append(output.name)
            except ExpressionError:
                continue
        return names

    def evaluate(
        self, outputs: Sequence[Output], scope: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for output in outputs:
            try:
                path = self.path(output.path)
                value = stored_value(path.evaluate(scope), path.raw)
                values[output.name] = coerce(value, output.type)
            except (ExpressionError, CoercionError) as exc:
                errors[output.name] = f"{output.path}: {exc}"
        return values, errors


__all__ = ["CoercionError", "OutputEvaluator", "coerce", "needs_json"]
