"""`runbench demo`: start the sandbox in-process and open the workbench on the demo.

The sandbox listens on a free port; the workspace's ``sandbox`` variable is overridden
to its URL for this session only (never saved into the file), so every demo method
works without editing anything. ``--headless`` runs the three demo runbooks through the
engine against the sandbox (ask_chatgpt on ticket 1 with an action note) and prints
their results, without a screen and without a journal (nothing is left behind).

Where the demo workspace comes from: ``--workspace`` if given; else
``workspaces/demo.toml`` when run from the project folder; else the copy packaged in the
wheel (``pipx install .`` then ``runbench demo`` anywhere), copied once to
``$XDG_DATA_HOME/runbench/demo/demo.toml`` (``~/.local/share``) so that edits can be
saved and the journal has a folder of its own. An existing copy is kept (it may hold
the user's edits); delete it to get the packaged one again.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runbench.cli.cmd_tui import DEFAULT_WORKSPACE, add_common, ascii_wanted, parse_vars
from runbench.core.errors import UsageError


def add_parser(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(
        name,
        help=help_text,
        description="Start the local Halo + OpenAI sandbox on a free port and open the "
        "workbench on the demo workspace, pointed at it.",
    )
    parser.add_argument(
        "--workspace",
        help=f"demo workspace (default: {DEFAULT_WORKSPACE} if it exists, else the packaged "
        "demo, copied to ~/.local/share/runbench/demo/)",
    )
    parser.add_argument(
        "--headless",
        action="store_true",
        help="no screen: run the demo runbooks against the sandbox and print "
        "their results (exit 1 if one fails)",
    )
    add_common(parser)


def data_home(environ: Mapping[str, str]) -> Path:
    given = environ.get("XDG_DATA_HOME", "")
    if given and Path(given).is_absolute():
        return Path(given)
    return Path(environ.get("HOME") or Path.home()) / ".local" / "share"


def copy_packaged_demo(target: Path) -> bool:
    """Copy the demo workspace shipped in the package to ``target``; False if none."""
    from importlib.resources import as_file, files

    with as_file(files("runbench").joinpath("demo/demo.toml")) as source:
        if not Path(source).is_file():
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return True


def demo_workspace(
    given: str | None, cwd: Path | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """The workspace `runbench demo` opens (see the module docstring for the order)."""
    if given:
        path = Path(given)
        if not path.exists():
            raise UsageError(f"{path} does not exist; pass an existing --workspace")
        return path
    local = (cwd or Path.cwd()) / DEFAULT_WORKSPACE
    if local.exists():
        return DEFAULT_WORKSPACE if cwd is None else local
    copy = data_home(os.environ if environ is None else environ) / "runbench/demo/demo.toml"
    if not copy.exists() and not copy_packaged_demo(copy):
        raise UsageError(
            f"{DEFAULT_WORKSPACE} does not exist here and the installed package has no demo "
            "workspace: run from the project folder or pass --workspace"
        )
    return copy


def run(args: argparse.Namespace) -> int:
    if not args.headless:
        from runbench.tui.idle_gc import hold

        hold()  # as `runbench tui`: no garbage collection on the way to the first frame
    from runbench.sandbox import start_in_thread

    path = demo_workspace(args.workspace)
    with start_in_thread(host="127.0.0.1", port=0) as sandbox:
        overrides: dict[str, Any] = {**parse_vars(args.var), "sandbox": sandbox.url}
        if args.headless:
            return headless(path, overrides)
        from runbench.tui.app import RunbenchApp

        app = RunbenchApp(
            path, overrides=overrides, ascii_only=ascii_wanted(args), state_dir=args.state_dir
        )
        app.notify(
            f"sandbox running at {sandbox.url} (the 'sandbox' variable points there; not saved)",
            timeout=8,
        )
        return int(app.run() or 0)


DEMO_NOTE = "How do I reconnect to the VPN?"
DEMO_RUNS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("ask_chatgpt", {"ticket_id": 1, "action": {"note": DEMO_NOTE}}),
    ("create_customer", {}),
    ("onboard_users", {}),
)


def headless(path: Path, overrides: Mapping[str, Any]) -> int:
    """Run the demo runbooks with the engine against the sandbox; 0 when all succeeded."""
    return asyncio.run(_run_demo(path, overrides))


async def _run_demo(path: Path, overrides: Mapping[str, Any]) -> int:
    from runbench.core.engine import Engine, load_ticket
    from runbench.core.errors import RunbenchError
    from runbench.core.secrets import Secrets
    from runbench.core.workspace import EDGE_KEYS, load_workspace

    workspace = load_workspace(path)
    engine = Engine(workspace, secrets=Secrets(workspace.path, os.environ), trigger="demo")
    variables = {**workspace.variables, **overrides}
    failures = 0
    for runbook, trigger in DEMO_RUNS:
        if runbook not in workspace.runbooks:
            continue
        try:
            context: dict[str, Any] = {}
            if "ticket_id" in trigger:
                context["ticket"] = await load_ticket(
                    workspace, trigger["ticket_id"], secrets=engine.secrets, variables=variables
                )
            if "action" in trigger:
                context["action"] = trigger["action"]
            result = await engine.run(runbook, context=context, variables=dict(overrides))
        except RunbenchError as exc:
            print(f"FAIL {runbook:<16} {exc}")
            failures += 1
            continue
        mark = "ok  " if result.ok else "FAIL"
        print(f"{mark} {runbook:<16} {result.status}: {result.message}")
        labels = {key: label for pairs in EDGE_KEYS.values() for key, label in pairs}
        path_taken = " -> ".join(
            f"{r.step} ({labels.get(r.edge or '', 'end')})" for r in result.steps
        )
        print(f"     {path_taken}")
        if result.error and not result.ok:
            print(f"     error: {result.error}")
        failures += 0 if result.ok else 1
    print(f"{failures} of {len(DEMO_RUNS)} runbook(s) failed")
    return 1 if failures else 0
