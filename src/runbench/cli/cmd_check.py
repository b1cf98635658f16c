"""`runbench check WORKSPACE`: every problem of a workspace, one line each.

Output lines are ``FILE:LINE: error|warning: message`` (editors jump to them).
Exit 0 when there is no error (warnings allowed), 1 when there is one, 2 when the file
cannot be read or is not TOML.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from runbench.core.errors import WorkspaceError
from runbench.core.workspace import Problem, check_workspace, read_workspace


def add_parser(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    parser.add_argument("workspace", help="the workspace TOML file")
    parser.add_argument("--quiet", "-q", action="store_true", help="print errors only")


def problems_of(path: str) -> list[Problem]:
    workspace, problems = read_workspace(path)
    found = problems + check_workspace(workspace)
    return sorted(found, key=lambda p: (p.line or 0, p.severity != "error"))


def run(args: argparse.Namespace) -> int:
    try:
        problems = problems_of(args.workspace)
    except WorkspaceError as exc:
        where = exc.file if exc.line is None else f"{exc.file}:{exc.line}"
        print(f"{where}: error: {exc.bare}", file=sys.stderr)
        return 2
    errors = [p for p in problems if p.is_error]
    for problem in problems:
        if problem.is_error or not args.quiet:
            print(problem)
    warnings = len(problems) - len(errors)
    print(f"{args.workspace}: {len(errors)} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if errors else 0
