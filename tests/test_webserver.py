"""runbench.webserver's stop: prompt, and still uvicorn's full shutdown (lifespan, sockets)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from runbench.webserver import serve_in_thread


def _app(events: list[str]) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        events.append("startup")
        yield
        events.append("shutdown")

    async def hello(_request: Request) -> PlainTextResponse:
        return PlainTextResponse("hello")

    return Starlette(routes=[Route("/", hello)], lifespan=lifespan)


def test_a_stop_without_connections_runs_the_lifespan_shutdown_and_frees_the_port() -> None:
    events: list[str] = []
    server = serve_in_thread(_app(events))
    assert httpx.get(server.url + "/").text == "hello"  # its connection is closed after
    server.stop()
    assert not server.thread.is_alive()
    assert events == ["startup", "shutdown"]
    try:
        httpx.get(server.url + "/")
    except httpx.ConnectError:
        pass
    else:
        raise AssertionError("the stopped server still answers")


def test_a_stop_with_a_kept_alive_connection_closes_it_and_shuts_down() -> None:
    events: list[str] = []
    server = serve_in_thread(_app(events))
    with httpx.Client() as client:
        assert client.get(server.url + "/").text == "hello"  # the connection stays open
        server.stop()
        assert not server.thread.is_alive()
    assert events == ["startup", "shutdown"]


def test_stopping_twice_is_harmless() -> None:
    server = serve_in_thread(_app([]))
    server.stop()
    server.stop()  # the loop is gone: the wake-up finds it closed
    assert not server.thread.is_alive()
