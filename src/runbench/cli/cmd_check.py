"""`runbench check WORKSPACE`: every problem of a workspace, one line each.

Output lines are ``FILE:LINE: error|warning: message`` (editors jump to them).
Exit 0 when there is no error (warnings allowed), 1 when there is one, 2 when the file
cannot be read or is not TOML. Warnings also say which ``{ env = "NAME" }`` references
are unset in this environment and which ``{ secret = "NAME" }`` ones are missing from
``.runbench/secrets.toml`` (``--no-secrets`` skips that, for CI). ``--json`` prints one object instead, for editors and CI:
``{"workspace", "errors", "warnings", "problems": [{"file", "line", "severity",
"message", "keys"}]}`` (an unreadable file is one problem with the same exit 2).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from typing import Any

from runbench.core.errors import WorkspaceError
from runbench.core.workspace import (
    Problem,
    Workspace,
    check_secret_references,
    check_workspace,
    read_workspace,
    summary,
)


def add_parser(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    parser.add_argument("workspace", help="the workspace TOML file")
    parser.add_argument("--quiet", "-q", action="store_true", help="print errors only")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument(
        "--no-secrets",
        action="store_true",
        help="do not warn about env:/secret: references missing on this machine",
    )


def problems_of(path: str, environ: Mapping[str, str] | None = None) -> list[Problem]:
    """Every problem of the workspace at ``path``; with ``environ``, also the secret
    references that would not resolve here."""
    workspace, problems = read_workspace(path)
    found = problems + check_workspace(workspace)
    if environ is not None:
        found += reference_problems(workspace, environ)
    return sorted(found, key=lambda p: (p.line or 0, p.severity != "error"))


def reference_problems(workspace: Workspace, environ: Mapping[str, str]) -> list[Problem]:
    """Warnings for env:/secret: references this machine cannot resolve (see
    ``check_secret_references``), and for a secrets file that cannot be used."""
    from runbench.core.secrets import secret_names, secrets_file

    names, unusable = secret_names(workspace.path)
    shown = secrets_file(workspace.path)
    found = check_secret_references(workspace, environ, names, str(shown))
    if unusable:
        found.append(Problem(str(shown), None, "warning", unusable))
    return found


def as_json(workspace: str, problems: list[Problem], quiet: bool) -> str:
    errors = sum(1 for p in problems if p.is_error)
    shown = [p for p in problems if p.is_error or not quiet]
    return json.dumps(
        {
            "workspace": workspace,
            "errors": errors,
            "warnings": len(problems) - errors,
            "problems": [
                {
                    "file": p.file,
                    "line": p.line,
                    "severity": p.severity,
                    "message": p.message,
                    "keys": list(p.keys),
                }
                for p in shown
            ],
        },
        indent=2,
    )


def run(args: argparse.Namespace) -> int:
    try:
        problems = problems_of(args.workspace, None if args.no_secrets else os.environ)
    except WorkspaceError as exc:
        if args.json:
            unreadable = Problem(exc.file or args.workspace, exc.line, "error", exc.bare)
            print(as_json(args.workspace, [unreadable], quiet=False))
            return 2
        where = exc.file if exc.line is None else f"{exc.file}:{exc.line}"
        print(f"{where}: error: {exc.bare}", file=sys.stderr)
        return 2
    if args.json:
        print(as_json(args.workspace, problems, args.quiet))
        return 1 if any(p.is_error for p in problems) else 0
    errors = [p for p in problems if p.is_error]
    for problem in problems:
        if problem.is_error or not args.quiet:
            print(problem)
    print(f"{args.workspace}: {summary(problems)}", file=sys.stderr)
    return 1 if errors else 0
