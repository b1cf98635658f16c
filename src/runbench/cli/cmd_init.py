"""`runbench init [FILE]`: write a commented starter workspace and `.runbench/.gitignore`.

The starter (one integration with one method, one runbook) runs against the local
sandbox; `runbench tui FILE` opens it. An existing file is never overwritten.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from runbench.core.errors import UsageError

DEFAULT_FILE = "workspace.toml"


def add_parser(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    parser.add_argument(
        "file", nargs="?", default=DEFAULT_FILE, help=f"the new workspace (default {DEFAULT_FILE})"
    )
    parser.add_argument("--name", help="the workspace's display name (default: from the file)")


def create_workspace(path: Path, name: str | None = None) -> Path:
    """Write the starter at ``path`` (not over an existing file) and the state folder's
    ``.gitignore``; returns the path written."""
    from runbench.core.secrets import state_dir
    from runbench.core.workspace import starter_text, starter_title

    if path.exists():
        raise UsageError(f"{path} already exists; not overwritten (pick another name)")
    if not path.parent.is_dir():
        raise UsageError(f"{path.parent} is not a folder; create it first")
    title = name or starter_title(path.stem)
    with path.open("x", encoding="utf-8") as stream:
        stream.write(starter_text(title))
    state_dir(path)
    return path


def run(args: argparse.Namespace) -> int:
    path = create_workspace(Path(args.file), args.name)
    print(f"wrote {path} and {path.parent / '.runbench' / '.gitignore'}")
    print(
        "next: runbench sandbox   (in another terminal)\n"
        "      runbench secret set openai_key --workspace "
        f"{path}   (the sandbox's key is sk-sandbox)\n"
        f"      runbench tui {path}",
        file=sys.stderr,
    )
    return 0
