"""`runbench pull WORKSPACE [RUNBOOK...]`: fetch runbooks from Halo into the workspace.

Runbooks (all, or those named: Halo's name or the workspace's id) come from Halo's API
(``/api/Webhook``, type 1) through the workspace's Halo integration; ``--integrations``
fetches the custom integrations too. They are converted as ``import-halo`` does, into the
file: what came from Halo before is replaced where it stands, keeping what only runbench
has (retries, a method step's args, an AI step's prompt, an integration's auth, ...).
The diff is shown first: ``--dry-run`` stops there, ``--yes`` writes without asking,
otherwise the terminal asks. Exit 0 written (or nothing to do, or a dry run), 1 Halo
refused, 2 usage, workspace error, or no terminal to ask and no ``--yes``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

from runbench.cli.cmd_run import pairs
from runbench.core.errors import UsageError
from runbench.core.halojson import HaloClient, prepare_pull
from runbench.core.secrets import Secrets
from runbench.core.workspace import WorkspaceDocument


def add_parser(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    parser.add_argument("workspace", help="the workspace TOML file")
    parser.add_argument("runbooks", nargs="*", metavar="RUNBOOK", help="runbooks (default all)")
    add_sync_options(parser, "fetch the custom integrations too")


def add_sync_options(parser: argparse.ArgumentParser, integrations_help: str) -> None:
    parser.add_argument("--integrations", action="store_true", help=integrations_help)
    parser.add_argument("--dry-run", action="store_true", help="show the diff, change nothing")
    parser.add_argument("--yes", "-y", action="store_true", help="write without asking")
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a workspace variable (e.g. the Halo integration's base URL)",
    )


def confirmed(args: argparse.Namespace, question: str) -> bool:
    """``--yes``, or the terminal's answer; without a terminal, a usage error."""
    if args.yes:
        return True
    if not sys.stdin.isatty():
        raise UsageError("nothing written: pass --yes to write without asking (or --dry-run)")
    answer = input(f"{question} [y/N] ")
    return answer.strip().lower() in ("y", "yes")


async def _pull(args: argparse.Namespace, document: WorkspaceDocument) -> Any:
    workspace, _ = document.model()
    secrets = Secrets(workspace.path, os.environ)
    async with HaloClient(workspace, secrets=secrets, variables=pairs(args.var, "--var")) as halo:
        return await prepare_pull(
            document, halo, args.runbooks, with_integrations=args.integrations
        )


def run(args: argparse.Namespace) -> int:
    document = WorkspaceDocument(args.workspace)
    preview = asyncio.run(_pull(args, document))
    for warning in preview.warnings:
        print(warning, file=sys.stderr)
    diff = preview.diff
    if not diff:
        print(f"{args.workspace} already has what Halo has ({len(preview.pulled)} pulled)")
        return 0
    sys.stdout.write(diff)
    if args.dry_run:
        print("dry run: nothing written", file=sys.stderr)
        return 0
    if not confirmed(args, f"write these changes to {args.workspace}?"):
        print("nothing written", file=sys.stderr)
        return 0
    preview.document.save()
    print(f"wrote {args.workspace}: {', '.join(preview.pulled)}", file=sys.stderr)
    return 0
