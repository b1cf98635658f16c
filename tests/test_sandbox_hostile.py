"""The sandbox outlives what a runbook under test sends it (red-team findings): a body
nested 100,000 deep got a 500 and a traceback in its log, a 5 GB Content-Length was read
whole, and 200,000 tickets in one save kept its event loop busy for hours (each new id
was the table's max again, each object checked against the others)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from runbench.sandbox import create_app
from runbench.sandbox.bodies import MAX_BODY_BYTES
from runbench.sandbox.store import MAX_SAVE_ITEMS

DEEP = b"[" * 100_000 + b"]" * 100_000
ENDPOINTS = ["/api/Tickets", "/api/CustomIntegration", "/api/Report", "/openai/v1/completions"]


@pytest.fixture
async def api() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://halo.test") as client:
        creds = {"grant_type": "client_credentials", "client_id": "runbench"}
        token = await client.post("/auth/token", data={**creds, "client_secret": "sandbox-secret"})
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        yield client


def bearer(path: str) -> dict[str, str]:
    return {"Authorization": "Bearer sk-sandbox"} if path.startswith("/openai") else {}


def message(response: httpx.Response) -> str:
    error: Any = response.json()
    return str(error.get("message") or error["error"]["message"])


@pytest.mark.parametrize("path", ENDPOINTS)
async def test_a_body_nested_too_deeply_is_a_400(api: httpx.AsyncClient, path: str) -> None:
    response = await api.post(path, content=DEEP, headers=bearer(path))
    assert response.status_code == 400
    assert "nested too deeply" in message(response).lower()


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize(
    "number",
    [b"7" * 5000, b"NaN", b"-Infinity", b"1e999"],
    ids=["5000 digits", "NaN", "-inf", "1e999"],
)
async def test_a_number_json_has_no_value_for_is_a_400_saying_so(
    api: httpx.AsyncClient, path: str, number: bytes
) -> None:
    """The sandbox stored a ticket holding one, then failed to write its answer (a 500 and
    a traceback: Starlette writes strict JSON); a 5,000-digit integer, once a parse error,
    reads as Infinity now (core.files.load_json_text)."""
    body = b'[{"summary": "x", "n": ' + number + b"}]"
    if path.startswith("/openai"):
        body = b'{"model": "m", "prompt": "p", "n": ' + number + b"}"
    response = await api.post(path, content=body, headers=bearer(path))
    assert response.status_code == 400
    assert "holds NaN, Infinity or a number too big for a float" in message(response)


@pytest.mark.parametrize("path", ENDPOINTS)
async def test_a_body_not_utf8_is_a_400_and_utf16_is_read(
    api: httpx.AsyncClient, path: str
) -> None:
    response = await api.post(path, content=b'{"a": "\xff"}', headers=bearer(path))
    assert response.status_code == 400
    assert "not valid JSON" in message(response)
    wide = await api.post(path, content="[]".encode("utf-16"), headers=bearer(path))
    assert wide.status_code != 500
    assert "not valid JSON" not in wide.text  # read as json.loads reads bytes, as before


@pytest.mark.parametrize("path", ENDPOINTS)
async def test_a_body_over_the_cap_is_a_413(api: httpx.AsyncClient, path: str) -> None:
    response = await api.post(path, content=b" " * (MAX_BODY_BYTES + 1), headers=bearer(path))
    assert response.status_code == 413
    assert f"over {MAX_BODY_BYTES} bytes" in message(response)


async def test_a_token_request_over_the_cap_is_a_413(api: httpx.AsyncClient) -> None:
    response = await api.post("/auth/token", content=b"a" * (MAX_BODY_BYTES + 1))
    assert response.status_code == 413


async def test_a_save_holds_at_most_the_cap_and_new_ids_follow_each_other(
    api: httpx.AsyncClient,
) -> None:
    many = [{"summary": f"t{n}"} for n in range(MAX_SAVE_ITEMS + 1)]
    refused = await api.post("/api/Tickets", json=many)
    assert refused.status_code == 400
    assert f"at most {MAX_SAVE_ITEMS}" in message(refused)
    saved = (await api.post("/api/Tickets", json=many[:MAX_SAVE_ITEMS])).json()
    ids = [ticket["id"] for ticket in saved]
    assert ids == list(range(ids[0], ids[0] + MAX_SAVE_ITEMS))
    again = (await api.post("/api/Tickets", json=many[:2])).json()
    assert [ticket["id"] for ticket in again] == [ids[-1] + 1, ids[-1] + 2]
