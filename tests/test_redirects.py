"""Redirects never carry credentials to another origin (item 3), against two real servers:
the API on one port redirects to an echo server on another (another origin)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from runbench.core.http import Exchange, Executor
from runbench.core.secrets import Secrets
from runbench.core.workspace import Auth, Integration, Limits, Method, SecretRef, Workspace
from servers import FakeApi, local_server

KEY = "rk-Redirect-Secret-31"


@pytest.fixture
def two_origins() -> Iterator[tuple[str, str, FakeApi]]:
    with local_server() as (api_base, _), local_server() as (other_base, other):
        yield api_base, other_base, other


@pytest.fixture
def one_origin() -> Iterator[tuple[str, FakeApi]]:
    with local_server() as found:
        yield found


AUTHS = {
    "api key header": Auth(type="api_key", name="X-Vendor-Key", value=SecretRef("env", "K")),
    "api key query": Auth(
        type="api_key", location="query", name="apikey", value=SecretRef("env", "K")
    ),
    "bearer custom header": Auth(
        type="bearer", header="X-Session", prefix="", token=SecretRef("env", "K")
    ),
    "bearer": Auth(type="bearer", token=SecretRef("env", "K")),
    "basic": Auth(type="basic", username="agent", password=SecretRef("env", "K")),
}


async def call(base: str, auth: Auth, path: str, **limits: Any) -> Exchange:
    ws = Workspace(
        path="/nonexistent/ws.toml",
        integrations={"api": Integration("api", base, auth=auth, limits=Limits(**limits))},
    )
    method = Method(id="m", integration="api", path=path)
    async with Executor(ws, secrets=Secrets(ws.path, {"K": KEY})) as executor:
        return await executor.call(method, {})


def _leaked(seen: Any) -> list[str]:
    """Every place the credential (or its base64 in a Basic header) reached the server."""
    import base64

    basic = base64.b64encode(f"agent:{KEY}".encode()).decode()
    places = [f"{k}: {v}" for k, v in seen.headers.items()] + [str(seen.query), seen.path]
    return [p for p in places if KEY in p or basic in p]


@pytest.mark.parametrize("kind", sorted(AUTHS))
@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
async def test_cross_origin_redirect_drops_every_credential(
    two_origins: tuple[str, str, FakeApi], kind: str, code: int
) -> None:
    api_base, other_base, other = two_origins
    path = f"/redirect?code={code}&to={other_base}/echo?apikey%3D{KEY}%26page%3D2"
    result = await call(api_base, AUTHS[kind], path)
    assert result.ok, result.error
    (seen,) = other.seen
    assert _leaked(seen) == []
    assert seen.query.get("page") == ["2"]  # the rest of the Location survives


@pytest.mark.parametrize("kind", sorted(k for k in AUTHS if AUTHS[k].location != "query"))
async def test_same_origin_redirect_keeps_the_credential(
    one_origin: tuple[str, FakeApi], kind: str
) -> None:
    base, api = one_origin
    result = await call(base, AUTHS[kind], f"/redirect?to={base}/echo")
    assert result.ok
    assert _leaked(api.seen[-1]) != []  # same origin: the API still gets its credential


async def test_redirects_can_be_turned_off(two_origins: tuple[str, str, FakeApi]) -> None:
    api_base, other_base, other = two_origins
    result = await call(
        api_base, AUTHS["api key header"], f"/redirect?to={other_base}/echo", follow_redirects=False
    )
    assert result.status == 302
    assert other.seen == []


async def test_a_body_with_a_credential_is_not_resent_elsewhere(
    two_origins: tuple[str, str, FakeApi],
) -> None:
    api_base, other_base, other = two_origins
    ws = Workspace(
        path="/nonexistent/ws.toml",
        integrations={"api": Integration("api", api_base, auth=AUTHS["bearer"])},
    )
    method = Method(
        id="m",
        integration="api",
        verb="POST",
        path=f"/redirect?code=307&to={other_base}/echo",
        body_type="json",
        body='{"token": "<<t!>>"}',
    )
    async with Executor(ws, secrets=Secrets(ws.path, {"K": KEY})) as executor:
        result = await executor.call(method, {"t": KEY})
    assert result.error_kind == "redirects"
    assert "refused" in (result.error or "")
    assert other.seen == []


async def test_too_many_redirects(two_origins: tuple[str, str, FakeApi]) -> None:
    api_base, _, _ = two_origins
    result = await call(api_base, AUTHS["bearer"], "/loop", max_redirects=3)
    assert result.error_kind == "redirects"


@pytest.mark.parametrize("kind", sorted(AUTHS))
@pytest.mark.parametrize("where", ["path", "user info"])
async def test_a_redirect_carrying_the_credential_in_its_url_is_refused(
    two_origins: tuple[str, str, FakeApi], kind: str, where: str
) -> None:
    """The first server put the credential into the Location (an echoing callback): it
    would reach the other origin in the URL even with every header and parameter gone."""
    api_base, other_base, other = two_origins
    if where == "path":
        target = f"{other_base}/echo/{quote(KEY, safe='')}"
    else:
        target = other_base.replace("http://", f"http://agent:{quote(KEY, safe='')}@") + "/echo"
    result = await call(api_base, AUTHS[kind], f"/redirect?to={quote(target, safe='')}")
    assert result.error_kind == "redirects", result.error
    assert other.seen == []
    assert KEY not in (result.error or "")
