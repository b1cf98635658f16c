"""The sandbox closes a connection that does not finish its headers in time, as serve does
(red-team finding: it ran plain uvicorn, so half a request's headers held a connection for
good). Real sockets on 127.0.0.1 port 0; the deadline is made short for the test, and the
waits are for the server to close, bounded by a socket timeout far above that deadline."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from runbench.sandbox.server import RunningSandbox, start_in_thread

DEADLINE = 0.2
SAFETY = 15.0
"""A bound on each wait so a broken guard fails the test instead of hanging it."""


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with start_in_thread(header_timeout=DEADLINE) as running:
        yield running


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=SAFETY)
    return sock


def _until_closed(sock: socket.socket) -> bytes:
    """What the server sent before it closed the connection (socket.timeout if it never does)."""
    got = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return got
        if not chunk:
            return got
        got += chunk


def test_half_sent_headers_are_cut_off_at_the_deadline(sandbox: RunningSandbox) -> None:
    with _connect(sandbox.url) as slow, _connect(sandbox.url) as silent:
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # never finished
        assert _until_closed(slow) == b""
        assert _until_closed(silent) == b""  # connected, never sent a byte
    assert httpx.get(f"{sandbox.url}/healthz", timeout=SAFETY).status_code == 200


def test_a_kept_alive_connection_gets_the_deadline_again_after_its_answer(
    sandbox: RunningSandbox,
) -> None:
    with _connect(sandbox.url) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = _until_closed(sock)  # answered, then idle past the deadline: closed
    assert answer.startswith(b"HTTP/1.1 200 ")
