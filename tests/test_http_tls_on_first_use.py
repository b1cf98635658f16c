"""The CA bundle is read only when https is used: plain http runs skip it, https (or a
redirect to https) still verifies with it, an unreadable bundle is still a "tls" error."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from runbench.core.http import ClientPool, Exchange, Executor, TlsContexts
from runbench.core.secrets import Secrets
from runbench.core.workspace import Integration, Limits, Method, Workspace
from servers import FakeApi, closed_port, local_server


class CountedTls(TlsContexts):
    """TlsContexts that notes every ``verify`` value a context was asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[bool | str] = []

    def get(self, verify: bool | str) -> ssl.SSLContext | bool:
        self.asked.append(verify)
        return super().get(verify)


@pytest.fixture
def server() -> Iterator[tuple[str, FakeApi]]:
    with local_server() as found:
        yield found


def workspace(base_url: str, limits: Limits | None = None) -> Workspace:
    integration = Integration("api", base_url, limits=limits or Limits())
    return Workspace(path="/nonexistent/ws.toml", integrations={"api": integration})


async def call(ws: Workspace, path: str, tls: TlsContexts, **query: Any) -> Exchange:
    method = Method(id="m", integration="api", path=path, query=query)
    async with Executor(ws, secrets=Secrets(ws.path, {}), tls=tls) as executor:
        return await executor.call(method, {})


async def test_plain_http_reads_no_ca_bundle(server: tuple[str, FakeApi]) -> None:
    base, api = server
    tls = CountedTls()
    exchange = await call(workspace(base), "/json", tls)
    assert exchange.ok, exchange.error
    assert len(api.seen) == 1
    assert tls.asked == []


async def test_https_builds_its_verifying_context_before_sending(
    respx_mock: respx.MockRouter,
) -> None:
    route = respx_mock.get("https://api.example/x").mock(return_value=httpx.Response(200))
    tls = CountedTls()
    exchange = await call(workspace("https://api.example"), "/x", tls)
    assert exchange.ok, exchange.error
    assert tls.asked == [True]
    assert route.call_count == 1


async def test_unreadable_bundle_for_https_fails_before_sending(
    respx_mock: respx.MockRouter,
) -> None:
    route = respx_mock.get("https://api.example/x").mock(return_value=httpx.Response(200))
    limits = Limits(verify="/no/such/ca.pem")
    exchange = await call(workspace("https://api.example", limits), "/x", CountedTls())
    assert exchange.error_kind == "tls"
    assert "/no/such/ca.pem" in (exchange.error or "")
    assert route.call_count == 0


async def test_redirect_to_https_is_verified_with_the_bundle(server: tuple[str, FakeApi]) -> None:
    base, _ = server
    target = f"https://127.0.0.1:{closed_port()}/x"
    tls = CountedTls()
    exchange = await call(workspace(base), "/redirect", tls, to=target)
    assert not exchange.ok
    assert tls.asked == [True]  # the https hop built the verifying context first


async def test_redirect_to_https_with_an_unreadable_bundle_is_a_tls_error(
    server: tuple[str, FakeApi],
) -> None:
    base, _ = server
    limits = Limits(verify="/no/such/ca.pem")
    exchange = await call(
        workspace(base, limits), "/redirect", CountedTls(), to="https://127.0.0.1:9/x"
    )
    assert exchange.error_kind == "tls"
    assert "/no/such/ca.pem" in (exchange.error or "")


def test_the_plain_transport_trusts_no_certificate() -> None:
    context = TlsContexts().trusting_nothing()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 0


async def test_a_proxy_in_the_environment_keeps_the_eager_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    tls = CountedTls()
    pool = ClientPool(tls=tls)
    try:
        pool.get(Limits(), "http://api.example/x")
        assert tls.asked == [True]
    finally:
        await pool.aclose()
