"""Does a test meet what its method expects? (``expect = { status = 200, ... }``)

A test in CI passes on more than "it answered 2xx": the status the API must give, the
outputs it must produce (a value, or a type: ``Answer = "string"``), a header
(``Content-Type`` containing ``json``) and how long it may take. Each unmet expectation
is one sentence that says what was expected and what came. Values are compared on the
coerced outputs (before redaction: only the sentence is shown, through the redactor).
"""

from __future__ import annotations

import json
from typing import Any

from runbench.core.http import Exchange
from runbench.core.workspace import EXPECT_TYPES, Expect, Method


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


def _is(value: Any, kind: str) -> bool:
    actual = _type_of(value)
    if kind == "any":
        return True
    if kind == "number":
        return actual in ("int", "float")
    return actual == kind or (kind == "float" and actual == "int")


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:79] + "…"


def unmet(method: Method, exchange: Exchange) -> list[str]:
    """Every expectation of ``method`` that ``exchange`` does not meet (empty: passed).

    Without ``expect.status`` the status must be 2xx; a failed request fails everything."""
    expect = method.expect or Expect()
    if exchange.error is not None or exchange.response is None:
        return [f"the request failed ({exchange.error_kind}): {exchange.error}"]
    response = exchange.response
    failures: list[str] = []
    if expect.status is not None and response.status != expect.status:
        failures.append(f"status {response.status}, expected {expect.status}")
    elif expect.status is None and not 200 <= response.status < 300:
        failures.append(f"status {response.status} is not a success (200-299)")
    failures += _outputs(expect, exchange)
    for name, wanted in expect.headers.items():
        value = response.header(name)
        if value is None:
            failures.append(f"header {name} missing, expected it to contain {wanted!r}")
        elif wanted.lower() not in value.lower():
            failures.append(f"header {name} is {value!r}, expected it to contain {wanted!r}")
    if expect.max_ms is not None and exchange.elapsed_ms > expect.max_ms:
        failures.append(f"took {exchange.elapsed_ms:.0f} ms, expected at most {expect.max_ms:g}")
    return failures


def _outputs(expect: Expect, exchange: Exchange) -> list[str]:
    failures = []
    for name, wanted in expect.outputs.items():
        if name not in exchange.outputs:
            why = exchange.output_errors.get(name, "not evaluated")
            failures.append(f"output {name} has no value ({why})")
            continue
        value = exchange.outputs[name]
        if isinstance(wanted, str) and wanted in EXPECT_TYPES:
            if not _is(value, wanted):
                failures.append(
                    f"output {name} is {_type_of(value)} {_shown(value)}, expected {wanted}"
                )
        elif value != wanted:
            failures.append(f"output {name} is {_shown(value)}, expected {_shown(wanted)}")
    return failures


__all__ = ["unmet"]
