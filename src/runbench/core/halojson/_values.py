"""Halo's value rows (``OutboundIntegrationMethodValue``) both ways: outputs, mappings,
input variables and AI input values.

Output variables hold a bare path (``response^id``) with a name and a ``data_type``;
runbook variable mappings hold ``<<path>>`` (a SQL step's ``<<response[0]^col>>``). Which
of ``key`` and ``value`` is the name is not documented: the one that is a path (it starts
with ``response``) is the path, the other the name (inferred from Halo's templates).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from runbench.core.errors import ExpressionError
from runbench.core.expressions import parse_template
from runbench.core.halojson._codes import (
    AI_INPUT,
    DATA_TYPE_IDS,
    DATA_TYPES,
    INPUT_TYPE_IDS,
    INPUT_TYPES,
    MAPPING_VARIABLE,
    OUTPUT_VARIABLE,
)
from runbench.core.halojson._plan import ImportPlan, Table, halo_int, text_of
from runbench.core.workspace import InputSpec, KeyPath, Output


def _rows(value: Any) -> list[Mapping[str, Any]]:
    return [row for row in value if isinstance(row, Mapping)] if isinstance(value, list) else []


def _path_and_name(row: Mapping[str, Any]) -> tuple[str, str]:
    key, value = text_of(row.get("key")).strip(), text_of(row.get("value")).strip()
    if key.startswith("response") and not value.startswith("response"):
        return key, value
    return value, key


def outputs_from(raw: Mapping[str, Any], keys: KeyPath, plan: ImportPlan) -> Table:
    """The outputs table of a step or method: output variables and response mappings."""
    table: Table = {}
    for row in _rows(raw.get("output_variables")):
        path, name = _path_and_name(row)
        _add(table, name, path, row, keys, plan)
    for row in _rows(raw.get("runbook_variable_mappings")):
        name, value = text_of(row.get("key")).strip(), text_of(row.get("value")).strip()
        found = _single_ref(value)
        if found is None or not found.startswith("response"):
            plan.note(
                keys + ("outputs",),
                f"runbook variable mapping {name or '?'} = {value!r} is not a path over the "
                "response; runbench cannot set it after the step (not imported)",
            )
            continue
        _add(table, name, found, row, keys, plan)
    return table


def _single_ref(text: str) -> str | None:
    """``response[0]^x`` from ``<<response[0]^x>>``; None if ``text`` is anything else."""
    if not (text.startswith("<<") and text.endswith(">>")):
        return None
    try:
        template = parse_template(text)
    except ExpressionError:  # a malformed mapping: keep the inside as written
        return text[2:-2]
    return text[2:-2] if template.is_single_ref else None


def _add(
    table: Table, name: str, path: str, row: Mapping[str, Any], keys: KeyPath, plan: ImportPlan
) -> None:
    if not name or not path:
        plan.note(keys + ("outputs",), f"an output variable without a name or path: {dict(row)}")
        return
    kind = DATA_TYPES.get(halo_int(row.get("data_type")) or 2, "any")
    table[name] = path if kind == "any" else {"path": path, "type": kind}


def output_rows(outputs: Sequence[Output], mapping: bool) -> list[dict[str, Any]]:
    """Halo rows for ``outputs``: output variables, or (``mapping``) ``<<path>>`` mappings."""
    rows: list[dict[str, Any]] = []
    for output in outputs:
        kind = DATA_TYPE_IDS.get(output.type, 2)
        if mapping:
            row = {"type": MAPPING_VARIABLE, "key": output.name, "value": f"<<{output.path}>>"}
        else:
            row = {"type": OUTPUT_VARIABLE, "key": output.name, "value": output.path}
        rows.append({**row, "data_type": kind})
    return rows


def inputs_from(raw: Mapping[str, Any], keys: KeyPath, plan: ImportPlan) -> Table:
    """A runbook's ``input_variables`` as its ``inputs`` table."""
    table: Table = {}
    for row in _rows(raw.get("input_variables")):
        name = text_of(row.get("key")).strip()
        if not name:
            plan.note(keys + ("inputs",), f"an input variable without a key: {dict(row)}")
            continue
        kind = INPUT_TYPES.get(halo_int(row.get("data_type")) or 2, "string")
        spec: Table = {"type": kind}
        default = row.get("value")
        if default not in (None, ""):
            spec["default"] = default
        table[name] = spec
    return table


def input_rows(inputs: Iterable[InputSpec]) -> list[dict[str, Any]]:
    rows = []
    for spec in inputs:
        row: dict[str, Any] = {"key": spec.name, "data_type": INPUT_TYPE_IDS.get(spec.type, 2)}
        if spec.has_default and spec.default is not None:
            row["value"] = spec.default if isinstance(spec.default, str) else str(spec.default)
        rows.append(row)
    return rows


def ai_inputs_from(raw: Mapping[str, Any]) -> Table:
    """An AI step's ``input_values`` (type 7) as the step's args."""
    return {
        text_of(row.get("key")).strip(): text_of(row.get("value"))
        for row in _rows(raw.get("input_values"))
        if text_of(row.get("key")).strip()
    }


def ai_input_rows(args: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {"type": AI_INPUT, "key": name, "value": value if isinstance(value, str) else str(value)}
        for name, value in args.items()
    ]


__all__ = [
    "ai_input_rows",
    "ai_inputs_from",
    "input_rows",
    "inputs_from",
    "output_rows",
    "outputs_from",
]
