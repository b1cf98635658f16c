"""`runbench export-halo WS.toml [RUNBOOK...] --out FILE.json`: runbooks as Halo's JSON.

Writes the runbooks (all, or those named) in the shape ``POST /api/Webhook`` accepts;
``--integrations-out FILE`` writes the custom integrations they use (all but the
workspace's Halo connection when no runbook is named) as ``POST /api/CustomIntegration``
JSON. ``import-halo`` reads both back. What Halo cannot hold (retries, timeouts, secrets,
...) is printed as ``WS.toml:LINE: warning: ...``. ``--out -`` prints to stdout.
Exit 0 written, 2 the workspace has errors or a runbook does not exist.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from runbench.cli.cmd_run import load_checked
from runbench.core.errors import UsageError
from runbench.core.halojson import Note, export_integrations, export_runbooks, to_json_text
from runbench.core.workspace import Problem, Workspace, atomic_write


def add_parser(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    parser.add_argument("workspace", help="the workspace TOML file")
    parser.add_argument("runbooks", nargs="*", metavar="RUNBOOK", help="runbooks (default all)")
    parser.add_argument("--out", "-o", required=True, metavar="FILE.json", help="'-': stdout")
    parser.add_argument("--integrations-out", metavar="FILE.json", help="custom integration JSON")


def chosen_runbooks(workspace: Workspace, names: Sequence[str]) -> list[str]:
    for name in names:
        if name not in workspace.runbooks:
            raise UsageError(workspace.unknown_runbook(name))
    return list(names) or list(workspace.runbooks)


def used_integrations(workspace: Workspace, runbooks: Sequence[str]) -> list[str]:
    """The integrations whose methods the runbooks' method steps call."""
    used = {
        step.method.partition(".")[0]
        for name in runbooks
        for step in workspace.runbooks[name].steps.values()
        if step.kind == "method" and step.method
    }
    return [i for i in workspace.integrations if i in used]


def warnings(workspace: Workspace, notes: Sequence[Note]) -> list[Problem]:
    return [
        Problem(workspace.path, workspace.line_of(n.keys), "warning", n.message, n.keys)
        for n in notes
    ]


def write(target: str, text: str) -> None:
    if target == "-":
        sys.stdout.write(text)
    else:
        atomic_write(Path(target), text)


def run(args: argparse.Namespace) -> int:
    workspace = load_checked(args.workspace)
    names = chosen_runbooks(workspace, args.runbooks)
    books = export_runbooks(workspace, names)
    notes = list(books.notes)
    if args.integrations_out:
        wanted = used_integrations(workspace, names) if args.runbooks else ()
        integrations = export_integrations(workspace, wanted)
        notes += integrations.notes
        write(args.integrations_out, to_json_text(integrations.objects))
    write(args.out, to_json_text(books.objects))
    out = sys.stderr if args.out == "-" else sys.stdout
    for problem in sorted(warnings(workspace, notes), key=lambda p: p.line or 0):
        print(problem, file=out)
    print(f"wrote {len(books.objects)} runbook(s) to {args.out}", file=sys.stderr)
    return 0
