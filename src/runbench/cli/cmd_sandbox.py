"""`runbench sandbox`: serve the local Halo + OpenAI stand-in until Ctrl+C.

The socket is bound before uvicorn starts, so the banner can show the real port
(also with ``--port 0``) and a port already in use is a clear usage error, not a
traceback. Credentials are printed on purpose: they only open this sandbox.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_parser(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(
        name,
        help=help_text,
        description="Start a local HaloITSM + OpenAI stand-in to build and test runbooks "
        "without a real tenant. Data lives in memory unless --data is given.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8781, help="port (0 = any free port)")
    parser.add_argument(
        "--data",
        type=Path,
        metavar="FILE",
        help="JSON file to load at start and save to (each write logged to FILE.log first)",
    )
    parser.add_argument("--client-id", default="runbench", help="accepted OAuth client id")
    parser.add_argument(
        "--client-secret", default="sandbox-secret", help="accepted OAuth client secret"
    )
    parser.add_argument("--api-key", default="sk-sandbox", help="accepted OpenAI API key")


def banner(url: str, args: argparse.Namespace) -> str:
    """What the command prints at start: where to point a workspace, and with what."""
    data = str(args.data) if args.data else "in memory (lost on exit; use --data FILE to keep)"
    return "\n".join(
        [
            "runbench sandbox: local Halo + OpenAI stand-in (test data only)",
            f"  Halo base URL:   {url}",
            f"    token URL:     {url}/auth/token  (grant_type=client_credentials, scope=all)",
            f"    client_id:     {args.client_id}",
            f"    client_secret: {args.client_secret}",
            f"  OpenAI base URL: {url}/openai/v1",
            f"    api key:       {args.api_key}",
            f"  data:            {data}",
            "Press Ctrl+C to stop.",
        ]
    )


def run(args: argparse.Namespace) -> int:

    from runbench.sandbox.app import create_app
    from runbench.webserver import bind_socket, guarded, make_server, url_of

    app = create_app(
        client_id=args.client_id,
        client_secret=args.client_secret,
        api_key=args.api_key,
        data_file=args.data,
    )
    sock = bind_socket(args.host, args.port)
    print(banner(url_of(sock), args), flush=True)
    make_server(app, lifespan="off", http=guarded()).run(sockets=[sock])
    return 0
