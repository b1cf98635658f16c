"""`runbench runs WORKSPACE [RUN_ID]`: past runs from the journal, or one run in full.

Without a run id: the history, newest first (id, runbook, status, started, duration,
trigger), so "running" and "failed" never look alike. With one (a unique prefix is
enough): its steps with edges and errors, the variables it ended with, and every HTTP
exchange (already redacted when it was recorded). A journal that cannot be written
(read-only media, another user's) is read as it is. A run whose stored row was damaged
(changed outside runbench) is listed and shown with what is damaged, never a traceback.

``runbench runs prune WORKSPACE --older-than 30d`` deletes runs that finished before
then, with their steps and exchanges (never a queued, running or interrupted run).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from runbench.cli.cmd_run import (
    add_journal_option,
    journal_file,
    load_checked,
    missing_journal,
    no_run_without_journal,
    open_journal,
    redacting,
)
from runbench.core.errors import DamagedRowError, RunError, UsageError
from runbench.core.journal import Journal, RunRow
from runbench.core.secrets import Secrets
from runbench.core.workspace import Workspace

T = TypeVar("T")


def add_parser(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    parser.add_argument("workspace", help="the workspace TOML file (or: prune WORKSPACE)")
    parser.add_argument("run_id", nargs="?", help="show this run (a unique prefix is enough)")
    parser.add_argument("--limit", type=int, default=50, help="how many runs to list")
    parser.add_argument("--state-dir", metavar="DIR", help="where the run journal lives")
    add_journal_option(parser)
    parser.add_argument("--json", action="store_true", help="print JSON on stdout")
    parser.add_argument(
        "--older-than",
        metavar="AGE",
        help="with prune: delete runs finished before this age (30d, 12h, 90m, 2w)",
    )


def when(stamp: float | None) -> str:
    if stamp is None:
        return "-"
    return datetime.fromtimestamp(stamp).astimezone().isoformat(timespec="seconds")


def took(row: RunRow) -> str:
    return "-" if row.duration is None else f"{row.duration:.2f}s"


def summary(row: RunRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "runbook": row.runbook,
        "status": row.status,
        "trigger": row.trigger,
        "created": row.created,
        "started": row.started,
        "finished": row.finished,
        "duration": row.duration,
        "current_step": row.current_step,
        "error": row.error,
        "message": row.message,
        "parent_id": row.parent_id,
        "damaged": row.damaged,
    }


def detail(journal: Journal, row: RunRow) -> dict[str, Any]:
    damaged = [row.damaged] if row.damaged else []
    steps = _readable(lambda: journal.steps(row.id), damaged)
    exchanges = _readable(lambda: journal.exchanges(row.id), damaged)
    variables: dict[str, Any] = {}
    if steps:
        variables = steps[-1].variables_after
    return {
        "run": {**summary(row), "inputs": row.inputs, "context": row.context},
        "damaged": damaged,
        "steps": [
            {
                "seq": s.seq,
                "step": s.step,
                "kind": s.kind,
                "edge": s.edge,
                "target": s.target,
                "duration_ms": s.duration_ms,
                "outputs": s.outputs,
                "error": s.error,
                "finished": s.finished,
            }
            for s in steps
        ],
        "variables": variables,
        "exchanges": [
            {
                "step_seq": x.step_seq,
                "step": x.step,
                "attempt": x.attempt,
                "request": x.request,
                "response": x.response,
                "error": x.error,
                "elapsed_ms": x.elapsed_ms,
            }
            for x in exchanges
        ],
        "children": [child.id for child in journal.children(row.id)],
    }


def _readable(read: Callable[[], list[T]], damaged: list[str]) -> list[T]:
    """What ``read`` gives, or nothing with the damage noted (the rest is still shown)."""
    try:
        return read()
    except DamagedRowError as exc:
        damaged.append(str(exc))
        return []


def print_list(rows: list[RunRow]) -> None:
    if not rows:
        print("no runs yet", file=sys.stderr)
        return
    print(f"{'ID':<32}  {'RUNBOOK':<20} {'STATUS':<11} {'STARTED':<25} {'DURATION':>9}  TRIGGER")
    for row in rows:
        print(
            f"{row.id:<32}  {row.runbook:<20} {row.status:<11} {when(row.started):<25} "
            f"{took(row):>9}  {row.trigger}"
        )
    for row in rows:
        if row.damaged:
            print(row.damaged, file=sys.stderr)


def print_detail(data: dict[str, Any]) -> None:
    run = data["run"]
    print(f"run {run['id']}  {run['runbook']}  {run['status']}  ({run['trigger']})")
    print(f"  started {when(run['started'])}, finished {when(run['finished'])}")
    if run["status"] in ("interrupted", "running", "paused"):
        print(f"  at step: {run['current_step']}")
    for key in ("message", "error"):
        if run[key]:
            print(f"  {key}: {run[key]}")
    for why in data["damaged"]:
        print(f"  damaged: {why}")
    print("steps:")
    for step in data["steps"]:
        edge = step["edge"] or ("end" if step["finished"] else "(did not finish)")
        target = f" -> {step['target']}" if step["target"] else ""
        ms = f"{step['duration_ms']:.1f} ms" if step["duration_ms"] is not None else "-"
        print(f"  {step['seq']:>3} {step['step']:<20} {step['kind']:<9} {edge}{target}  {ms}")
        for name, value in step["outputs"].items():
            print(f"        {name} = {json.dumps(value, default=str)}")
        if step["error"]:
            print(f"        error: {step['error']}")
    print("variables:")
    for name, value in data["variables"].items():
        print(f"  {name} = {json.dumps(value, default=str)}")
    print("exchanges:")
    for x in data["exchanges"]:
        request = x["request"] or {}
        response = x["response"] or {}
        outcome = response.get("status") if response else (x["error"] or "no response")
        print(
            f"  [{x['step']} #{x['attempt']}] {request.get('method', '?')} "
            f"{request.get('url', '(not sent)')} -> {outcome}  {x['elapsed_ms'] or 0:.1f} ms"
        )
    for child in data["children"]:
        print(f"child run: {child}")


def prune(args: argparse.Namespace) -> int:
    """`runs prune WORKSPACE --older-than AGE`: delete old finished runs."""
    from runbench.core.journal import parse_age

    if args.run_id is None or args.older_than is None:
        raise UsageError("usage: runbench runs prune WORKSPACE --older-than 30d")
    age = parse_age(args.older_than)
    workspace = load_checked(args.run_id)
    missing = missing_journal(workspace, args)
    if missing is not None:
        print(f"nothing to prune: no journal at {missing}")
        return 0
    journal = open_journal(workspace, args.state_dir, args.journal)
    try:
        deleted = journal.prune(age)
    finally:
        journal.close()
    print(f"deleted {deleted} run(s) that finished more than {args.older_than} ago")
    return 0


def open_for_reading(workspace: Workspace, args: argparse.Namespace) -> Journal:
    path = journal_file(workspace, args)
    if path is None:  # a database URL
        return open_journal(workspace, args.state_dir, args.journal)
    return Journal.for_reading(path)


def no_journal(path: Path, args: argparse.Namespace) -> int:
    """What `runs` says where no journal exists yet."""
    if args.run_id is not None:
        raise no_run_without_journal(args.run_id, path)
    print("[]" if args.json else f"no runs yet (no journal at {path})")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.workspace == "prune" and not os.path.exists("prune"):
        return prune(args)
    if args.older_than is not None:
        raise UsageError(
            "--older-than goes with prune: runbench runs prune WORKSPACE --older-than 30d"
        )
    workspace = load_checked(args.workspace)
    missing = missing_journal(workspace, args)
    if missing is not None:
        return no_journal(missing, args)
    redactor = redacting(Secrets(workspace.path, os.environ), workspace)
    journal = open_for_reading(workspace, args)
    try:
        if args.run_id is None:
            rows = journal.runs(args.limit)
            if args.json:
                shown = redactor.value([summary(row) for row in rows])
                print(json.dumps(shown, indent=2, default=str))
            else:
                print_list(rows)
            return 0
        try:
            row = journal.find_run(args.run_id)
        except RunError as exc:  # a run id the journal does not know is bad input
            raise UsageError(str(exc)) from None
        data = detail(journal, row)
        data["variables"] = redactor.variables(data["variables"])
        data = redactor.value(data)
        if args.json:
            print(json.dumps(data, indent=2, default=str))
        else:
            print_detail(data)
        return 0
    finally:
        journal.close()
