"""The sandbox closes a connection that does not finish its headers in time, as serve does
(red-team finding: it ran plain uvicorn, so half a request's headers held a connection for
good). Real sockets on 127.0.0.1 port 0; the deadline is made short for the test, and the
waits are for the server to close, bounded by a socket timeout far above that deadline."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from runbench.sandbox.server import RunningSandbox, start_in_thread
from servers import closed_by_server, raw_socket

DEADLINE = 0.2
SAFETY = 15.0
"""A bound on each wait so a broken guard fails the test instead of hanging it."""


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with start_in_thread(header_timeout=DEADLINE) as running:
        yield running


def _connect(url: str) -> socket.socket:
    return raw_socket(int(url.rsplit(":", 1)[1]), timeout=SAFETY)


def test_half_sent_headers_are_cut_off_at_the_deadline(sandbox: RunningSandbox) -> None:
    with _connect(sandbox.url) as slow, _connect(sandbox.url) as silent:
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # never finished
        assert closed_by_server(slow) == b""
        assert closed_by_server(silent) == b""  # connected, never sent a byte
    assert httpx.get(f"{sandbox.url}/healthz", timeout=SAFETY).status_code == 200


def test_a_kept_alive_connection_gets_the_deadline_again_after_its_answer(
    sandbox: RunningSandbox,
) -> None:
    with _connect(sandbox.url) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = closed_by_server(sock)  # answered, then idle past the deadline: closed
    assert answer.startswith(b"HTTP/1.1 200 ")


def test_a_body_that_trickles_past_its_deadline_is_a_408() -> None:
    """A Content-Length under the cap, then a byte now and then, for ever: the headers guard
    never closes a connection in the middle of a request, so the body has its own deadline
    (serve's ``Deadlines``): answered 408 saying so, and the connection is let go."""
    stop = threading.Event()
    with (
        start_in_thread(header_timeout=SAFETY, body_timeout=DEADLINE) as running,
        _connect(running.url) as sock,
    ):
        sock.sendall(
            b"POST /openai/v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer sk-sandbox\r\nContent-Type: application/json\r\n"
            b"Content-Length: 8000000\r\n\r\n{"
        )
        trickle = threading.Thread(target=_trickle, args=(sock, stop), daemon=True)
        trickle.start()
        try:
            answer = closed_by_server(sock)
        finally:
            stop.set()
            trickle.join(SAFETY)
        assert httpx.get(f"{running.url}/healthz", timeout=SAFETY).status_code == 200
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert f"did not arrive within {DEADLINE:g} s".encode() in answer


def _trickle(sock: socket.socket, stop: threading.Event) -> None:
    """A space every tenth of the deadline (a slow client's pace) until told or cut off."""
    while not stop.wait(DEADLINE / 10):
        try:
            sock.send(b" ")
        except OSError:  # the server let the connection go
            return
