"""The executor within limits: total deadline, capped reads (token endpoint too),
decompression bombs, dot segments in paths, and inputs that used to raise."""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from runbench.core.http import Exchange, Executor
from runbench.core.secrets import Secrets
from runbench.core.workspace import Auth, Integration, Limits, Method, Workspace
from servers import FakeApi, gzip_bomb, local_server

HANG_GUARD = 60.0
"""Not a timing assertion: only stops a regression from hanging the suite."""


@pytest.fixture
def server() -> Iterator[tuple[str, FakeApi]]:
    with local_server() as found:
        yield found


def workspace(base: str, *, limits: Limits | None = None, auth: Auth | None = None) -> Workspace:
    integration = Integration("api", base, auth=auth or Auth(), limits=limits or Limits())
    return Workspace(path="/nonexistent/ws.toml", integrations={"api": integration})


async def call(
    ws: Workspace,
    method: Method,
    variables: dict[str, Any] | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    **kw: Any,
) -> Exchange:
    async with Executor(ws, secrets=Secrets(ws.path, {}), transport=transport) as ex:
        return await asyncio.wait_for(ex.call(method, variables or {}, **kw), HANG_GUARD)


def one_line(exchange: Exchange) -> str:
    assert exchange.error is not None
    assert "\n" not in exchange.error
    return exchange.error


# -- item 6: a total deadline per call ---------------------------------------------------------
async def test_a_trickling_server_fails_at_the_step_timeout(server: tuple[str, FakeApi]) -> None:
    base, _ = server
    ws = workspace(base, limits=Limits(read_timeout=5))  # each byte comes well within 5 s
    result = await call(ws, Method(id="m", integration="api", path="/drip"), timeout=0.6)
    assert result.error_kind == "timeout"
    assert "step's timeout of 0.6 s" in one_line(result)


async def test_a_trickling_server_fails_at_total_timeout(server: tuple[str, FakeApi]) -> None:
    base, _ = server
    ws = workspace(base, limits=Limits(read_timeout=5, total_timeout=0.6))
    result = await call(ws, Method(id="m", integration="api", path="/drip"))
    assert result.error_kind == "timeout"
    assert "total_timeout = 0.6 s" in one_line(result)


async def test_a_stalled_token_endpoint_is_named_when_the_deadline_passes(
    server: tuple[str, FakeApi],
) -> None:
    base, _ = server
    auth = Auth(type="oauth2", token_url=f"{base}/drip", client_id="c", client_secret="s-1234")
    ws = workspace(base, auth=auth, limits=Limits(read_timeout=5, total_timeout=0.6))
    result = await call(ws, Method(id="m", integration="api", path="/echo"))
    assert result.error_kind == "timeout"
    said = one_line(result)
    assert "before the token endpoint (token_url of integration 'api') answered" in said
    assert "/echo" not in said


# -- item 6: every read is capped -----------------------------------------------------------------
async def test_an_endless_token_endpoint_is_cut_off(server: tuple[str, FakeApi]) -> None:
    base, _ = server
    auth = Auth(type="oauth2", token_url=f"{base}/endless", client_id="c", client_secret="s-1234")
    ws = workspace(base, auth=auth, limits=Limits(max_response_bytes=64 * 1024))
    result = await call(ws, Method(id="m", integration="api", path="/echo"))
    assert result.error_kind == "auth"
    assert "larger than max_response_bytes" in one_line(result)


async def test_a_decompression_bomb_stops_at_the_cap(server: tuple[str, FakeApi]) -> None:
    base, _ = server
    ws = workspace(base, limits=Limits(max_response_bytes=1024 * 1024))
    gzip_bomb(64)  # built before measuring: only the client's memory counts
    tracemalloc.start()
    try:
        result = await call(ws, Method(id="m", integration="api", path="/bomb", query={"mb": "64"}))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.error_kind == "too_large"
    assert peak < 16 * 1024 * 1024  # the 64 MiB never existed in memory


async def test_a_gzip_body_within_the_cap_is_decoded() -> None:
    import gzip

    packed = gzip.compress(b'{"ok": true}')
    ws = workspace("http://api.test")
    transport = _raw(200, {"content-encoding": "gzip"}, packed)
    result = await call(ws, Method(id="m", integration="api"), transport=transport)
    assert result.ok
    assert result.response is not None
    assert result.response.body == '{"ok": true}'


