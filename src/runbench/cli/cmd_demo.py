"""`runbench demo`: start the sandbox in-process and open the workbench on the demo.

The sandbox listens on a free port; the workspace's ``sandbox`` variable is overridden
to its URL for this session only (never saved into the file), so every demo method
works without editing anything. ``--headless`` runs the demo without a screen: for now a
test of every demo method (the demo runbooks once the engine's runner exists).
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runbench.cli.cmd_tui import DEFAULT_WORKSPACE, add_common, parse_vars
from runbench.core.errors import UsageError


def add_parser(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(
        name, help=help_text,
        description="Start the local Halo + OpenAI sandbox on a free port and open the "
                    "workbench on the demo workspace, pointed at it.",
    )
    parser.add_argument("--workspace", default=str(DEFAULT_WORKSPACE),
                        help=f"demo workspace (default: {DEFAULT_WORKSPACE})")
    parser.add_argument("--headless", action="store_true",
                        help="no screen: test every demo method and print the results")
    add_common(parser)


def run(args: argparse.Namespace) -> int:
    from runbench.sandbox import start_in_thread

    path = Path(args.workspace)
    if not path.exists():
        raise UsageError(f"{path} does not exist: run from the project folder or pass --workspace")
    with start_in_thread(host="127.0.0.1", port=0) as sandbox:
        overrides: dict[str, Any] = {**parse_vars(args.var), "sandbox": sandbox.url}
        if args.headless:
            return headless(path, overrides)
        from runbench.tui.app import RunbenchApp

        app = RunbenchApp(path, overrides=overrides, ascii_only=args.ascii)
        app.notify(f"sandbox running at {sandbox.url} (the 'sandbox' variable points there; "
                   "not saved)", timeout=8)
        return int(app.run() or 0)


def headless(path: Path, overrides: Mapping[str, Any]) -> int:
    """Test every demo method against the sandbox; 0 when all succeeded.

    Running the demo runbooks here waits for the engine's runner (part 2)."""
    return asyncio.run(_test_methods(path, overrides))


async def _test_methods(path: Path, overrides: Mapping[str, Any]) -> int:
    from runbench.core.store import load_workspace
    from runbench.tui.runner import call_method

    workspace = load_workspace(path)
    failures = 0
    for integration in workspace.integrations.values():
        for method in integration.methods.values():
            exchange = await call_method(workspace, method, overrides=overrides,
                                         environ=os.environ)
            status = exchange.status if exchange.status is not None else exchange.error_kind
            shown = exchange.shown_outputs if exchange.shown_outputs is not None else exchange.outputs
            outputs = ", ".join(f"{k}={v!r}" for k, v in shown.items())
            mark = "ok  " if exchange.ok and not exchange.output_errors else "FAIL"
            print(f"{mark} {method.ref:<28} {status}  {outputs}")
            for name, error in exchange.output_errors.items():
                print(f"     output {name}: {error}")
            if exchange.error:
                print(f"     {exchange.error}")
            failures += 0 if exchange.ok and not exchange.output_errors else 1
    print(f"{failures} of {sum(len(i.methods) for i in workspace.integrations.values())} "
          "method(s) failed")
    return 1 if failures else 0
