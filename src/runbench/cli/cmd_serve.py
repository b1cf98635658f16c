"""`runbench serve WORKSPACE`: public endpoints for runbooks with ``public = true``.

Each public runbook answers ``POST /runbooks/<id>`` with ``202 {"run_id": ...}`` once the
run is safely in the journal; worker tasks in this process execute it. The workspace is
checked first (a runbook with errors would only fail later, in a worker, unseen), and the
endpoint secrets are resolved at start, so a missing one stops the server now.
"""

from __future__ import annotations

import argparse
import json
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
    from runbench.core.workspace import check_workspace, read_workspace

    workspace, problems = read_workspace(path)
    errors = [p for p in problems + check_workspace(workspace) if p.is_error]
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


def run(args: argparse.Namespace) -> int:
    if args.workers < 0 or args.queue_size < 1 or args.lease < 1:
        raise UsageError("--workers must be >= 0, --queue-size >= 1 and --lease >= 1")
    from runbench.core.journal import journal_location, open_journal, redacted_location
    from runbench.serve import BatchedLog, build_app, serve_forever
    from runbench.webserver import bind_socket, url_of

    workspace = load_checked(args.workspace)
    location = journal_location(args.journal)
    journal = open_journal(
        location, workspace.path, args.state_dir, durable=args.durable, lease=args.lease
    )
    out = BatchedLog(sys.stdout)  # lines leave in batches, not a write and flush each
    as_json = args.log_format == "json"
    try:
        app = build_app(
            workspace,
            journal=journal,
            workers=args.workers,
            queue_size=args.queue_size,
            log=(lambda text: out.raw(json_text({"message": text}))) if as_json else out,
            access_log=(lambda record: out.raw(json_text(record))) if as_json else None,
            poll=min(5.0, args.lease / 3),  # expired leases are looked for this often
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