def _raw(status: int, headers: dict[str, str], body: bytes) -> httpx.AsyncBaseTransport:
    """A transport whose answer arrives as a stream of raw bytes, like a real server's."""

    class Streaming(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return httpx.Response(
                status, headers=headers, stream=httpx.ByteStream(body), request=request
            )

    return Streaming()


# -- item 7: paths stay inside the method ---------------------------------------------------------
@pytest.mark.parametrize("segment", ["..", "."])
async def test_dot_segments_from_variables_are_refused(
    server: tuple[str, FakeApi], segment: str
) -> None:
    base, api = server
    ws = workspace(base + "/echo")
    result = await call(
        ws, Method(id="m", integration="api", path="/items/<<seg>>"), {"seg": segment}
    )
    assert result.error_kind == "render"
    assert "would leave the method's path" in one_line(result)
    assert api.seen == []  # nothing was sent


async def test_dots_inside_a_segment_are_fine(server: tuple[str, FakeApi]) -> None:
    base, api = server
    ws = workspace(base)
    result = await call(ws, Method(id="m", integration="api", path="/echo/<<seg>>"), {"seg": "..a"})
    assert result.ok
    assert api.seen[-1].path == "/echo/..a"


# -- item 5: inputs that used to raise ------------------------------------------------------------
def _ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"headers": dict(request.headers)})


async def test_non_ascii_header_value_is_sent_as_utf8() -> None:
    ws = workspace("http://api.test")
    m = Method(id="m", integration="api", headers={"X-Name": "<<who>>"})
    result = await call(ws, m, {"who": "José"}, transport=httpx.MockTransport(_ok))
    assert result.ok


@pytest.mark.parametrize("value", ["a\0b", "a\x7fb", "a\x01b"])
async def test_control_characters_in_a_header_are_a_render_error(value: str) -> None:
    ws = workspace("http://api.test")
    m = Method(id="m", integration="api", headers={"X-Name": "<<who>>"})
    result = await call(ws, m, {"who": value}, transport=httpx.MockTransport(_ok))
    assert result.error_kind == "render"
    assert "control character" in one_line(result)
    assert not result.sent


@pytest.mark.parametrize("charset", ["base64", "rot13", "idna", "hex", "zip", "undefined", "x"])
async def test_a_non_text_charset_falls_back_to_utf8(charset: str) -> None:
    transport = _raw(200, {"content-type": f"text/plain; charset={charset}"}, "héllo".encode())
    ws = workspace("http://api.test")
    result = await call(ws, Method(id="m", integration="api"), transport=transport)
    assert result.ok
    assert result.response is not None
    assert result.response.body == "héllo"


@pytest.mark.parametrize(
    "host", ["http://[::1", "ftp://x", "http://:99999", "no-scheme", "http://"]
)
async def test_an_invalid_url_from_a_variable_is_a_render_error(host: str) -> None:
    ws = workspace("<<host>>")
    result = await call(ws, Method(id="m", integration="api"), {"host": host})
    assert result.error_kind == "render", result.error
    assert not result.sent
    one_line(result)


async def test_a_deeply_nested_body_is_not_json_not_a_crash() -> None:
    from runbench.core.workspace import Output

    transport = _raw(200, {}, b"[" * 200_000 + b"]" * 200_000)
    ws = workspace("http://api.test")
    m = Method(id="m", integration="api", outputs=(Output("x", "response[0]"),))
    result = await call(ws, m, transport=transport)
    assert result.error_kind == "invalid_json"


async def test_whitespace_around_a_header_value_is_trimmed_not_a_protocol_error(
    server: tuple[str, FakeApi],
) -> None:
    """ "Bearer <<token>>" with an empty token ends in a space, which h11 refuses to send."""
    base, api = server
    m = Method(id="m", integration="api", path="/echo", headers={"X-Token": " Bearer <<t>>"})
    result = await call(workspace(base), m, {"t": ""})
    assert result.ok, one_line(result)
    assert api.seen[-1].headers["X-Token"] == "Bearer"
