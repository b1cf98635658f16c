"""`runbench import-halo FILE... --out WS.toml`: Halo runbook JSON into a new workspace.

FILE is runbook JSON as Halo's API returns it (one runbook, an array, or a
``rows``/``details`` bundle); ``--integrations FILE`` adds custom integration JSON
(``/api/CustomIntegration`` objects with ``methods``), so method steps find their methods.
Every approximation is printed as ``WS.toml:LINE: warning: ...`` (stdout), then which
environment variables hold the secrets Halo does not hand out. The file is new: an
existing one is never overwritten. Exit 0 written, 2 an input cannot be read or the
output exists.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from runbench.core.halojson import (
    import_halo,
    integration_objects,
    load_json,
    runbook_objects,
    write_plan,
)


def add_parser(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", metavar="FILE", help="Halo runbook JSON")
    parser.add_argument("--out", "-o", required=True, metavar="WS.toml", help="the new workspace")
    parser.add_argument(
        "--integrations",
        action="append",
        default=[],
        metavar="FILE",
        help="Halo custom integration JSON (repeatable)",
    )
    parser.add_argument("--name", help="the workspace's name (default: from the first file)")


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    runbooks = [item for file in args.files for item in runbook_objects(load_json(file), file)]
    integrations = [
        item for file in args.integrations for item in integration_objects(load_json(file), file)
    ]
    plan = import_halo(runbooks, integrations)
    name = args.name or f"Imported from {Path(args.files[0]).name}"
    for warning in write_plan(plan, out, name):
        print(warning)
    print(
        f"wrote {out}: {len(plan.runbooks)} runbook(s), {len(plan.integrations)} "
        f"integration(s), {len(plan.notes)} warning(s); `runbench check {out}` next",
        file=sys.stderr,
    )
    for env, holds in plan.env:
        print(f"set {env} to {holds}: export {env}=...", file=sys.stderr)
    return 0
