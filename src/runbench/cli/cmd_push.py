"""`runbench push WORKSPACE [RUNBOOK...]`: upload runbooks to Halo.

Runbooks (all, or those named) go to Halo's API (``POST /api/Webhook``) through the
workspace's Halo integration, as ``export-halo`` writes them; ``--integrations`` sends
the custom integrations first (those the named runbooks call, or all but the Halo
connection), and the ids Halo gives them and the runbooks are written back into the
workspace. The diff against what Halo has now is shown first: ``--dry-run`` stops
there, ``--yes`` sends without asking, otherwise the terminal asks. Secrets never leave
the machine. Exit 0 sent (or a dry run, or nothing to change), 1 Halo refused, 2 usage,
workspace errors, or no terminal to ask and no ``--yes``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

from runbench.cli.cmd_export_halo import chosen_runbooks, used_integrations, warnings
from runbench.cli.cmd_pull import add_sync_options, confirmed
from runbench.cli.cmd_run import load_checked, pairs
from runbench.core.halojson import HaloClient, custom_integrations, prepare_push, push
from runbench.core.secrets import Secrets
from runbench.core.workspace import WorkspaceDocument


def add_parser(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    parser.add_argument("workspace", help="the workspace TOML file")
    parser.add_argument("runbooks", nargs="*", metavar="RUNBOOK", help="runbooks (default all)")
    add_sync_options(parser, "send the custom integrations too (first)")


async def _push(args: argparse.Namespace) -> int:
    workspace = load_checked(args.workspace)
    names = chosen_runbooks(workspace, args.runbooks)
    integrations: list[str] = []
    if args.integrations:
        integrations = (
            used_integrations(workspace, names) if args.runbooks else custom_integrations(workspace)
        )
    secrets = Secrets(workspace.path, os.environ)
    async with HaloClient(workspace, secrets=secrets, variables=pairs(args.var, "--var")) as halo:
        preview = await prepare_push(workspace, halo, names, integrations)
        for problem in warnings(workspace, preview.notes):
            print(problem, file=sys.stderr)
        if not preview.diff:
            print("Halo already has what the workspace has; nothing to send")
            return 0
        sys.stdout.write(preview.diff)
        if args.dry_run:
            print("dry run: nothing sent", file=sys.stderr)
            return 0
        if not confirmed(args, "send these changes to Halo?"):
            print("nothing sent", file=sys.stderr)
            return 0
        document = WorkspaceDocument(args.workspace)
        await push(document, halo, preview)
        document.save()
    sent = len(preview.runbooks) + len(preview.integrations)
    print(f"sent {sent} object(s) to Halo; their Halo ids are in {args.workspace}", file=sys.stderr)
    return 0


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_push(args))
