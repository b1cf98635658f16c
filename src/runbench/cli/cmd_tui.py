"""`runbench tui [WORKSPACE]`: open the workbench on a workspace file.

Variables given with ``--var NAME=VALUE`` override workspace variables for this session
only; they are never written into the file (the demo uses this for the sandbox URL).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from runbench.core.errors import UsageError

DEFAULT_WORKSPACE = Path("workspaces/demo.toml")


def add_parser(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(
        name, help=help_text,
        description="Open the terminal workbench: edit integrations and methods, test them, "
                    "check output paths. Keys: f1 or ? lists them; ctrl+p finds any action.",
    )
    parser.add_argument("workspace", nargs="?", help=f"workspace file (default: {DEFAULT_WORKSPACE})")
    add_common(parser)


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                        help="override a variable for this session (not saved); repeatable")
    parser.add_argument("--ascii", action="store_true",
                        help="draw with ASCII only (for terminals without Unicode)")


def parse_vars(items: list[str]) -> dict[str, str]:
    """``["a=1", "b=x=y"]`` -> ``{"a": "1", "b": "x=y"}``; UsageError on a bad item."""
    result: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--var {item!r}: expected NAME=VALUE, e.g. --var sandbox=http://127.0.0.1:8781")
        result[name.strip()] = value
    return result


def workspace_path(given: str | None) -> Path:
    if given:
        return Path(given)
    if DEFAULT_WORKSPACE.exists():
        return DEFAULT_WORKSPACE
    raise UsageError(f"no workspace given and {DEFAULT_WORKSPACE} does not exist: "
                     "run `runbench tui FILE.toml`")


def run(args: argparse.Namespace) -> int:
    from runbench.tui.app import RunbenchApp

    app = RunbenchApp(workspace_path(args.workspace), overrides=parse_vars(args.var),
                      ascii_only=args.ascii)
    result = app.run()
    return int(result or 0)
