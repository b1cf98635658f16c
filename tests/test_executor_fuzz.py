"""The executor never raises (item 5): random answers through a transport, random raw bytes
from a real socket, and random variables in every part of the request. Whatever comes
back is an Exchange; a failure has a kind and a one-line reason."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runbench.core.http import ERROR_KINDS, Exchange, Executor
from runbench.core.secrets import Secrets
from runbench.core.workspace import Integration, Limits, Method, Output, Workspace

OUTPUTS = (
    Output("whole", "response"),
    Output("inner", "response^a", "string"),
    Output("header", "headers^content-type"),
)
CHARSETS = ["utf-8", "base64", "rot13", "idna", "utf-16", "latin-1", "undefined", "x\x00", "é"]
ENCODINGS = ["gzip", "deflate", "br", "zstd", "gzip, gzip", "identity", "bogus", ""]
header_text = st.text(max_size=40)
header_bytes = st.binary(max_size=40)


def check(exchange: Exchange) -> None:
    assert isinstance(exchange, Exchange)
    if exchange.error is not None:
        assert exchange.error_kind in ERROR_KINDS
        assert "\n" not in exchange.error
    exchange.to_dict()


def workspace(base: str = "http://api.test", limits: Limits | None = None) -> Workspace:
    method = Method(
        id="m",
        integration="api",
        verb="POST",
        path="/items/<<seg>>",
        query={"q": "<<q>>"},
        headers={"X-In": "<<h>>"},
        body_type="json",
        body='{"v": <<v>>}',
        outputs=OUTPUTS,
    )
    integration = Integration(
        "api", base, limits=limits or Limits(max_response_bytes=4096), methods={"m": method}
    )
    return Workspace(path="/nonexistent/ws.toml", integrations={"api": integration})


async def send(ws: Workspace, transport: httpx.AsyncBaseTransport | None, scope: Any) -> Exchange:
    async with Executor(ws, secrets=Secrets(ws.path, {}), transport=transport) as executor:
        return await executor.call(ws.integrations["api"].methods["m"], scope, timeout=10)


def encoded(body: bytes, encoding: str) -> bytes:
    if encoding.startswith("gzip"):
        return gzip.compress(body)
    if encoding == "deflate":
        return zlib.compress(body)
    return body


@st.composite
def answers(draw: st.DrawFn) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    status = draw(st.integers(100, 999))
    charset = draw(st.sampled_from(CHARSETS))
    encoding = draw(st.sampled_from(ENCODINGS))
    body = draw(
        st.one_of(
            st.binary(max_size=300),
            st.text(max_size=200).map(str.encode),
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                lambda inner: (
                    st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=3)
                ),
                max_leaves=10,
            ).map(lambda v: repr(v).encode()),
            st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n),
        )
    )
    if draw(st.booleans()):
        body = encoded(body, encoding)
    headers = [
        (b"content-type", f"text/plain; charset={charset}".encode()),
        (b"content-encoding", encoding.encode()),
        *draw(st.lists(st.tuples(st.sampled_from([b"x-a", b"retry-after"]), header_bytes))),
    ]
    if draw(st.booleans()):
        headers.append((b"content-length", str(draw(st.integers(0, 10_000))).encode()))
    return status, headers, body


scopes = st.fixed_dictionaries(
    {
        "seg": st.one_of(header_text, st.sampled_from([".", "..", "%2e%2e", "a/b"])),
        "q": header_text,
        "h": header_text,
        "v": st.one_of(st.integers(), header_text, st.none()),
    }
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answer=answers(), scope=scopes)
def test_random_answers_through_a_transport(
    answer: tuple[int, list[tuple[bytes, bytes]], bytes], scope: dict[str, Any]
) -> None:
    status, headers, body = answer

    async def handle(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(body))

    check(asyncio.run(send(workspace(), httpx.MockTransport(handle), scope)))


status_lines = st.one_of(
    st.binary(max_size=60),
    st.builds(
        lambda code, reason: b"HTTP/1.1 " + code + b" " + reason,
        st.one_of(st.integers(0, 1000).map(lambda n: str(n).encode()), st.binary(max_size=5)),
        st.binary(max_size=20),
    ),
)
raw_headers = st.lists(
    st.one_of(
        st.builds(lambda n, v: n + b": " + v, st.binary(min_size=1, max_size=15), header_bytes),
        st.sampled_from(
            [
                b"Content-Length: 5",
                b"Content-Length: -1",
                b"Content-Length: 99999999999999999999",
                b"Transfer-Encoding: chunked",
                b"Content-Encoding: gzip",
                b"Content-Type: text/plain; charset=base64",
                b"Location: http://[::1",
                b"Retry-After: \xc2\xb2",
            ]
        ),
    ),
    max_size=6,
)


async def _raw_exchange(raw: bytes, scope: dict[str, Any]) -> Exchange:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(raw)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        limits = Limits(max_response_bytes=4096, read_timeout=2, total_timeout=5)
        return await send(workspace(f"http://127.0.0.1:{port}", limits), None, scope)
    finally:
        server.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=status_lines, headers=raw_headers, body=st.binary(max_size=200), scope=scopes)
def test_random_bytes_from_a_real_socket(
    line: bytes, headers: list[bytes], body: bytes, scope: dict[str, Any]
) -> None:
    raw = b"\r\n".join([line, *headers]) + b"\r\n\r\n" + body
    check(asyncio.run(_raw_exchange(raw, scope)))
