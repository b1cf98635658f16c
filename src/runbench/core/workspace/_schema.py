"""Turn parsed TOML (plain dicts) into the workspace model, collecting problems.

Reading never stops at the first mistake: a wrong value is reported with its key path
and line, replaced by a default, and reading goes on, so `runbench check` can list
every problem at once. Cross-references (does that step exist?) are checked later by
``runbench.core.workspace._validate``; this module only checks shapes and allowed values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runbench.core.errors import suggest
from runbench.core.workspace._model import (
    EDGE_KEYS,
    OUTPUT_TYPES,
    Expect,
    KeyPath,
    Output,
    Secretish,
    SecretRef,
)
from runbench.core.workspace._problems import Problem, dotted

ALL_EDGE_KEYS = frozenset(key for pairs in EDGE_KEYS.values() for key, _ in pairs)
STEP_KEYS = (
    frozenset(
        {
            "kind",
            "title",
            "method",
            "action",
            "body",
            "args",
            "outputs",
            "match",
            "rules",
            "seconds",
            "items",
            "runbook",
            "result",
            "message",
            "timeout",
            "retry",
            "position",
            "notes",
            "query",
            "database",
            "max_rows",
            "integration",
            "model",
            "prompt",
            "json_answer",
            "ai_type",
            "halo",
        }
    )
    | ALL_EDGE_KEYS
)
METHOD_KEYS = frozenset(
    {
        "verb",
        "path",
        "query",
        "headers",
        "body_type",
        "body",
        "auth",
        "outputs",
        "title",
        "test_values",
        "expect",
        "notes",
        "halo",
    }
)
EXPECT_KEYS = frozenset({"status", "outputs", "headers", "max_ms"})
INTEGRATION_KEYS = frozenset(
    {
        "title",
        "base_url",
        "auth",
        "methods",
        "connect_timeout",
        "read_timeout",
        "timeout",
        "max_response_bytes",
        "follow_redirects",
        "max_redirects",
        "verify",
        "total_timeout",
        "notes",
        "halo",
    }
)
OUTPUT_KEYS = frozenset({"path", "type", "secret"})
RUNBOOK_KEYS = frozenset(
    {
        "title",
        "start",
        "public",
        "endpoint",
        "inputs",
        "steps",
        "max_concurrent",
        "max_steps",
        "max_duration",
        "notes",
        "halo",
        "schedule",
    }
)


class Reader:
    """Reads one workspace's data, remembering problems with their lines."""

    def __init__(self, file: str, lines: Mapping[KeyPath, int]) -> None:
        self.file = file
        self.lines = lines
        self.problems: list[Problem] = []

    # -- reporting -------------------------------------------------------------
    def line(self, keys: KeyPath) -> int | None:
        for n in range(len(keys), 0, -1):
            if keys[:n] in self.lines:
                return self.lines[keys[:n]]
        return None

    def report(self, keys: KeyPath, message: str, severity: str = "error") -> None:
        text = f"{dotted(keys)}: {message}" if keys else message
        self.problems.append(Problem(self.file, self.line(keys), severity, text, keys))

    def unknown_keys(
        self, table: Mapping[str, Any], allowed: frozenset[str], keys: KeyPath
    ) -> None:
        for key in table:
            if key not in allowed:
                close = suggest(key, allowed)
                hint = (
                    f" (did you mean '{close[0]}'?)"
                    if close
                    else " (kept, but runbench ignores it)"
                )
                self.report(keys + (key,), f"unknown key '{key}'{hint}", "warning")

    # -- typed getters ---------------------------------------------------------
    def table(self, data: Mapping[str, Any], key: str, keys: KeyPath) -> dict[str, Any]:
        value = data.get(key, {})
        if isinstance(value, dict):
            return value
        self.report(keys + (key,), f"must be a table, not {_kind(value)}")
        return {}

    def string(self, data: Mapping[str, Any], key: str, keys: KeyPath, default: str = "") -> str:
        value = data.get(key, default)
        if isinstance(value, str):
            return value
        self.report(keys + (key,), f"must be a string, not {_kind(value)}")
        return default

    def choice(
        self,
        data: Mapping[str, Any],
        key: str,
        keys: KeyPath,
        allowed: tuple[str, ...],
        default: str,
    ) -> str:
        value = self.string(data, key, keys, default)
        if value in allowed:
            return value
        close = suggest(value, allowed)
        hint = f"did you mean '{close[0]}'? " if close else ""
        self.report(
            keys + (key,), f"'{value}' is not one of {', '.join(allowed)} ({hint}use one of those)"
        )
        return default

    def number(self, data: Mapping[str, Any], key: str, keys: KeyPath, default: float) -> float:
        value = data.get(key, default)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            return float(value)
        self.report(keys + (key,), f"must be a number >= 0, not {value!r}")
        return default

    def integer(self, data: Mapping[str, Any], key: str, keys: KeyPath, default: int) -> int:
        value = data.get(key, default)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        self.report(keys + (key,), f"must be a whole number >= 0, not {value!r}")
        return default

    def boolean(self, data: Mapping[str, Any], key: str, keys: KeyPath, default: bool) -> bool:
        value = data.get(key, default)
        if isinstance(value, bool):
            return value
        self.report(keys + (key,), f"must be true or false, not {value!r}")
        return default

    def secret(self, data: Mapping[str, Any], key: str, keys: KeyPath) -> Secretish:
        value = data.get(key, "")
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and len(value) == 1:
            ((source, name),) = value.items()
            if source in ("env", "secret") and isinstance(name, str) and name:
                return SecretRef(source, name)
        self.report(keys + (key,), 'must be a string, { env = "NAME" } or { secret = "NAME" }')
        return ""

    def string_map(self, data: Mapping[str, Any], key: str, keys: KeyPath) -> dict[str, str]:
        table = self.table(data, key, keys)
        result: dict[str, str] = {}
        for name, value in table.items():
            if isinstance(value, (str, int, float, bool)):
                result[name] = value if isinstance(value, str) else _scalar_text(value)
            else:
                self.report(keys + (key, name), f"must be a string, not {_kind(value)}")
        return result

    def halo_fields(self, data: Mapping[str, Any], keys: KeyPath) -> dict[str, Any]:
        """``halo = { id = ..., ... }``: Halo's ids and numbers, kept as they are."""
        if "halo" not in data:
            return {}
        return dict(self.table(data, "halo", keys))

    def outputs(self, data: Mapping[str, Any], keys: KeyPath) -> tuple[Output, ...]:
        table = self.table(data, "outputs", keys)
        result: list[Output] = []
        for name, spec in table.items():
            where = keys + ("outputs", name)
            if isinstance(spec, str):
                result.append(Output(name, spec))
            elif isinstance(spec, dict) and isinstance(spec.get("path"), str):
                kind = self.choice(spec, "type", where, OUTPUT_TYPES, "any")
                secret = self.boolean(spec, "secret", where, False)
                self.unknown_keys(spec, OUTPUT_KEYS, where)
                result.append(Output(name, spec["path"], kind, secret))
            else:
                self.report(
                    where,
                    'must be a path string or { path = "...", type = "...", secret = true }',
                )
        return tuple(result)

    def expect(self, data: Mapping[str, Any], keys: KeyPath) -> Expect | None:
        """A method's ``expect`` table (None when it has none)."""
        if "expect" not in data:
            return None
        table = self.table(data, "expect", keys)
        where = keys + ("expect",)
        self.unknown_keys(table, EXPECT_KEYS, where)
        status = table.get("status")
        if status is not None and not (
            isinstance(status, int) and not isinstance(status, bool) and 100 <= status <= 599
        ):
            self.report(where + ("status",), f"must be an HTTP status (100-599), not {status!r}")
            status = None
        max_ms = self.number(table, "max_ms", where, -1.0) if "max_ms" in table else None
        return Expect(
            status=status,
            outputs=self.table(table, "outputs", where),
            headers=self.string_map(table, "headers", where),
            max_ms=max_ms if max_ms is None or max_ms >= 0 else None,
        )


def _kind(value: Any) -> str:
    names = {
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        dict: "a table",
        list: "an array",
    }
    return names.get(type(value), type(value).__name__)


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
