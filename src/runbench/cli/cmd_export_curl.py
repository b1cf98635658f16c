"""`runbench export-curl WORKSPACE INTEGRATION.METHOD`: the curl command `runbench test` would send.

To reproduce a request outside runbench (a bug report, a colleague's shell), print it as
curl: the same URL, headers and body as `runbench test` with the same test values and
``--var`` overrides, and every credential a shell variable reference (``"$HALO_TOKEN"``),
never its value. Comments above the command say which variables to set. Exit 2 when the
method does not render (a variable without a value).
"""

from __future__ import annotations

import argparse
from typing import Any

from runbench.cli.cmd_test import find_method, parse_vars
from runbench.core.curl import export_curl
from runbench.core.errors import ExpressionError, UsageError
from runbench.core.workspace import load_workspace


def add_parser(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    parser.add_argument("workspace", help="the workspace TOML file")
    parser.add_argument("method", metavar="INTEGRATION.METHOD", help="the method to export")
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a variable (JSON values are typed), as for `runbench test`",
    )


def run(args: argparse.Namespace) -> int:
    workspace = load_workspace(args.workspace)
    method = find_method(workspace, args.method)
    try:
        exported = export_curl(workspace, method, parse_vars(args.var))
    except ExpressionError as exc:
        raise UsageError(f"{method.ref}: {exc} (give it a test value or --var)") from None
    print(exported.script())
    return 0
