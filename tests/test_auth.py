"""Every auth type against the real local server, OAuth2 token caching, refresh and failures."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from runbench.core.http import Exchange, Executor, TokenCache, token_lifetime
from runbench.core.secrets import REDACTED, Secrets
from runbench.core.workspace import Auth, Integration, Method, SecretRef, Workspace
from servers import FakeApi, closed_port, local_server


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def server() -> Iterator[tuple[str, FakeApi]]:
    with local_server() as found:
        yield found


def workspace(base_url: str, auth: Auth, variables: dict[str, Any] | None = None) -> Workspace:
    return Workspace(
        path="/nonexistent/ws.toml",
        variables=variables or {},
        integrations={"api": Integration("api", base_url, auth=auth)},
    )


def method(path: str, **kw: Any) -> Method:
    return Method(id="m", integration="api", path=path, **kw)


def executor(ws: Workspace, env: dict[str, str] | None = None, **kw: Any) -> Executor:
    return Executor(ws, secrets=Secrets(ws.path, env or {}), **kw)


async def call_once(
    ws: Workspace, path: str, env: dict[str, str] | None = None, **kw: Any
) -> Exchange:
    async with executor(ws, env, **kw) as ex:
        return await ex.call(method(path), {})


def sent_headers(api: FakeApi, path: str) -> dict[str, str]:
    return [s for s in api.seen if s.path == path][-1].headers


def oauth(api: FakeApi, **kw: Any) -> Auth:
    values: dict[str, Any] = {
        "type": "oauth2",
        "token_url": "/token",
        "client_id": api.client_id,
        "client_secret": SecretRef("env", "CS"),
    }
    values.update(kw)
    return Auth(**values)


ENV = {"CS": FakeApi().client_secret, "PW": FakeApi().password}


# -- static credentials -------------------------------------------------------------------
async def test_none_sends_no_credentials(server: tuple[str, FakeApi]) -> None:
    base, api = server
    ex = await call_once(workspace(base, Auth()), "/echo")
    assert ex.ok
    assert "Authorization" not in sent_headers(api, "/echo")


async def test_api_key_in_default_header(server: tuple[str, FakeApi]) -> None:
    base, api = server
    auth = Auth(type="api_key", value=SecretRef("env", "KEY"))
    ex = await call_once(workspace(base, auth), "/key", {"KEY": api.api_key})
    assert ex.ok
    assert sent_headers(api, "/key")["X-Api-Key"] == api.api_key
    assert ex.request is not None
    assert ("X-Api-Key", REDACTED) in ex.request.headers


async def test_api_key_in_named_header(server: tuple[str, FakeApi]) -> None:
    base, api = server
    auth = Auth(type="api_key", name="Api-Key", value=api.api_key)
    ex = await call_once(workspace(base, auth), "/key")
    assert ex.ok
    assert sent_headers(api, "/key")["Api-Key"] == api.api_key


async def test_api_key_in_query_is_redacted_in_the_record(server: tuple[str, FakeApi]) -> None:
    base, api = server
    auth = Auth(type="api_key", location="query", name="key", value="ak1")  # short: by name
    api.api_key = "ak1"
    ex = await call_once(workspace(base, auth), "/key")
    assert ex.ok
    assert [s for s in api.seen if s.path == "/key"][0].query == {"key": ["ak1"]}
    assert ex.request is not None
    assert ex.request.url.endswith(f"/key?key={REDACTED}")


async def test_bearer_default_header(server: tuple[str, FakeApi]) -> None:
    base, api = server
    ex = await call_once(
        workspace(base, Auth(type="bearer", token=SecretRef("env", "T"))),
        "/bearer",
        {"T": api.bearer},
    )
    assert ex.ok
    assert sent_headers(api, "/bearer")["Authorization"] == f"Bearer {api.bearer}"
    assert ex.request is not None
    assert ("Authorization", f"Bearer {REDACTED}") in ex.request.headers


async def test_bearer_custom_header_and_bare_token(server: tuple[str, FakeApi]) -> None:
    base, api = server
    api.token_header, api.token_prefix = "X-Token", ""
    auth = Auth(type="bearer", token=api.bearer, header="X-Token", prefix="")
    ex = await call_once(workspace(base, auth), "/bearer")
    assert ex.ok
    assert sent_headers(api, "/bearer")["X-Token"] == api.bearer
    assert ex.request is not None
    assert ("X-Token", REDACTED) in ex.request.headers


async def test_bearer_custom_prefix(server: tuple[str, FakeApi]) -> None:
    base, api = server
    api.token_prefix = "Token"
    ex = await call_once(
        workspace(base, Auth(type="bearer", token=api.bearer, prefix="Token")), "/bearer"
    )
    assert ex.ok


async def test_basic(server: tuple[str, FakeApi]) -> None:
    base, api = server
    auth = Auth(type="basic", username=api.username, password=SecretRef("env", "PW"))
    ex = await call_once(workspace(base, auth), "/basic", ENV)
    assert ex.ok
    wrong = await call_once(
        workspace(base, Auth(type="basic", username="x", password="nope")), "/basic"
    )
    assert wrong.status == 401
    assert not wrong.ok


async def test_echoed_basic_credentials_are_redacted(server: tuple[str, FakeApi]) -> None:
    base, api = server
    auth = Auth(type="basic", username=api.username, password=SecretRef("env", "PW"))
    ex = await call_once(workspace(base, auth), "/echo", ENV)
    encoded = base64.b64encode(f"{api.username}:{api.password}".encode()).decode()
    assert ex.response is not None
    assert encoded not in ex.response.body
    assert REDACTED in ex.response.body


async def test_method_auth_none_skips_integration_auth(server: tuple[str, FakeApi]) -> None:
    base, api = server
    ws = workspace(base, Auth(type="bearer", token=api.bearer))
    async with executor(ws) as ex:
        result = await ex.call(method("/echo", auth="none"), {})
    assert result.ok
    assert "Authorization" not in sent_headers(api, "/echo")


async def test_missing_secret_is_an_auth_error_naming_it(server: tuple[str, FakeApi]) -> None:
    base, api = server
    ex = await call_once(workspace(base, Auth(type="bearer", token=SecretRef("env", "NOPE"))), "/x")
    assert ex.error_kind == "auth"
    assert "NOPE" in (ex.error or "")
    assert api.seen == []


# -- OAuth2 -----------------------------------------------------------------------------------
async def test_client_credentials_with_tenant_param(server: tuple[str, FakeApi]) -> None:
    base, api = server
    ws = workspace(
        base,
        oauth(api, scope="all", params={"tenant": "<<tenant>>"}),
        variables={"tenant": "acme co"},
    )
    async with executor(ws, ENV) as ex:
        first = await ex.call(method("/protected"), {})
        second = await ex.call(method("/protected"), {})
    assert first.ok
    assert second.ok
    calls = api.token_calls()
    assert len(calls) == 1
    assert calls[0].method == "POST"
    assert calls[0].query == {"tenant": ["acme co"]}
    assert calls[0].headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "grant_type=client_credentials" in calls[0].body
    assert "scope=all" in calls[0].body
    assert sent_headers(api, "/protected")["Authorization"] == "Bearer at-1-Zq8"
    assert first.request is not None
    assert "at-1-Zq8" not in str(first.request)


async def test_password_grant(server: tuple[str, FakeApi]) -> None:
    base, api = server
    auth = oauth(api, grant="password", username=api.username, password=SecretRef("env", "PW"))
    ex = await call_once(workspace(base, auth), "/protected", ENV)
    assert ex.ok
    assert "grant_type=password" in api.token_calls()[0].body


async def test_token_url_template_and_custom_header(server: tuple[str, FakeApi]) -> None:
    base, api = server
    api.token_header, api.token_prefix = "X-Auth", "Token"
    auth = oauth(api, token_url="<<sandbox>>/token", header="X-Auth", prefix="Token")
    ws = workspace("<<sandbox>>", auth, variables={"sandbox": base})
    ex = await call_once(ws, "/protected", ENV)
    assert ex.ok
    assert sent_headers(api, "/protected")["X-Auth"] == "Token at-1-Zq8"


async def test_token_refreshed_before_expiry_on_the_injected_clock(
    server: tuple[str, FakeApi],
) -> None:
    base, api = server
    api.expires_in = 3600
    clock = FakeClock()
    async with executor(workspace(base, oauth(api)), ENV, clock=clock) as ex:
        assert (await ex.call(method("/protected"), {})).ok
        clock.now += 3600 - 61
        assert (await ex.call(method("/protected"), {})).ok
        assert len(api.token_calls()) == 1
        clock.now += 2  # now within the 60 s margin
        assert (await ex.call(method("/protected"), {})).ok
    assert len(api.token_calls()) == 2
    assert sent_headers(api, "/protected")["Authorization"] == "Bearer at-2-Zq8"


async def test_token_fetched_again_once_on_401(server: tuple[str, FakeApi]) -> None:
    base, api = server
    async with executor(workspace(base, oauth(api)), ENV) as ex:
        assert (await ex.call(method("/protected"), {})).ok
        api.revoke_all()
        again = await ex.call(method("/protected"), {})
    assert again.ok
    assert again.attempts == 2
    assert len(api.token_calls()) == 2


async def test_persistent_401_is_retried_only_once(server: tuple[str, FakeApi]) -> None:
    base, api = server
    api.token_prefix = "Other"  # the API never accepts what we send
    ex = await call_once(workspace(base, oauth(api)), "/protected", ENV)
    assert ex.status == 401
    assert ex.attempts == 2
    assert not ex.ok
    assert ex.error is None
    assert len(api.token_calls()) == 2
    assert len([s for s in api.seen if s.path == "/protected"]) == 2


async def test_token_cache_is_shared_across_executors(server: tuple[str, FakeApi]) -> None:
    base, api = server
    tokens = TokenCache()
    for _ in range(3):
        ex = await call_once(workspace(base, oauth(api)), "/protected", ENV, tokens=tokens)
        assert ex.ok
    assert len(api.token_calls()) == 1
    assert tokens.fetches == 1


async def test_failed_token_request_says_what_the_endpoint_answered(
    server: tuple[str, FakeApi],
) -> None:
    base, api = server
    api.token_fails = True  # answers 401 and echoes the client secret back
    ex = await call_once(workspace(base, oauth(api)), "/protected", ENV)
    assert ex.error_kind == "auth"
    assert not ex.ok
    message = ex.error or ""
    assert "HTTP 401" in message
    assert "invalid_client" in message
    assert "client_secret" in message
    assert api.client_secret not in message
    assert REDACTED in message
    assert [s.path for s in api.seen] == ["/token"]


async def test_wrong_client_secret(server: tuple[str, FakeApi]) -> None:
    base, api = server
    ex = await call_once(workspace(base, oauth(api)), "/protected", {"CS": "wrong-secret"})
    assert ex.error_kind == "auth"
    assert "HTTP 401" in (ex.error or "")
    assert "wrong-secret" not in str(ex.to_dict())


async def test_unreachable_token_endpoint() -> None:
    auth = Auth(
        type="oauth2",
        token_url=f"http://127.0.0.1:{closed_port()}/token",
        client_id="c",
        client_secret="secret-abc",
    )
    ex = await call_once(workspace("http://127.0.0.1:1", auth), "/x")
    assert ex.error_kind == "auth"
    assert "connection refused" in (ex.error or "")


async def test_missing_token_url() -> None:
    ex = await call_once(workspace("http://127.0.0.1:1", Auth(type="oauth2")), "/x")
    assert ex.error_kind == "auth"
    assert "token_url" in (ex.error or "")


async def test_token_response_without_access_token(server: tuple[str, FakeApi]) -> None:
    base, api = server
    ex = await call_once(workspace(base, oauth(api, token_url="/json")), "/protected", ENV)
    assert ex.error_kind == "auth"
    assert "without an access_token" in (ex.error or "")


def test_token_lifetime() -> None:
    assert token_lifetime(3600) == 3540
    assert token_lifetime("3600") == 3540
    assert token_lifetime(60) == 30  # never less than half the stated life
    assert token_lifetime(None) == float("inf")
