"""`runbench secret set|list|rm`: the secrets a workspace references as `{ secret = "NAME" }`.

They live in ``.runbench/secrets.toml`` beside the workspace (mode 0600; the folder is
ignored by git). ``set`` prompts without echo (twice), or reads the value from stdin with
``--stdin`` (for scripts: ``pass show x | runbench secret set x --stdin``); ``list``
prints names only; values are never printed.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from runbench.core.errors import UsageError
from runbench.core.workspace import counted


def add_parser(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument(
        "--workspace",
        "-w",
        default="workspace.toml",
        help="the workspace whose secrets these are (its folder's .runbench/secrets.toml; "
        "default: the current folder's)",
    )
    setter = actions.add_parser("set", parents=[where], help="set a secret (prompts, no echo)")
    setter.add_argument("name")
    setter.add_argument("--stdin", action="store_true", help="read the value from stdin")
    actions.add_parser("list", parents=[where], help="the names of the secrets (no values)")
    remover = actions.add_parser("rm", parents=[where], help="remove a secret")
    remover.add_argument("name")


MAX_VALUE_CHARS = 64 * 1024
"""A secret read from stdin longer than this is refused: a token or a key is far shorter, and
a stream piped by mistake (a whole file, an endless command) must not be read without end."""


def read_value(name: str, from_stdin: bool) -> str:
    if from_stdin:
        value = sys.stdin.read(MAX_VALUE_CHARS + 1)
        if len(value) > MAX_VALUE_CHARS:
            raise UsageError(
                f"the value on stdin is longer than {MAX_VALUE_CHARS // 1024} KiB; nothing was"
                " saved (pipe only the secret itself)"
            )
        value = value[:-1] if value.endswith("\n") else value
        value = value[:-1] if value.endswith("\r") else value
    else:
        if not sys.stdin.isatty():
            raise UsageError("no terminal to prompt on: pass the value with --stdin")
        value = getpass.getpass(f"value of {name} (not shown): ")
        if getpass.getpass("again: ") != value:
            raise UsageError("the two values differ; nothing was saved")
    if not value:
        raise UsageError("an empty value; nothing was saved")
    return value


def run(args: argparse.Namespace) -> int:
    from runbench.core.secrets import (
        check_name,
        remove_secret,
        secret_names,
        secrets_file,
        set_secret,
    )

    workspace = Path(args.workspace)
    path = secrets_file(workspace)
    if args.action == "set":
        check_name(args.name)
        written = set_secret(workspace, args.name, read_value(args.name, args.stdin))
        print(f"{args.name} set in {written} (mode 600)", file=sys.stderr)
        return 0
    if args.action == "rm":
        if not remove_secret(workspace, args.name):
            print(f"{args.name} is not in {path}", file=sys.stderr)
            return 1
        print(f"{args.name} removed from {path}", file=sys.stderr)
        return 0
    names, problem = secret_names(workspace)
    if problem:
        raise UsageError(problem)
    for name in sorted(names):
        print(name)
    print(f"{counted(len(names), 'secret')} in {path}", file=sys.stderr)
    return 0
