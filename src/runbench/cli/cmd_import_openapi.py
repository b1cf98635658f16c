"""`runbench import-openapi SPEC --workspace WS --integration ID [--tag T]`: an API's methods from its spec.

Every operation of an OpenAPI 3 document (JSON; YAML with ``pip install
'runbench[openapi]'``) becomes a method of the integration: path and query parameters as
``<<variables>>`` with test values from the spec's examples, a JSON body skeleton from the
request schema, and the security scheme as the integration's auth, credentials read from
environment variables this command lists (never values). An existing integration keeps
its base_url and auth; methods whose id is taken get ``_2`` unless ``--replace``. The
file keeps its comments and is created if missing.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from runbench.core.errors import UsageError
from runbench.core.openapi import plan_openapi, read_spec
from runbench.core.workspace import WorkspaceDocument, WorkspaceEdits, check_id


def add_parser(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    parser.add_argument("spec", help="the OpenAPI 3 document (.json, or .yaml with PyYAML)")
    parser.add_argument("--workspace", "-w", required=True, help="the workspace file to add to")
    parser.add_argument("--integration", "-i", required=True, help="integration id to add to")
    parser.add_argument("--tag", "-t", help="only the operations with this tag")
    parser.add_argument(
        "--replace", action="store_true", help="overwrite methods of the same id instead"
    )


def run(args: argparse.Namespace) -> int:
    spec = read_spec(args.spec)
    path = Path(args.workspace)
    if not path.exists():
        path.write_text("", encoding="utf-8")
        print(f"created {path}")
    document = WorkspaceDocument(path)
    workspace, _ = document.model()
    integration = check_id(args.integration, (), "integration")
    existing = workspace.integrations.get(integration)
    taken = [] if existing is None or args.replace else list(existing.methods)
    plan = plan_openapi(spec, integration=integration, tag=args.tag, taken=taken)
    if not plan.methods:
        tag = f" tagged {args.tag!r}" if args.tag else ""
        raise UsageError(f"{args.spec}: no GET/POST/PUT/PATCH/DELETE operation{tag}")
    edits = WorkspaceEdits(document)
    if existing is None:
        edits.add_integration(workspace, integration, plan.base_url, plan.integration_table)
    for name, table in plan.methods:
        edits.add_method(workspace, integration, name, table, replace=args.replace)
    document.save()
    where = "new integration" if existing is None else "integration"
    print(f"added {len(plan.methods)} methods to {where} {integration} in {path}:")
    for name, table in plan.methods:
        print(f"  {table['verb']:<6} {integration}.{name}  {table['path']}")
    for note in plan.notes:
        print(f"note: {note}")
    if existing is None:
        for env, holds in plan.env:
            print(f"set {env} to {holds}: export {env}=...")
    return 0
