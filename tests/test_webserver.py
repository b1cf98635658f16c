"""runbench.webserver's stop: prompt, and still uvicorn's full shutdown (lifespan, sockets)."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import textwrap
from collections.abc import AsyncIterator

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from runbench.webserver import UVICORN_SURFACE, serve_in_thread


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


UVICORN_SHUTDOWN_STEPS = [
    "logger.info",
    "server.close",
    "sock.close",
    "list",
    "connection.shutdown",
    "asyncio.sleep",
    "asyncio.timeout",
    "self._wait_tasks_to_complete",
    "logger.error",
    "len",
    "t.cancel",
    "self.lifespan.shutdown",
]
"""Every call in uvicorn's ``Server.shutdown``, in order. With no connection and no task open,
PromptServer's idle path must do what these do then: close the servers and the sockets,
wait for the servers (``_wait_tasks_to_complete``'s last step) and run the lifespan
shutdown unless forced; only the 0.1 s sleep is left out. uvicorn 0.55 bounds the wait with
``asyncio.timeout`` where earlier releases used ``asyncio.wait_for`` (same behaviour: a
graceful-shutdown deadline the idle path never reaches); both are accepted."""
UVICORN_BEFORE_0_55 = [
    "asyncio.wait_for" if step == "asyncio.timeout" else step for step in UVICORN_SHUTDOWN_STEPS
]


def _calls(function: object) -> list[str]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))  # type: ignore[arg-type]
    nodes = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    nodes.sort(key=lambda node: (node.lineno, node.col_offset))
    return [ast.unparse(node.func) for node in nodes]


def test_uvicorns_shutdown_is_the_one_the_idle_path_mirrors() -> None:
    """Pins the uvicorn that ``PromptServer.shutdown`` copies: should this fail after an
    upgrade, read uvicorn's new ``Server.shutdown`` and bring the idle path in line (or drop
    it), then update this list."""
    assert _calls(uvicorn.Server.shutdown) in (UVICORN_SHUTDOWN_STEPS, UVICORN_BEFORE_0_55)
    assert _calls(uvicorn.Server._wait_tasks_to_complete)[-1] == "server.wait_closed"


def test_a_started_server_has_what_the_idle_path_relies_on() -> None:
    server = serve_in_thread(_app([]))
    try:
        for dotted in UVICORN_SURFACE:
            value: object = server.server
            for name in dotted.split("."):
                assert hasattr(value, name), f"uvicorn.Server has no {dotted} any more"
                value = getattr(value, name)
        assert isinstance(server.server.server_state.connections, set)
        assert isinstance(server.server.server_state.tasks, set)
        assert all(isinstance(s, asyncio.base_events.Server) for s in server.server.servers)
        assert inspect.iscoroutinefunction(server.server.lifespan.shutdown)
        assert server.server.force_exit is False
    finally:
        server.stop()
