"""Invalid URLs from variables and from a server's redirects (item 5): a clear error that
names the URL it was about, never 'unexpected' (the last net) and never the wrong host."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest

from runbench.core.http import Exchange, Executor
from runbench.core.secrets import Secrets
from runbench.core.workspace import Auth, Integration, Method, SecretRef, Workspace
from servers import local_server


@pytest.fixture
def base() -> Iterator[str]:
    with local_server() as (found, _):
        yield found


async def call(base_url: str, path: str) -> Exchange:
    ws = Workspace(path="/nonexistent/ws.toml", integrations={"api": Integration("api", base_url)})
    method = Method(id="m", integration="api", path=path)
    async with Executor(ws, secrets=Secrets(ws.path, {})) as executor:
        return await executor.call(method, {})


@pytest.mark.parametrize("port", ["65536", "99999999", "123456789012345678901234567890"])
async def test_a_port_out_of_range_is_refused_before_sending(port: str) -> None:
    result = await call(f"http://127.0.0.1:{port}", "/x")
    assert result.error_kind == "render", result.error
    assert "unexpected" not in (result.error or "")
    assert "65535" in (result.error or "")


@pytest.mark.parametrize("port", ["65536", "99999999"])
async def test_a_redirect_to_a_port_out_of_range_says_so(base: str, port: str) -> None:
    target = f"http://127.0.0.1:{port}/next"
    result = await call(base, f"/redirect?to={quote(target, safe='')}")
    assert result.error_kind == "protocol", result.error
    assert "unexpected" not in (result.error or "")
    assert "redirect" in (result.error or "")
    assert port in (result.error or "")


async def test_a_failed_redirect_names_where_it_went(base: str) -> None:
    nowhere = "http://127.0.0.1:1/next"  # nothing listens on port 1
    result = await call(base, f"/redirect?to={quote(nowhere, safe='')}")
    assert result.error_kind == "connect", result.error
    assert "127.0.0.1:1" in (result.error or "")
    assert base.rsplit(":", 1)[1] not in (result.error or "")


@pytest.mark.parametrize("port", ["65536", "99999999"])
async def test_a_token_url_with_a_port_out_of_range_says_so(port: str) -> None:
    auth = Auth(
        type="oauth2",
        token_url=f"http://127.0.0.1:{port}/token",
        client_id="c",
        client_secret=SecretRef("env", "S"),
    )
    ws = Workspace(
        path="/nonexistent/ws.toml",
        integrations={"api": Integration("api", "http://127.0.0.1:1", auth=auth)},
    )
    method = Method(id="m", integration="api", path="/x")
    async with Executor(ws, secrets=Secrets(ws.path, {"S": "client-secret-1"})) as executor:
        result = await executor.call(method, {})
    assert result.error_kind == "auth", result.error
    assert "unexpected" not in (result.error or "")
    assert "65535" in (result.error or "")
