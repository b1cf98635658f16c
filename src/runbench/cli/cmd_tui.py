"""`runbench tui [WORKSPACE]`: open the workbench on a workspace file (a file that does not
exist yet is offered as a new workspace: from the starter, or empty).

Variables given with ``--var NAME=VALUE`` override workspace variables for this session
only; they are never written into the file (the demo uses this for the sandbox URL).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runbench.core.errors import UsageError

DEFAULT_WORKSPACE = Path("workspaces/demo.toml")
COERCED = ("C.UTF-8", "C.utf8", "UTF-8")  # what PEP 538 sets LC_CTYPE to under LANG=C


def add_parser(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(
        name,
        help=help_text,
        description="Open the terminal workbench: edit integrations, methods and runbooks, "
        "test methods, run and debug runbooks. Keys: f1 or ? lists them; ctrl+p "
        "finds any action.",
    )
    parser.add_argument(
        "workspace", nargs="?", help=f"workspace file (default: {DEFAULT_WORKSPACE})"
    )
    add_common(parser)


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a variable for this session (not saved); repeatable",
    )
    parser.add_argument(
        "--ascii",
        action="store_true",
        help="draw with ASCII only (for terminals without Unicode; the default "
        "when LC_ALL/LC_CTYPE/LANG names a locale that is not UTF-8)",
    )
    parser.add_argument(
        "--state-dir",
        metavar="DIR",
        help="where the run journal lives (default: .runbench beside the workspace)",
    )


def unicode_terminal(environ: Mapping[str, str]) -> bool:
    """False when the locale in effect (LC_ALL, else LC_CTYPE, else LANG) is set and is
    not UTF-8 (``C``, ``POSIX``, ``en_US.ISO-8859-1``): such terminals garble box drawing.
    No locale at all counts as Unicode (most SSH clients and containers are UTF-8).

    Python itself sets ``LC_CTYPE=C.UTF-8`` when the locale is C (PEP 538 coercion), so a
    ``LC_CTYPE`` of C.UTF-8/C.utf8/UTF-8 beside a non-UTF-8 ``LANG`` is read as ``LANG``."""

    def utf8(value: str) -> bool:
        return "utf8" in value.lower().replace("-", "")

    ctype, lang = environ.get("LC_CTYPE", ""), environ.get("LANG", "")
    if ctype in COERCED and lang and not utf8(lang) and not environ.get("LC_ALL"):
        return False
    for name in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = environ.get(name, "")
        if value:
            return utf8(value)
    return True


def ascii_wanted(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> bool:
    return bool(args.ascii) or not unicode_terminal(os.environ if environ is None else environ)


def parse_vars(items: list[str]) -> dict[str, str]:
    """``["a=1", "b=x=y"]`` -> ``{"a": "1", "b": "x=y"}``; UsageError on a bad item."""
    result: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(
                f"--var {item!r}: expected NAME=VALUE, e.g. --var sandbox=http://127.0.0.1:8781"
            )
        result[name.strip()] = value
    return result


def workspace_path(given: str | None) -> Path:
    if given:
        return Path(given)
    if DEFAULT_WORKSPACE.exists():
        return DEFAULT_WORKSPACE
    raise UsageError(
        f"no workspace given and {DEFAULT_WORKSPACE} does not exist: run `runbench tui FILE.toml`"
    )


def run(args: argparse.Namespace) -> int:
    from runbench.tui.idle_gc import hold

    hold()  # no garbage collection on the way to the first frame (see idle_gc)
    from runbench.tui.app import RunbenchApp

    path = workspace_path(args.workspace)
    if not path.exists() and not path.parent.is_dir():
        raise UsageError(f"{path.parent} is not a folder; create it first")
    app = RunbenchApp(
        path,
        overrides=parse_vars(args.var),
        ascii_only=ascii_wanted(args),
        state_dir=args.state_dir,
        new_file=not path.exists(),  # the workbench offers to start it
    )
    result = app.run()
    return int(result or 0)
