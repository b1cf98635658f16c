"""Executor: request building, outputs, records and every error kind, against a real server."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from runbench.core.halo import find_action
from runbench.core.http import ERROR_KINDS, ClientPool, Exchange, Executor
from runbench.core.secrets import Secrets
from runbench.core.workspace import Auth, Integration, Limits, Method, Output, Workspace
from servers import FakeApi, closed_port, local_server


@pytest.fixture
def server() -> Iterator[tuple[str, FakeApi]]:
    with local_server() as found:
        yield found


def workspace(
    base_url: str,
    *,
    limits: Limits | None = None,
    auth: Auth | None = None,
    variables: dict[str, Any] | None = None,
    halo: str = "",
) -> Workspace:
    integration = Integration("api", base_url, auth=auth or Auth(), limits=limits or Limits())
    return Workspace(
        path="/nonexistent/ws.toml",
        integrations={"api": integration},
        variables=variables or {},
        halo=halo,
    )


def method(path: str = "/echo", **kw: Any) -> Method:
    return Method(id="m", integration="api", path=path, **kw)


async def call(
    ws: Workspace,
    m: Method,
    variables: dict[str, Any] | None = None,
    **kw: Any,
) -> Exchange:
    async with Executor(ws, secrets=Secrets(ws.path, {})) as ex:
        return await ex.call(m, variables or {}, **kw)


def echoed(exchange: Exchange) -> dict[str, Any]:
    assert exchange.response is not None, exchange.error
    data: dict[str, Any] = exchange.response.json()
    return data


# -- building -------------------------------------------------------------------------------
async def test_path_query_and_headers_are_escaped_for_their_place(
    server: tuple[str, FakeApi],
) -> None:
    base, _ = server
    m = method(
        "/echo/{id}/<<kind>>", query={"q": "<<name>>", "fixed": "1"}, headers={"X-Name": "<<name>>"}
    )
    ex = await call(workspace(base), m, {"id": "a/b c", "kind": "x?y", "name": 'say "hi" & go'})
    assert ex.ok, ex.error
    got = echoed(ex)
    assert got["path"] == "/echo/a%2Fb%20c/x%3Fy"
    assert got["query"] == {"q": ['say "hi" & go'], "fixed": ["1"]}
    assert got["headers"]["X-Name"] == 'say "hi" & go'
    assert ex.request is not None
    assert ex.request.method == "GET"
    assert ex.request.url.endswith("/echo/a%2Fb%20c/x%3Fy?q=say+%22hi%22+%26+go&fixed=1")


async def test_base_url_renders_workspace_variables_as_text(server: tuple[str, FakeApi]) -> None:
    base, _ = server
    ws = workspace("<<sandbox>>/echo", variables={"sandbox": base})
    ex = await call(ws, method("/t"))
    assert ex.ok
    assert echoed(ex)["path"] == "/echo/t"


async def test_json_body_escapes_values_and_sets_content_type(server: tuple[str, FakeApi]) -> None:
    base, _ = server
    m = method(verb="POST", body_type="json", body='{"s": "<<text!>>", "n": <<n>>, "o": <<o>>}')
    ex = await call(workspace(base), m, {"text": 'a "quoted"\nline', "n": 5, "o": {"k": [1]}})
    got = echoed(ex)
    assert json.loads(got["body"]) == {"s": 'a "quoted"\nline', "n": 5, "o": {"k": [1]}}
    assert got["headers"]["Content-Type"] == "application/json"


async def test_explicit_content_type_is_kept(server: tuple[str, FakeApi]) -> None:
    base, _ = server
    m = method(
        verb="PUT",
        body_type="json",
        body="[1]",
        headers={"content-type": "application/vnd.api+json"},
    )
    got = echoed(await call(workspace(base), m))
    assert got["headers"]["content-type"] == "application/vnd.api+json"
    assert "Content-Type" not in got["headers"]


async def test_form_body_from_pairs_template(server: tuple[str, FakeApi]) -> None:
    base, _ = server
    m = method(verb="POST", body_type="form", body="a=<<x>>&b=fixed")
    got = echoed(await call(workspace(base), m, {"x": "1 & 2=3"}))
    assert got["body"] == "a=1+%26+2%3D3&b=fixed"
    assert got["headers"]["Content-Type"] == "application/x-www-form-urlencoded"


async def test_form_body_from_json_object_template(server: tuple[str, FakeApi]) -> None:
    base, _ = server
    m = method(
        verb="POST",
        body_type="form",
        body='{"name": "<<x!>>", "n": <<n>>, "flag": true, "none": null}',
    )
    got = echoed(await call(workspace(base), m, {"x": "a&b", "n": 7}))
    assert got["body"] == "name=a%26b&n=7&flag=true&none="


async def test_text_body_and_no_body(server: tuple[str, FakeApi]) -> None:
    base, _ = server
    got = echoed(
        await call(
            workspace(base),
            method(verb="POST", body_type="text", body="hi <<who>>"),
            {"who": {"a": 1}},
        )
    )
    assert got["body"] == 'hi {"a": 1}'
    assert got["headers"]["Content-Type"].startswith("text/plain")
    got = echoed(await call(workspace(base), method(verb="DELETE", body="ignored")))
    assert got["method"] == "DELETE"
    assert got["body"] == ""


# -- outputs --------------------------------------------------------------------------------
async def test_outputs_are_evaluated_and_coerced(server: tuple[str, FakeApi]) -> None:
    base, _ = server
    outputs = (
        Output("id", "response^id", "string"),
        Output("price", "response^price", "float"),
        Output("active", "response^active", "bool"),
        Output("tags", "response^tags", "array"),
        Output("when", "response^when", "datetime"),
        Output("two", "response^items[id=2]^v!"),
        Output("trace", "headers^X-Trace"),
        Output("status", "status", "int"),
        Output("whole", "response", "object"),
    )
    ex = await call(workspace(base), method("/json", outputs=outputs))
    assert ex.ok
    assert ex.output_errors == {}
    assert ex.outputs["id"] == "42"
    assert ex.outputs["price"] == 3.5
    assert ex.outputs["active"] is True
    assert ex.outputs["tags"] == ["a", "b"]
    assert ex.outputs["when"] == "2024-05-01T12:00:00+00:00"
    assert ex.outputs["two"] == "two"
    assert ex.outputs["trace"] == "abc"
    assert ex.outputs["status"] == 200
    assert ex.outputs["whole"]["name"] == "Acme"


async def test_failed_outputs_are_reported_by_name_and_others_still_set(
    server: tuple[str, FakeApi],
) -> None:
    base, _ = server
    outputs = (
        Output("bad", "response^nmae"),
        Output("notint", "response^price", "int"),
        Output("good", "response^name"),
        Output("syntax", "response^^x"),
    )
    ex = await call(workspace(base), method("/json", outputs=outputs))
    assert ex.ok
    assert ex.outputs == {"good": "Acme"}
    assert "nmae" in ex.output_errors["bad"]
    assert "not an int" in ex.output_errors["notint"]
    assert "syntax" in ex.output_errors


async def test_outputs_are_not_evaluated_on_non_2xx(server: tuple[str, FakeApi]) -> None:
    base, _ = server
    ex = await call(
        workspace(base), method("/status/404", outputs=(Output("s", "response^status"),))
    )
    assert not ex.ok
    assert ex.error is None
    assert ex.status == 404
    assert ex.outputs == {}
    assert ex.output_errors == {}


async def test_invalid_json_only_when_outputs_look_inside_the_body(
    server: tuple[str, FakeApi],
) -> None:
    base, _ = server
    ex = await call(workspace(base), method("/text", outputs=(Output("x", "response^title"),)))
    assert ex.error_kind == "invalid_json"
    assert not ex.ok
    assert "not JSON" in (ex.error or "")
    assert "text/html" in (ex.error or "")
    assert "x" in (ex.error or "")
    whole = await call(workspace(base), method("/text", outputs=(Output("page", "response"),)))
    assert whole.ok
    assert whole.outputs["page"].startswith("<html>")
    plain = await call(workspace(base), method("/text"))
    assert plain.ok
    assert plain.error is None


async def test_exchange_to_dict_is_json(server: tuple[str, FakeApi]) -> None:
    base, _ = server
    ex = await call(workspace(base), method("/json", outputs=(Output("id", "response^id"),)))
    data = json.loads(json.dumps(ex.to_dict()))
    assert {"request", "response", "outputs", "error", "elapsed_ms"} <= set(data)
    assert data["response"]["status"] == 200
    assert data["outputs"] == {"id": 42}
    assert data["request"]["url"].endswith("/json")


async def test_call_halo_posts_the_action_body_to_the_halo_integration(
    server: tuple[str, FakeApi],
) -> None:
    base, _ = server
    ws = workspace(f"{base}/echo", halo="api")
    action = find_action("create_customer")
    assert action is not None
    async with Executor(ws, secrets=Secrets(ws.path, {})) as ex:
        got = echoed(await ex.call_halo(action, action.body_template, {"name": 'Acme "1"'}))
    assert got["method"] == "POST"
    assert got["path"] == "/echo/api/Client"
    assert json.loads(got["body"]) == [{"name": 'Acme "1"'}]


async def test_call_halo_without_halo_integration_fails_cleanly(
    server: tuple[str, FakeApi],
) -> None:
    base, _ = server
    action = find_action("get_control")
    assert action is not None
    async with Executor(workspace(base), secrets=Secrets("/x/ws.toml", {})) as ex:
        result = await ex.call_halo(action, "", {})
    assert result.error_kind == "render"
    assert "halo =" in (result.error or "")


# -- error kinds ----------------------------------------------------------------------------
async def test_render_error_sends_nothing(server: tuple[str, FakeApi]) -> None:
    base, api = server
    ex = await call(workspace(base), method("/echo/<<nmae>>"), {"name": "x"})
    assert ex.error_kind == "render"
    assert ex.request is None
    assert ex.response is None
    assert "unknown variable 'nmae'" in (ex.error or "")
    assert "did you mean 'name'" in (ex.error or "")
    assert api.seen == []


async def test_header_injection_is_a_render_error(server: tuple[str, FakeApi]) -> None:
    base, api = server
    ex = await call(workspace(base), method(headers={"X-A": "<<v>>"}), {"v": "a\r\nEvil: 1"})
    assert ex.error_kind == "render"
    assert "line break" in (ex.error or "")
    assert api.seen == []


async def test_timeout(server: tuple[str, FakeApi]) -> None:
    base, _ = server
    ex = await call(workspace(base, limits=Limits(read_timeout=0.2)), method("/sleep?s=3"))
    assert ex.error_kind == "timeout"
    assert "read_timeout = 0.2 s" in (ex.error or "")
    assert ex.request is not None
    assert ex.response is None
    assert not ex.ok


async def test_step_timeout_caps_the_whole_call(server: tuple[str, FakeApi]) -> None:
    base, _ = server
    ex = await call(workspace(base), method("/sleep?s=3"), timeout=0.2)
    assert ex.error_kind == "timeout"
    assert "step's timeout of 0.2 s" in (ex.error or "")


async def test_connection_refused() -> None:
    ex = await call(workspace(f"http://127.0.0.1:{closed_port()}"), method("/x"))
    assert ex.error_kind == "connect"
    assert "connection refused" in (ex.error or "")


async def test_dns_failure_is_classified_by_message(respx_mock: respx.MockRouter) -> None:
    respx_mock.get("https://nonexistent.invalid/x").mock(
        side_effect=httpx.ConnectError("[Errno -2] Name or service not known")
    )
    ex = await call(workspace("https://nonexistent.invalid"), method("/x"))
    assert ex.error_kind == "dns"
    assert "cannot resolve host 'nonexistent.invalid'" in (ex.error or "")


async def test_tls_failure(respx_mock: respx.MockRouter) -> None:
    try:
        raise ssl.SSLCertVerificationError(1, "certificate verify failed: self-signed certificate")
    except ssl.SSLError as cause:
        wrapped = httpx.ConnectError(str(cause))
        wrapped.__cause__ = cause
    respx_mock.get("https://self-signed.example/x").mock(side_effect=wrapped)
    ex = await call(workspace("https://self-signed.example"), method("/x"))
    assert ex.error_kind == "tls"
    assert "verify" in (ex.error or "")


async def test_unreadable_ca_bundle_is_a_tls_error() -> None:
    ex = await call(
        workspace("https://x.example", limits=Limits(verify="/no/such/ca.pem")), method("/x")
    )
    assert ex.error_kind == "tls"
    assert "/no/such/ca.pem" in (ex.error or "")


async def test_protocol_error(respx_mock: respx.MockRouter) -> None:
    respx_mock.get("http://api.example/x").mock(
        side_effect=httpx.RemoteProtocolError("illegal status line: b'garbage'")
    )
    ex = await call(workspace("http://api.example"), method("/x"))
    assert ex.error_kind == "protocol"
    assert "garbage" in (ex.error or "")


async def test_too_large_streamed_body_stops_reading(server: tuple[str, FakeApi]) -> None:
    base, _ = server
    ws = workspace(base, limits=Limits(max_response_bytes=10_000))
    ex = await call(ws, method("/big?n=5000000"))
    assert ex.error_kind == "too_large"
    assert "max_response_bytes = 10000" in (ex.error or "")
    small = await call(ws, method("/big?n=9000"))
    assert small.ok
    assert small.response is not None
    assert small.response.size == 9000


async def test_too_large_declared_length(server: tuple[str, FakeApi]) -> None:
    base, _ = server
    ex = await call(
        workspace(base, limits=Limits(max_response_bytes=100)), method("/declared?n=500")
    )
    assert ex.error_kind == "too_large"
    assert "announces 500 bytes" in (ex.error or "")


async def test_redirect_loop(server: tuple[str, FakeApi]) -> None:
    base, api = server
    ex = await call(workspace(base, limits=Limits(max_redirects=3)), method("/loop"))
    assert ex.error_kind == "redirects"
    assert "more than 3 redirects" in (ex.error or "")
    assert len([s for s in api.seen if s.path == "/loop"]) == 4


async def test_redirects_not_followed_when_disabled(server: tuple[str, FakeApi]) -> None:
    base, _ = server
    ex = await call(workspace(base, limits=Limits(follow_redirects=False)), method("/loop"))
    assert ex.error is None
    assert ex.status == 302
    assert not ex.ok


def test_error_kinds_listed() -> None:
    assert set(ERROR_KINDS) == {
        "timeout",
        "connect",
        "dns",
        "tls",
        "too_large",
        "invalid_json",
        "redirects",
        "protocol",
        "render",
        "auth",
    }


# -- clients --------------------------------------------------------------------------------
async def test_one_client_per_verify_setting() -> None:
    pool = ClientPool()
    try:
        first = pool.get(Limits())
        assert pool.get(Limits(read_timeout=5)) is first
        assert pool.get(Limits(verify=False)) is not first
    finally:
        await pool.aclose()


async def test_calls_reuse_the_executor_client(server: tuple[str, FakeApi]) -> None:
    base, api = server
    ws = workspace(base)
    async with Executor(ws, secrets=Secrets(ws.path, {})) as ex:
        results = [await ex.call(method("/json"), {}) for _ in range(3)]
        assert len(ex._clients._clients) == 1
    assert all(r.ok for r in results)
    assert len(api.seen) == 3
