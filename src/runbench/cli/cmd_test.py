"""`runbench test WORKSPACE INTEGRATION.METHOD`: send one method and show everything.

Like Halo's "Test" button, but in the terminal and scriptable: the request as sent, the
response, and what every output variable became (or why it did not match). Input values
come from the method's ``test_values``, overridden by ``--var NAME=VALUE`` (a value that
parses as JSON is typed: ``--var id=42`` is a number, ``--var name=Acme`` a string);
``--var`` also overrides workspace variables. Each test is kept, redacted, in the request
history (``runbench history``). Everything printed passes the run's
redactor, so credentials never reach the terminal or a log.

A method's ``expect`` table (status, output values or types, headers, max_ms) decides
whether the test passed; without one a 2xx answer passes. ``--all`` tests every method
with test values (one PASS/FAIL line each), ``--junit FILE`` writes a JUnit XML report for
CI. Exit 0 when every test passed, 1 otherwise, 2 when the workspace or the command line
is wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from dataclasses import dataclass
from typing import Any

from runbench.cli.controls import raw, shown_controls
from runbench.cli.terminal import colour_wanted
from runbench.core.errors import UsageError, suggest
from runbench.core.files import load_json_text
from runbench.core.history import MethodTestHistory
from runbench.core.http import Exchange, call_method
from runbench.core.reports import Case, Suite, unmet, write_junit
from runbench.core.secrets import Redactor
from runbench.core.workspace import Method, Workspace, load_workspace

MAX_SHOWN = 20_000
"""Characters of a body shown in the human output (``--json`` shows all)."""


def add_parser(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    parser.add_argument("workspace", help="the workspace TOML file")
    parser.add_argument("method", nargs="?", metavar="INTEGRATION.METHOD", help="the method to run")
    parser.add_argument(
        "--all", action="store_true", help="test every method that has test values (or expect)"
    )
    parser.add_argument("--junit", metavar="FILE", help="write a JUnit XML report to FILE")
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a variable (JSON values are typed); repeat for more",
    )
    parser.add_argument("--json", action="store_true", help="print the exchange as one JSON object")
    parser.add_argument(
        "--state-dir", help="where the request history is kept (default: .runbench/ beside it)"
    )


def parse_vars(items: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in items:
        name, eq, text = item.partition("=")
        if not eq or not name.strip():
            raise UsageError(f"--var {item!r}: expected NAME=VALUE (e.g. --var ticket_id=42)")
        try:
            values[name.strip()] = load_json_text(text)
        except ValueError:
            values[name.strip()] = text
    return values


def find_method(workspace: Workspace, ref: str) -> Method:
    found = workspace.method(ref)
    if found is not None:
        return found
    known = [m.ref for i in workspace.integrations.values() for m in i.methods.values()]
    close = suggest(ref, known)
    hint = (
        f"did you mean {', '.join(repr(c) for c in close)}?"
        if close
        else (f"known: {', '.join(known)}" if known else "the workspace has no methods")
    )
    if "." not in ref:
        raise UsageError(f"expected INTEGRATION.METHOD, got {ref!r} ({hint})")
    raise UsageError(f"no method {ref!r} in {workspace.path} ({hint})")


def run(args: argparse.Namespace) -> int:
    workspace = load_workspace(args.workspace)
    if args.all == bool(args.method):
        raise UsageError("name one INTEGRATION.METHOD, or --all for every method with test values")
    methods = testable(workspace) if args.all else [find_method(workspace, args.method)]
    if not methods:
        raise UsageError(f"no method in {workspace.path} has test_values or expect to test")
    history = MethodTestHistory.for_workspace(workspace.path, args.state_dir)
    overrides = parse_vars(args.var)
    results = [_test(workspace, method, overrides, history, args) for method in methods]
    if args.json and args.all:
        print(json.dumps([r.to_dict() for r in results], ensure_ascii=False))
    if args.all:
        passed = sum(r.passed for r in results)
        print(f"{passed} passed, {len(results) - passed} failed", file=sys.stderr)
    if args.junit:
        write_junit(
            args.junit, [Suite(f"runbench test {workspace.path}", [r.case for r in results])]
        )
    return 0 if all(r.passed for r in results) else 1


def testable(workspace: Workspace) -> list[Method]:
    """The methods ``--all`` tests: those with test values or an ``expect``, in file order."""
    return [
        m
        for i in workspace.integrations.values()
        for m in i.methods.values()
        if m.test_values or m.expect is not None
    ]


@dataclass(frozen=True)
class MethodOutcome:
    """One method tested: what was sent and answered (redacted for printing) and what of
    its expectations failed."""

    method: Method
    exchange: Exchange
    redactor: Redactor
    failures: list[str]
    history_id: int | None = None

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def case(self) -> Case:
        text = self.redactor.text
        exchange = self.exchange
        error = text(exchange.error) if exchange.error is not None else None
        status = exchange.status if exchange.status is not None else exchange.error_kind
        return Case(
            self.method.id,
            self.method.integration,
            exchange.elapsed_ms / 1000,
            tuple(text(f) for f in self.failures) if error is None else (),
            error,
            f"{self.method.ref}: {status}, {exchange.elapsed_ms:.0f} ms",
        )

    def to_dict(self) -> dict[str, Any]:
        exchange = self.exchange.to_dict()
        exchange["outputs"] = self.redactor.variables(exchange["outputs"])  # secret = true
        shown: dict[str, Any] = self.redactor.value(
            {
                "method": self.method.ref,
                "passed": self.passed,
                "failures": self.failures,
                "history_id": self.history_id,
                "exchange": exchange,
            }
        )
        return shown


def _test(
    workspace: Workspace,
    method: Method,
    overrides: dict[str, Any],
    history: MethodTestHistory,
    args: argparse.Namespace,
) -> MethodOutcome:
    called = asyncio.run(
        call_method(workspace, method, overrides=overrides, environ=os.environ, history=history)
    )
    result, redactor = called.exchange, called.redactor
    tested = MethodOutcome(method, result, redactor, unmet(method, result), called.history_id)
    if called.history_error:
        print(f"runbench test: not kept in the history: {called.history_error}", file=sys.stderr)
    if args.all:
        mark = "PASS" if tested.passed else "FAIL"
        status = result.status if result.status is not None else result.error_kind
        line = f"{mark} {method.ref}  {status}  {result.elapsed_ms:.0f} ms"
        out = sys.stderr if args.json else sys.stdout  # --json: stdout is the JSON alone
        print(redactor.text(line), file=out)
        for failure in tested.failures:
            print(redactor.text(f"     {failure}"), file=out)
    elif args.json:
        print(redactor.text(json.dumps(result.to_dict(), ensure_ascii=False)))
    else:
        Printer(redactor, colour_wanted(sys.stdout)).exchange(method, result)
    if not args.all and result.error is None:
        for failure in tested.failures:
            print(redactor.text(f"runbench test: {failure}"), file=sys.stderr)
    return tested


class Printer:
    """Human output of one exchange; every line goes through the redactor."""

    def __init__(self, redactor: Redactor, color: bool) -> None:
        self.redactor = redactor
        self.color = color

    def line(self, text: str = "", *, err: bool = False) -> None:
        print(self.redactor.text(text), file=sys.stderr if err else sys.stdout)

    def coloured(self, text: str) -> None:
        """``text`` redacted, its control characters shown, then coloured: the colours go
        to the terminal as they are (``cli.controls.raw``), the answer's controls never."""
        shown = highlight(shown_controls(self.redactor.text(text)))
        print(shown.rstrip("\n"), file=raw(sys.stdout))

    def exchange(self, method: Method, result: Exchange) -> None:
        request, response = result.request, result.response
        if request is not None:
            self.line(f"> {request.method} {request.url}")
            for name, value in request.headers:
                self.line(f"> {name}: {value}")
            self.body(request.body)
            self.line()
        if response is not None:
            self.line(
                f"< HTTP {response.status} {response.reason}  "
                f"({response.elapsed_ms:.0f} ms, {response.size} bytes)"
            )
            for name, value in response.headers:
                self.line(f"< {name}: {value}")
            self.body(response.body)
            self.line()
        self.outputs(method, result)
        if result.error is not None:
            self.line(f"runbench test: {result.error_kind}: {result.error}", err=True)

    def body(self, text: str) -> None:
        if not text:
            return
        self.line()
        shown, is_json = pretty(text)
        if len(shown) > MAX_SHOWN:
            shown = (
                shown[:MAX_SHOWN] + f"\n… ({len(shown) - MAX_SHOWN} more characters; use --json)"
            )
        if self.color and is_json:
            self.coloured(shown)
        else:
            self.line(shown.rstrip("\n"))

    def outputs(self, method: Method, result: Exchange) -> None:
        if not method.outputs:
            return
        self.line("Outputs:")
        width = max(len(o.name) for o in method.outputs)
        for output in method.outputs:
            name = output.name.ljust(width)
            if output.name in result.outputs:
                value = self.redactor.variable(output.name, result.outputs[output.name])
                self.line(f"  {name} = {json.dumps(value, ensure_ascii=False)}")
            elif output.name in result.output_errors:
                self.line(f"  {name}   no value: {result.output_errors[output.name]}")
            else:
                self.line(f"  {name}   not evaluated: {_why_not(result)}")


def _why_not(result: Exchange) -> str:
    if result.error is not None:
        return "the request failed"
    return f"status {result.status} is not 2xx"


def pretty(text: str) -> tuple[str, bool]:
    """JSON bodies indented (and flagged as JSON); anything else as it came."""
    try:
        data = load_json_text(text)
    except ValueError:
        return text, False
    return json.dumps(data, indent=2, ensure_ascii=False), True


def highlight(text: str) -> str:
    from pygments import highlight as colorize
    from pygments.formatters import TerminalFormatter
    from pygments.lexers import JsonLexer

    return str(colorize(text, JsonLexer(), TerminalFormatter()))
