"""`runbench serve WORKSPACE`: public endpoints for runbooks with ``public = true``.

Each public runbook answers ``POST /runbooks/<id>`` with ``202 {"run_id": ...}`` once the
run is safely in the journal; worker tasks in this process execute it. The workspace is
checked first (a runbook with errors would only fail later, in a worker, unseen), and the
endpoint secrets are resolved at start, so a missing one stops the server now.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from typing import Any

from runbench.cli.cmd_run import add_journal_option
from runbench.core.errors import UsageError
from runbench.core.workspace import Endpoint, Workspace, counted


def add_parser(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(
        name,
        help=help_text,
        description="Serve POST /runbooks/<id> for every runbook with public = true (webhooks). "
        "Runs are queued in the journal before the answer and executed by workers.",
    )
    parser.add_argument("workspace", help="the workspace TOML file")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8780, help="port (0 = any free port)")
    parser.add_argument(
        "--state-dir",
        metavar="DIR",
        help="where runs.db lives (default: .runbench/ beside the workspace)",
    )
    parser.add_argument(
        "--workers", type=int, default=4, help="runs executed at once (0: only queue them)"
    )
    parser.add_argument(
        "--queue-size", type=int, default=1000, help="queued runs before new deliveries get 503"
    )
    parser.add_argument(
        "--durable",
        action="store_true",
        help="fsync every journal commit (survives power loss; slower)",
    )
    add_journal_option(parser)
    parser.add_argument(
        "--log-format",
        choices=("plain", "json"),
        default="plain",
        help="json: one JSON object a line (time, client, method, path, status, runbook, "
        "run_id, ms; other messages as message) for a log shipper",
    )
    parser.add_argument(
        "--lease",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="a run held this long without a heartbeat is resumed by another instance (default 30)",
    )
    parser.add_argument(
        "--worker-process",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="execute runs in a worker process this one starts and supervises, at a lower "
        "CPU priority, so a flood of deliveries is accepted first (default); "
        "--no-worker-process: in this process",
    )
    parser.add_argument("--worker-of", metavar="OWNER", help=argparse.SUPPRESS)
    parser.add_argument("--report-fd", type=int, help=argparse.SUPPRESS)


def describe_auth(endpoint: Endpoint) -> str:
    """The auth mode of an endpoint for the start banner (never a secret)."""
    if endpoint.auth == "basic":
        return "basic (username + password)"
    if endpoint.auth == "signature":
        parts = [f"signature {endpoint.algorithm}/{endpoint.encoding} in {endpoint.header}"]
        if endpoint.prefix:
            parts.append(f"prefix {endpoint.prefix!r}")
        if endpoint.timestamp_header:
            parts.append(f"timestamp {endpoint.timestamp_header} ±{endpoint.tolerance:g}s")
        if len(endpoint.secrets) > 1:
            parts.append(f"{len(endpoint.secrets)} secrets")
        return ", ".join(parts)
    return "none (anyone with the URL)"


def banner(url: str, workspace: Workspace, args: argparse.Namespace, journal: str) -> str:
    lines = [f"runbench serve: {workspace.name or workspace.path}"]
    for runbook in workspace.runbooks.values():
        if runbook.public:
            halo = "  [Halo webhook]" if runbook.endpoint.halo_webhook else ""
            lines.append(
                f"  POST {url}/runbooks/{runbook.id}  auth: {describe_auth(runbook.endpoint)}{halo}"
            )
    for runbook in workspace.runbooks.values():
        if runbook.schedule:
            lines.append(f"  schedule {runbook.schedule!r} (UTC): {runbook.id}")
    lines += [
        f"  GET  {url}/healthz",
        f"  GET  {url}/metrics",
        f"  journal: {journal}  workers: {args.workers}  queue size: {args.queue_size}",
        "Press Ctrl+C to stop.",
    ]
    return "\n".join(lines)


def load_checked(path: str) -> Workspace:
    """The workspace, refusing one with errors (they are printed) or without public runbooks."""
    from runbench.core.workspace import workspace_errors

    workspace, errors = workspace_errors(path)
    for problem in errors:
        print(problem, file=sys.stderr)
    if errors:
        raise UsageError(
            f"{counted(len(errors), 'error')} in {path}; fix them (runbench check) first"
        )
    if not any(rb.public or rb.schedule for rb in workspace.runbooks.values()):
        raise UsageError(f"no runbook in {path} has public = true or a schedule; nothing to serve")
    return workspace


def json_text(record: dict[str, Any]) -> str:
    """One JSON object for a line, the time first (UTC, ISO 8601)."""
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
    return json.dumps({"time": stamp, **record}, ensure_ascii=False)


def json_line(record: dict[str, Any]) -> None:
    print(json_text(record), flush=True)


def worker_command(args: argparse.Namespace, owner: str) -> list[str]:
    """The command of `serve`'s worker process (the journal comes the same way as here:
    ``--journal`` was turned into the environment's, so a URL's password is not in ``ps``)."""
    command = [sys.executable, "-m", "runbench", "serve", args.workspace, "--worker-of", owner]
    command += ["--workers", str(args.workers), "--queue-size", str(args.queue_size)]
    command += ["--lease", str(args.lease), "--log-format", args.log_format]
    if args.state_dir:
        command += ["--state-dir", args.state_dir]
    if args.durable:
        command.append("--durable")
    return command


def worker_parent(args: argparse.Namespace) -> int | None:
    """For `serve`'s worker process (``--worker-of``): the server's pid, once this process
    is tied to it (first thing: it must not outlive a server killed while it starts)."""
    if args.worker_of is None:
        return None
    from runbench.core.journal import Owner
    from runbench.serve.child import tie_to_parent

    owner = Owner.parse(args.worker_of)
    if owner is None or args.report_fd is None:
        raise UsageError("--worker-of and --report-fd are set by serve for its worker process")
    tie_to_parent(owner.pid)
    return owner.pid


def worker_main(
    args: argparse.Namespace,
    workspace: Workspace,
    journal: Any,
    log: Any,
    poll: float,
) -> int:
    """`serve --worker-of OWNER`: the worker process (see ``runbench.serve.process``)."""
    from runbench.serve.child import run_worker

    return run_worker(
        workspace,
        journal,
        report_fd=int(args.report_fd),
        log=log,
        workers=args.workers,
        queue_size=args.queue_size,
        poll=poll,
    )


def run(args: argparse.Namespace) -> int:
    if args.workers < 0 or args.queue_size < 1 or args.lease < 1:
        raise UsageError("--workers must be >= 0, --queue-size >= 1 and --lease >= 1")
    from runbench.core.journal import (
        JOURNAL_ENV,
        journal_location,
        open_journal,
        redacted_location,
    )
    from runbench.serve import BatchedLog, build_app, serve_forever
    from runbench.webserver import bind_socket, url_of

    parent = worker_parent(args)
    workspace = load_checked(args.workspace)
    location = journal_location(args.journal)
    journal = open_journal(
        location,
        workspace.path,
        args.state_dir,
        durable=args.durable,
        lease=args.lease,
        owner=args.worker_of,
    )
    out = BatchedLog(sys.stdout)  # lines leave in batches, not a write and flush each
    as_json = args.log_format == "json"
    log = (lambda text: out.raw(json_text({"message": text}))) if as_json else out
    poll = min(5.0, args.lease / 3)  # expired leases are looked for this often
    try:
        if parent is not None:
            return worker_main(args, workspace, journal, log, poll)
        app = build_app(
            workspace,
            journal=journal,
            workers=args.workers,
            queue_size=args.queue_size,
            log=log,
            access_log=(lambda record: out.raw(json_text(record))) if as_json else None,
            poll=poll,
            environ={**os.environ, JOURNAL_ENV: location} if location else None,
            worker_process=worker_command(args, journal.owner.text())
            if args.worker_process and args.workers > 0
            else None,
        )
        sock = bind_socket(args.host, args.port)
        shown = redacted_location(location) if location else str(journal.path)
        print(banner(url_of(sock), workspace, args, shown), flush=True)
        try:
            serve_forever(app, sock)
        finally:
            sock.close()
    finally:
        out.close()
        journal.close()
    return 0
