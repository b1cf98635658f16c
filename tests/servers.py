"""A real HTTP server on 127.0.0.1 (port 0) for executor, auth and CLI tests.

A stdlib ThreadingHTTPServer in a daemon thread: real sockets, real HTTP parsing, no
network beyond loopback. ``FakeApi`` holds the state the tests steer (accepted credentials,
issued tokens, token lifetime, a failing token endpoint) and records what it saw.

Routes: /echo (any verb: what was received, as JSON), /token (OAuth2, form POST),
/protected (a token from /token), /bearer, /basic, /key (api key in header or query),
/sleep?s=N, /big?n=N (streamed, no Content-Length), /declared?n=N, /loop (redirect loop),
/text (HTML), /status/N, /login (a session token), /drip?every=S (one byte every S seconds, for ever), /endless
(streams without end), /bomb?mb=N (N MiB of zeros, gzip-encoded), /redirect?to=URL&code=N,
/encoded?as=NAME (what /echo answers, as text through ``api.encoders[NAME]``), /lone
(JSON with lone surrogate escapes).
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: str


@dataclass
class FakeApi:
    client_id: str = "client-7"
    client_secret: str = "cs-Very-Secret-9x7"
    username: str = "agent"
    password: str = "pw-Hunter2-secret"
    api_key: str = "ak-Secret-Key-42"
    bearer: str = "bt-Static-Token-77"
    expires_in: Any = 3600
    token_header: str = "Authorization"
    token_prefix: str = "Bearer"
    token_fails: bool = False
    session: str = "sess-ion/Value+77"
    issued: list[str] = field(default_factory=list)
    valid: set[str] = field(default_factory=set)
    seen: list[Seen] = field(default_factory=list)
    encoders: dict[str, Callable[[str], str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def revoke_all(self) -> None:
        with self.lock:
            self.valid.clear()

    def token_calls(self) -> list[Seen]:
        return [s for s in self.seen if s.path == "/token"]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        seen = Seen(
            self.command, parts.path, parse_qs(parts.query), dict(self.headers.items()), body
        )
        api = self.server.api
        with api.lock:
            api.seen.append(seen)
        route = parts.path.strip("/").split("/")[0] or "echo"
        handler = getattr(self, f"route_{route}", None)
        if handler is None:
            self.reply(404, {"error": f"no route {parts.path}"})
        else:
            handler(seen, api)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    def reply(
        self,
        status: int,
        data: Any,
        *,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        raw = data if isinstance(data, bytes) else json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    # -- routes ---------------------------------------------------------------------------
    def route_echo(self, seen: Seen, _api: FakeApi) -> None:
        self.reply(
            200,
            {
                "method": seen.method,
                "path": seen.path,
                "query": seen.query,
                "headers": seen.headers,
                "body": seen.body,
            },
            headers={"X-Trace": "abc"},
        )

    def route_encoded(self, seen: Seen, api: FakeApi) -> None:
        headers = {  # http.server reads headers as Latin-1; the client sent UTF-8
            k: v.encode("latin-1", "replace").decode("utf-8", "replace")
            for k, v in seen.headers.items()
        }
        echoed = json.dumps(
            {"query": seen.query, "headers": headers, "body": seen.body}, ensure_ascii=False
        )
        encode = api.encoders[seen.query["as"][0]]
        self.reply(200, encode(echoed).encode("utf-8"), content_type="text/plain; charset=utf-8")

    def route_token(self, seen: Seen, api: FakeApi) -> None:
        form = {k: v[0] for k, v in parse_qs(seen.body).items()}
        if api.token_fails:
            self.reply(
                401,
                {
                    "error": "invalid_client",
                    "detail": f"unknown secret {form.get('client_secret')}",
                },
            )
            return
        ok = (
            form.get("client_id") == api.client_id
            and form.get("client_secret") == api.client_secret
        )
        if form.get("grant_type") == "password":
            ok = (
                ok and form.get("username") == api.username and form.get("password") == api.password
            )
        elif form.get("grant_type") != "client_credentials":
            ok = False
        if not ok:
            self.reply(401, {"error": "invalid_client"})
            return
        with api.lock:
            token = f"at-{len(api.issued) + 1}-Zq8"
            api.issued.append(token)
            api.valid.add(token)
        answer: dict[str, Any] = {"access_token": token, "token_type": "Bearer"}
        if api.expires_in is not None:
            answer["expires_in"] = api.expires_in
        self.reply(200, answer)

    def _authorized(self, seen: Seen, expected: set[str], header: str, prefix: str) -> bool:
        value = next((v for k, v in seen.headers.items() if k.lower() == header.lower()), "")
        wanted = {f"{prefix} {t}" if prefix else t for t in expected}
        return value in wanted

    def route_protected(self, seen: Seen, api: FakeApi) -> None:
        with api.lock:
            valid = set(api.valid)
        if self._authorized(seen, valid, api.token_header, api.token_prefix):
            self.reply(200, {"ok": True, "calls": len(api.seen)})
        else:
            self.reply(401, {"error": "token expired or unknown"})

    def route_bearer(self, seen: Seen, api: FakeApi) -> None:
        ok = self._authorized(seen, {api.bearer}, api.token_header, api.token_prefix)
        self.reply(200 if ok else 401, {"ok": ok})

    def route_basic(self, seen: Seen, api: FakeApi) -> None:
        expected = base64.b64encode(f"{api.username}:{api.password}".encode()).decode()
        ok = seen.headers.get("Authorization") == f"Basic {expected}"
        self.reply(200 if ok else 401, {"ok": ok, "user": api.username if ok else None})

    def route_key(self, seen: Seen, api: FakeApi) -> None:
        header = seen.headers.get("X-Api-Key") or seen.headers.get("Api-Key")
        ok = api.api_key in (header, *seen.query.get("api_key", []), *seen.query.get("key", []))
        self.reply(200 if ok else 403, {"ok": ok})

    def route_sleep(self, seen: Seen, _api: FakeApi) -> None:
        time.sleep(float(seen.query.get("s", ["2"])[0]))
        self.reply(200, {"slept": True})

    def route_big(self, seen: Seen, _api: FakeApi) -> None:
        total = int(seen.query.get("n", ["100000"])[0])
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        sent = 0
        try:
            while sent < total:
                chunk = b"x" * min(8192, total - sent)
                self.wfile.write(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def route_declared(self, seen: Seen, _api: FakeApi) -> None:
        total = int(seen.query.get("n", ["100000"])[0])
        self.reply(200, b"y" * total, content_type="application/octet-stream")

    def route_loop(self, _seen: Seen, _api: FakeApi) -> None:
        self.send_response(302)
        self.send_header("Location", "/loop")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def route_login(self, _seen: Seen, api: FakeApi) -> None:
        self.reply(200, {"session": api.session, "user": api.username})

    def route_drip(self, seen: Seen, _api: FakeApi) -> None:
        every = float(seen.query.get("every", ["0.2"])[0])
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "1000000")
        self.end_headers()

        def one_byte_later() -> bytes:
            time.sleep(every)
            return b"x"

        self._stream(one_byte_later)

    def route_endless(self, _seen: Seen, _api: FakeApi) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self._stream(lambda: b'{"access_token": "' + b"a" * 8192)

    def _stream(self, chunk: Any) -> None:
        """Write chunks until the client goes away (or the server shuts down)."""
        try:
            while not self.server.stopping.is_set():
                self.wfile.write(chunk())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        self.close_connection = True

    def route_bomb(self, seen: Seen, _api: FakeApi) -> None:
        packed = gzip_bomb(int(seen.query.get("mb", ["50"])[0]))
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(packed)))
        self.end_headers()
        try:
            self.wfile.write(packed)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def route_redirect(self, seen: Seen, _api: FakeApi) -> None:
        self.send_response(int(seen.query.get("code", ["302"])[0]))
        self.send_header("Location", seen.query["to"][0])
        self.send_header("Content-Length", "0")
        self.end_headers()

    def route_text(self, _seen: Seen, _api: FakeApi) -> None:
        self.reply(200, b"<html><body>hello</body></html>", content_type="text/html")

    def route_status(self, seen: Seen, _api: FakeApi) -> None:
        code = int(seen.path.rsplit("/", 1)[1])
        self.reply(code, {"status": code})

    def route_lone(self, _seen: Seen, _api: FakeApi) -> None:
        """JSON whose strings escape half a surrogate pair alone (``json.dumps`` writes a lone
        surrogate so), a key too, beside a whole pair (an emoji)."""
        self.reply(200, {"text": "bad \ud800 here \udfff", "k\udc00": 1, "pair": "\U0001f600"})

    def route_json(self, _seen: Seen, _api: FakeApi) -> None:
        self.reply(
            200,
            {
                "id": 42,
                "name": "Acme",
                "price": "3.50",
                "active": "true",
                "tags": ["a", "b"],
                "when": "2024-05-01T12:00:00Z",
                "items": [{"id": 1, "v": "one"}, {"id": 2, "v": "two"}],
            },
            headers={"X-Trace": "abc"},
        )


_BOMBS: dict[int, bytes] = {}


def gzip_bomb(megabytes: int) -> bytes:
    """``megabytes`` MiB of zeros, gzip-compressed (made once per size: a test that measures
    memory builds it before it starts measuring)."""
    if megabytes not in _BOMBS:
        _BOMBS[megabytes] = gzip.compress(b"\0" * (megabytes * 1024 * 1024), compresslevel=9)
    return _BOMBS[megabytes]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    api: FakeApi
    stopping: threading.Event

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up before its answer (a test's deadline, a cancelled call) is
        not an error of the server: socketserver printed its traceback to stderr from the
        handler thread, into whichever test of the worker was capturing stderr then."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


@contextmanager
def local_server(api: FakeApi | None = None) -> Iterator[tuple[str, FakeApi]]:
    """Serve ``api`` on 127.0.0.1:<free port>; yields (base_url, api)."""
    api = api or FakeApi()
    server = _Server(("127.0.0.1", 0), _Handler)
    server.api = api
    server.stopping = threading.Event()
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", api
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_url(lines: Iterable[str], runbook: str) -> str:
    """The base URL in a `runbench serve` banner read from ``lines`` (a child's stdout), up
    to the line that names ``runbook``'s endpoint; the rest of ``lines`` is left unread."""
    for line in lines:
        found = re.search(rf"POST (http://\S+)/runbooks/{re.escape(runbook)}\b", line)
        if found:
            return found.group(1)
    raise AssertionError(f"no URL for runbook {runbook!r} in the banner")


def raw_socket(port: int, data: bytes = b"", *, timeout: float = 20.0) -> socket.socket:
    """A plain TCP connection to 127.0.0.1:``port`` that has sent ``data`` (a slow or
    half-done client, for the header and body deadlines of serve and the sandbox);
    ``timeout`` bounds each wait so a broken guard fails a test instead of hanging it."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    if data:
        sock.sendall(data)
    return sock


def closed_by_server(sock: socket.socket) -> bytes:
    """Everything the server sent until it closed the connection (raises on a timeout)."""
    got = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return got
        if not chunk:
            return got
        got += chunk
