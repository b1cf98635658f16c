"""Evaluate output paths over a big response body in a child process.

``json.loads`` of a 50 MiB body holds the GIL for a second or more, so parsing it in a
thread still freezes whatever shares the process: the workbench's event loop, when
ctrl+t tests a method with outputs. Bodies above ``OFFLOAD_THRESHOLD`` are therefore
parsed and evaluated in ``python -m runbench.core.http._offload``; small bodies stay in
process, where a child's start-up would cost far more than the parse.

Both sides run the same code (:func:`evaluate_here`: ``output_scope`` then
``OutputEvaluator``), so values, coercion and error messages are the same wherever the
work happened. Only the outputs rooted at ``response`` go to the child: ``status`` and
``headers`` paths never read the body, are evaluated here, and so need not travel as
JSON (``headers`` alone is not JSON data). Redaction stays with the caller.

Protocol (framing from ``core.child``): stdin gets one JSON line (status, header pairs,
the outputs) and then the raw body until EOF; stdout answers with one JSON document: whether the body was JSON and,
per output sent, ``["ok", value]`` or ``["error", message]``. Values come back through
JSON, which holds every value a JSON body can yield (NaN and Infinity included).

If the child cannot start, dies, or answers with something unreadable, the outputs are
evaluated in process instead: slower for the caller's event loop, but the same result.
An output whose value is itself huge (say ``response`` with 50 MiB under it) still has
to be decoded here; only the parse of the body moves out.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from runbench.core.errors import ExpressionError
from runbench.core.http._coerce import OutputEvaluator
from runbench.core.http._records import output_scope
from runbench.core.workspace import Output

OFFLOAD_THRESHOLD = 2 * 1024 * 1024
"""Bodies larger than this (bytes) are parsed in a child process."""

Evaluated = tuple[dict[str, Any], dict[str, str], bool]
"""(values, errors, body is JSON); values and errors are empty when a JSON reader met a
non-JSON body (the caller reports that as ``invalid_json``)."""

_Result = tuple[bool, Any]  # (ok, value) or (False, error message)


@dataclass(frozen=True)
class OffloadPolicy:
    """When and how outputs move to a child: bodies over ``threshold`` bytes, run by
    ``python`` (a test can point it at a missing file to exercise the fallback)."""

    threshold: int = OFFLOAD_THRESHOLD
    python: str = sys.executable


def evaluate_here(
    evaluator: OutputEvaluator,
    outputs: Sequence[Output],
    body: bytes,
    status: int,
    headers: httpx.Headers,
) -> Evaluated:
    """Parse ``body`` and evaluate ``outputs`` in this process."""
    scope, is_json = output_scope(body, status, headers)
    if not is_json and evaluator.json_readers(outputs):
        return {}, {}, False
    values, errors = evaluator.evaluate(outputs, scope)
    return values, errors, is_json


async def evaluate_in_child(
    evaluator: OutputEvaluator,
    outputs: Sequence[Output],
    body: bytes,
    status: int,
    headers: httpx.Headers,
    *,
    python: str = sys.executable,
) -> Evaluated:
    """Like :func:`evaluate_here`, with the body parsed in a child process.

    Falls back to :func:`evaluate_here` when the child cannot start, dies or answers
    badly; a cancelled call kills the child."""
    sent = [i for i, output in enumerate(outputs) if _reads_body(evaluator, output)]
    if not sent:  # nothing reads the body: its parse cannot change any result
        return evaluate_here(evaluator, outputs, b"", status, headers)
    try:
        is_json, results = await _run_child(
            python, [outputs[i] for i in sent], body, status, headers
        )
    except (OSError, ValueError, TypeError, KeyError, NotImplementedError):
        return evaluate_here(evaluator, outputs, body, status, headers)
    if not is_json and evaluator.json_readers(outputs):
        return {}, {}, False
    remote = dict(zip(sent, results, strict=True))
    return _merge(evaluator, outputs, remote, status, headers, is_json)


def _reads_body(evaluator: OutputEvaluator, output: Output) -> bool:
    try:
        return evaluator.path(output.path).root == "response"
    except ExpressionError:
        return False  # reported by evaluate(), no body needed for that


def _merge(
    evaluator: OutputEvaluator,
    outputs: Sequence[Output],
    remote: dict[int, _Result],
    status: int,
    headers: httpx.Headers,
    is_json: bool,
) -> Evaluated:
    """Every output's result in ``outputs`` order (as evaluate() would build the dicts)."""
    scope: dict[str, Any] | None = None  # for status/headers paths: they never read the body
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for index, output in enumerate(outputs):
        if index in remote:
            ok, value = remote[index]
            if ok:
                values[output.name] = value
            else:
                errors[output.name] = value
            continue
        if scope is None:
            scope = output_scope(b"", status, headers)[0]
        one_value, one_error = evaluator.evaluate([output], scope)
        values.update(one_value)
        errors.update(one_error)
    return values, errors, is_json


async def _run_child(
    python: str, outputs: Sequence[Output], body: bytes, status: int, headers: httpx.Headers
) -> tuple[bool, list[_Result]]:
    header = {
        "status": status,
        "headers": [[k, v] for k, v in headers.multi_items()],
        "outputs": [[o.name, o.path, o.type] for o in outputs],
    }
    from runbench.core.child import ChildSpec, frame_header, spawn_async  # big bodies only

    child = await spawn_async(ChildSpec("runbench.core.http._offload", python))
    try:
        assert child.stdin is not None  # stdin=PIPE above
        child.stdin.write(frame_header(header))
        stdout, _ = await child.communicate(body)
    finally:
        if child.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                child.kill()
    if child.returncode != 0:
        raise ValueError(f"the output child exited with {child.returncode}")
    answer = json.loads(stdout)
    results = [(kind == "ok", value) for kind, value in answer["results"]]
    if len(results) != len(outputs):
        raise ValueError("the output child answered for the wrong number of outputs")
    return bool(answer["json"]), results


def _child_main() -> None:
    """``python -m runbench.core.http._offload``: see the module docstring."""
    from runbench.core.child import die_with_parent, read_frame

    die_with_parent()
    header, body = read_frame(sys.stdin.buffer)
    outputs = [Output(name=n, path=p, type=t) for n, p, t in header["outputs"]]
    evaluator = OutputEvaluator()
    headers = httpx.Headers([(k, v) for k, v in header["headers"]])
    scope, is_json = output_scope(body, header["status"], headers)
    results: list[list[Any]] = []
    if is_json or not evaluator.json_readers(outputs):
        for output in outputs:  # one at a time: a repeated name must not hide a result
            values, errors = evaluator.evaluate([output], scope)
            results.append(
                ["ok", values[output.name]] if values else ["error", errors[output.name]]
            )
    else:
        results = [["error", "not JSON"] for _ in outputs]  # unused: the caller reports it
    sys.stdout.buffer.write(json.dumps({"json": is_json, "results": results}).encode())
    sys.stdout.buffer.flush()


__all__ = ["OFFLOAD_THRESHOLD", "Evaluated", "OffloadPolicy", "evaluate_here", "evaluate_in_child"]


if __name__ == "__main__":
    _child_main()
