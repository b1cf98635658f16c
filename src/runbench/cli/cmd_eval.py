"""`runbench eval EXPR [--data FILE|-]`: try an output path on a saved response body.

Lets people get a path right (and see why it misses) without calling the API again. The
document plays `response`; `status` and `headers` exist only on a live response.
Exit codes: 0 printed a value, 1 the path found nothing, 2 bad path or bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from runbench.core.errors import NoMatchError, PathSyntaxError, UsageError
from runbench.core.expressions import OUTPUT_ROOTS, compile_path, to_text
from runbench.core.files import (
    MAX_INPUT_BYTES,
    FileTooLargeError,
    json_error_reason,
    load_json_text,
    not_text,
    read_capped_text,
    unreadable,
)

DESCRIPTION = (
    "Evaluate an output-variable path (Halo grammar: response^choices[0]^text!) against a "
    "JSON document, which plays the response body. Prints the value as JSON, or the raw "
    "string when the path ends in '!'. Exit 0: value printed; 1: no match; 2: bad path/input."
)


def add_parser(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=DESCRIPTION)
    parser.add_argument("expr", metavar="EXPR", help="path, e.g. 'response^items[id=7]^name!'")
    parser.add_argument(
        "--data",
        metavar="FILE",
        default="-",
        help="JSON document to evaluate against ('-' or omitted: standard input)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        path = compile_path(args.expr, roots=OUTPUT_ROOTS)
    except PathSyntaxError as exc:
        print(f"runbench eval: {exc}", file=sys.stderr)  # main shows its controls
        return 2
    if path.root != "response":
        raise UsageError(
            f"'{path.root}' is only available on a live response (use `runbench test`); "
            "here the document is 'response'"
        )
    document = _load(args.data)
    try:
        value = path.evaluate({"response": document})
    except NoMatchError as exc:
        print(f"runbench eval: no match: {exc}", file=sys.stderr)
        return 1
    try:
        shown = value if path.raw and isinstance(value, str) else to_text(value)
    except RecursionError:
        raise UsageError(_TOO_DEEP) from None
    sys.stdout.write(shown + "\n")
    return 0


def _load(source: str) -> Any:
    label = "<stdin>" if source == "-" else source
    try:
        text = _read_stdin() if source == "-" else read_capped_text(source, MAX_INPUT_BYTES)
    except OSError as exc:
        raise UsageError(f"cannot read {label}: {unreadable(exc)}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{label}: {not_text(exc)}") from None
    try:
        return load_json_text(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{label}:{exc.lineno}:{exc.colno}: invalid JSON: {json_error_reason(exc)}"
        ) from None
    except RecursionError:
        raise UsageError(f"{label}: {_TOO_DEEP}") from None


_TOO_DEEP = (
    "the document is nested too deeply (arrays/objects inside each other some thousand "
    "levels deep) to be read; evaluate the path on a smaller part of it"
)


def _read_stdin() -> str:
    """Standard input, capped like a file (a stream piped by mistake is not read without end)."""
    text = sys.stdin.read(MAX_INPUT_BYTES + 1)
    if len(text) > MAX_INPUT_BYTES:
        raise FileTooLargeError("<stdin>", MAX_INPUT_BYTES)
    return text
