"""`runbench history WORKSPACE [INTEGRATION.METHOD]`: past tests of methods, newest first.

Every `runbench test` and every ctrl+t in the workbench is kept (redacted) in
``.runbench/history.db``. Without ``--show``: one line per test (id, when, method, status,
time, size, where it ran); ``--show ID`` prints that test's exchange as JSON, and
``--json`` prints the list as JSON.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from runbench.cli.cmd_runs import when
from runbench.cli.cmd_test import find_method
from runbench.core.history import HistoryEntry, MethodTestHistory
from runbench.core.workspace import load_workspace


def add_parser(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    parser.add_argument("workspace", help="the workspace TOML file")
    parser.add_argument(
        "method", nargs="?", metavar="INTEGRATION.METHOD", help="only the tests of this method"
    )
    parser.add_argument("--limit", type=int, default=50, help="how many tests to list")
    parser.add_argument("--show", type=int, metavar="ID", help="print one test's exchange")
    parser.add_argument("--state-dir", metavar="DIR", help="where the history lives")
    parser.add_argument("--json", action="store_true", help="print JSON on stdout")


def line(entry: HistoryEntry) -> str:
    status = str(entry.status) if entry.status is not None else (entry.error_kind or "error")
    mark = "ok" if entry.ok else "FAIL"
    return (
        f"{entry.id:>6}  {when(entry.at)}  {entry.method:<28} {status:>7} {mark:<4} "
        f"{entry.elapsed_ms:>8.0f} ms {entry.size:>10} B  {entry.source}"
    )


def run(args: argparse.Namespace) -> int:
    workspace = load_workspace(args.workspace)
    ref = find_method(workspace, args.method).ref if args.method else None
    history = MethodTestHistory.for_workspace(workspace.path, args.state_dir)
    if args.show is not None:
        print(json.dumps(history.exchange(args.show), indent=2, ensure_ascii=False))
        return 0
    entries = history.entries(ref, limit=args.limit)
    if args.json:
        print(json.dumps([e.to_dict() for e in entries], ensure_ascii=False))
        return 0
    if not entries:
        print(f"no tests yet{f' of {ref}' if ref else ''}: `runbench test` or ctrl+t adds them")
        return 0
    print(
        f"{'id':>6}  {'when':<25}  {'method':<28} {'status':>7} {'':<4} {'time':>11} {'size':>12}  from"
    )
    for entry in entries:
        print(line(entry))
    return 0
