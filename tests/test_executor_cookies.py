"""A run's client keeps the cookies its answers set (a login, then the calls it allows), and
looks for cookies only in answers that set one (httpx's search costs a sixth of a call)."""

from __future__ import annotations

import http.cookiejar
from typing import Any

import httpx
import pytest

from runbench.core.http import Executor
from runbench.core.secrets import Secrets
from runbench.core.workspace import Integration, Method, Workspace

BASE = "http://api.test"


def answer(request: httpx.Request) -> httpx.Response:
    """/login sets a session, /redirect-login sets one on its way to /me, /me echoes the
    Cookie header it got, /plain sets nothing."""
    path = request.url.path
    if path == "/login":
        return httpx.Response(200, json={}, headers={"Set-Cookie": "session=s1; Path=/"})
    if path == "/legacy-login":
        return httpx.Response(200, json={}, headers={"SET-COOKIE2": 'old="o1"; Version="1"'})
    if path == "/redirect-login":
        headers = {"Location": f"{BASE}/me", "Set-Cookie": "hop=h1; Path=/"}
        return httpx.Response(302, headers=headers)
    return httpx.Response(200, json={"cookie": request.headers.get("cookie")})


def workspace() -> Workspace:
    return Workspace(path="/nonexistent/ws.toml", integrations={"api": Integration("api", BASE)})


async def cookies_sent(executor: Executor, *paths: str) -> list[Any]:
    """Call each path in turn; what /me or /plain saw as its Cookie header, per call."""
    seen = []
    for path in paths:
        exchange = await executor.call(Method(id="m", integration="api", path=path), {})
        assert exchange.response is not None, exchange.error
        seen.append(exchange.response.json().get("cookie"))
    return seen


async def test_a_cookie_set_by_one_answer_goes_with_the_next_calls() -> None:
    ws = workspace()
    transport = httpx.MockTransport(answer)
    async with Executor(ws, secrets=Secrets(ws.path, {}), transport=transport) as executor:
        seen = await cookies_sent(executor, "/plain", "/login", "/me", "/plain", "/me")
    assert seen == [None, None, "session=s1", "session=s1", "session=s1"]


async def test_a_cookie_set_on_a_redirect_hop_is_kept() -> None:
    ws = workspace()
    transport = httpx.MockTransport(answer)
    async with Executor(ws, secrets=Secrets(ws.path, {}), transport=transport) as executor:
        seen = await cookies_sent(executor, "/redirect-login", "/me")
    assert seen == ["hop=h1", "hop=h1"]


async def test_the_jar_is_searched_only_in_answers_that_set_a_cookie(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    searched: list[str] = []
    original = http.cookiejar.CookieJar.extract_cookies

    def counted(jar: http.cookiejar.CookieJar, response: Any, request: Any) -> None:
        searched.append(request.get_full_url())
        original(jar, response, request)

    monkeypatch.setattr(http.cookiejar.CookieJar, "extract_cookies", counted)
    ws = workspace()
    transport = httpx.MockTransport(answer)
    async with Executor(ws, secrets=Secrets(ws.path, {}), transport=transport) as executor:
        await cookies_sent(executor, "/plain", "/me", "/plain")
        assert searched == []
        await cookies_sent(executor, "/login", "/legacy-login", "/plain")
    assert searched == [f"{BASE}/login", f"{BASE}/legacy-login"]
