"""serve's HTTP protocol writes a response's head and body in one send(), and nothing else
changes: an interim ``100 Continue`` still goes out at once, a held head is never lost."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runbench.serve.server import start_in_thread
from runbench.webguards import _OneWrite


@dataclass
class FakeTransport:
    writes: list[bytes] = field(default_factory=list)
    closed: bool = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 1)}.get(name, default)


@dataclass
class FakeCycle:
    response_started: bool = False
    response_complete: bool = False


@dataclass
class FakeProtocol:
    loop: asyncio.AbstractEventLoop
    cycle: FakeCycle | None = None


def one_write(loop: asyncio.AbstractEventLoop) -> tuple[_OneWrite, FakeTransport, FakeProtocol]:
    transport, protocol = FakeTransport(), FakeProtocol(loop)
    return _OneWrite(transport, protocol), transport, protocol  # type: ignore[arg-type]


async def test_a_responses_head_waits_for_its_body_and_both_go_in_one_write() -> None:
    wrapped, transport, protocol = one_write(asyncio.get_running_loop())
    protocol.cycle = FakeCycle(response_started=True)
    wrapped.write(b"HTTP/1.1 202 Accepted\r\n\r\n")
    assert transport.writes == []
    wrapped.write(b'{"run_id":"x"}')
    protocol.cycle.response_complete = True
    wrapped.write(b"")  # h11's end of message, nothing to send
    assert transport.writes == [b'HTTP/1.1 202 Accepted\r\n\r\n{"run_id":"x"}', b""]


async def test_writes_outside_a_started_response_pass_straight_through() -> None:
    wrapped, transport, protocol = one_write(asyncio.get_running_loop())
    wrapped.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")  # no request cycle yet
    protocol.cycle = FakeCycle()
    wrapped.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # asked for before the body is sent
    assert transport.writes == [
        b"HTTP/1.1 400 Bad Request\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\n",
    ]


async def test_a_head_whose_body_does_not_follow_goes_out_when_the_loop_turns() -> None:
    wrapped, transport, protocol = one_write(asyncio.get_running_loop())
    protocol.cycle = FakeCycle(response_started=True)
    wrapped.write(b"HTTP/1.1 200 OK\r\n\r\n")
    await asyncio.sleep(0)  # one turn of the loop, not a time
    assert transport.writes == [b"HTTP/1.1 200 OK\r\n\r\n"]
    wrapped.write(b"chunk")  # the next writes of that response are not held
    assert transport.writes[-1] == b"chunk"


async def test_closing_writes_what_is_held_first() -> None:
    wrapped, transport, protocol = one_write(asyncio.get_running_loop())
    protocol.cycle = FakeCycle(response_started=True)
    wrapped.write(b"HTTP/1.1 500 Internal Server Error\r\n\r\n")
    wrapped.close()
    assert transport.writes == [b"HTTP/1.1 500 Internal Server Error\r\n\r\n"]
    assert wrapped.is_closing()
    assert wrapped.get_extra_info("peername") == ("127.0.0.1", 1)


def test_expect_100_continue_and_keep_alive_work_through_the_real_server() -> None:
    async def echo(request: Request) -> Response:
        return JSONResponse({"got": (await request.body()).decode()}, status_code=202)

    server = start_in_thread(Starlette(routes=[Route("/", echo, methods=["POST"])]))
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
    try:
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(head + b"Expect: 100-continue\r\n\r\n")
            assert read_until(sock, b"\r\n\r\n").startswith(b"HTTP/1.1 100 ")
            sock.sendall(b"hi")
            assert read_until(sock, b'{"got":"hi"}').startswith(b"HTTP/1.1 202 ")
            sock.sendall(head + b"\r\nok")  # the same connection, the next request
            assert read_until(sock, b'{"got":"ok"}').startswith(b"HTTP/1.1 202 ")
    finally:
        server.stop()


def read_until(sock: socket.socket, end: bytes) -> bytes:
    got = b""
    while not got.endswith(end):
        chunk = sock.recv(4096)
        assert chunk, f"closed after {got!r}"
        got += chunk
    return got
