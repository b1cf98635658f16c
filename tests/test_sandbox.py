"""The local Halo + OpenAI stand-in: token flow, resources, paging, persistence, OpenAI."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from runbench.cli.main import main as cli_main
from runbench.core.errors import UsageError, WorkspaceReadError
from runbench.sandbox import create_app, start_in_thread
from runbench.sandbox.openai import answer_for

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(clock: Clock) -> Any:
    return create_app(clock=clock)


@pytest.fixture
async def client(app: Any) -> Any:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://halo.test") as c:
        yield c


CREDS = {
    "grant_type": "client_credentials",
    "client_id": "runbench",
    "client_secret": "sandbox-secret",
    "scope": "all",
}


async def get_token(client: httpx.AsyncClient, **override: str) -> httpx.Response:
    return await client.post("/auth/token", params={"tenant": "demo"}, data={**CREDS, **override})


@pytest.fixture
async def api(client: httpx.AsyncClient) -> httpx.AsyncClient:
    resp = await get_token(client)
    client.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"
    return client


# --- token flow --------------------------------------------------------------------------


async def test_token_issued_for_right_credentials(client: httpx.AsyncClient) -> None:
    resp = await get_token(client)
    assert resp.status_code == 200
    body = resp.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert isinstance(body["access_token"], str)
    assert len(body["access_token"]) > 10


@pytest.mark.parametrize("field", ["client_id", "client_secret"])
async def test_token_refused_for_wrong_credentials(client: httpx.AsyncClient, field: str) -> None:
    resp = await get_token(client, **{field: "wrong"})
    assert resp.status_code == 401
    assert resp.json()["error"] == "invalid_client"
    assert "runbench sandbox" in resp.json()["error_description"]


async def test_token_needs_grant_type(client: httpx.AsyncClient) -> None:
    data = {k: v for k, v in CREDS.items() if k != "grant_type"}
    resp = await client.post("/auth/token", data=data)
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_request"
    resp = await get_token(client, grant_type="password")
    assert resp.status_code == 400
    assert resp.json()["error"] == "unsupported_grant_type"


async def test_token_accepts_basic_auth_credentials(client: httpx.AsyncClient) -> None:
    resp = await client.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        auth=("runbench", "sandbox-secret"),
    )
    assert resp.status_code == 200
    resp = await client.post(
        "/auth/token", data={"grant_type": "client_credentials"}, auth=("runbench", "nope")
    )
    assert resp.status_code == 401


async def test_custom_credentials() -> None:
    app = create_app(client_id="me", client_secret="s3", api_key="k9")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await get_token(c)).status_code == 401
        ok = await get_token(c, client_id="me", client_secret="s3")
        assert ok.status_code == 200
        resp = await c.post(
            "/openai/v1/completions",
            json={"model": "m", "prompt": "x"},
            headers={"Authorization": "Bearer k9"},
        )
        assert resp.status_code == 200


async def test_api_requires_bearer(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/Tickets")
    assert resp.status_code == 401
    assert "POST /auth/token" in resp.json()["message"]
    assert resp.headers["www-authenticate"].startswith("Bearer")
    resp = await client.post(
        "/api/Tickets", json=[{"summary": "x"}], headers={"Authorization": "Bearer not-a-token"}
    )
    assert resp.status_code == 401
    assert "not one this sandbox issued" in resp.json()["message"]
    resp = await client.get("/api/Tickets/1", headers={"Authorization": "Basic abc"})
    assert resp.status_code == 401


async def test_token_expires_with_the_clock(api: httpx.AsyncClient, clock: Clock) -> None:
    clock.now = T0 + 3599
    assert (await api.get("/api/Client")).status_code == 200
    clock.now = T0 + 3600
    resp = await api.get("/api/Client")
    assert resp.status_code == 401
    assert "expired" in resp.json()["message"]


# --- seed --------------------------------------------------------------------------------


async def test_seed_data(api: httpx.AsyncClient, app: Any) -> None:
    clients = (await api.get("/api/Client")).json()
    assert clients["record_count"] == 3
    assert len(clients["clients"]) == 3
    tickets = (await api.get("/api/Tickets")).json()["tickets"]
    assert [t["id"] for t in tickets] == [1, 2, 3]
    actions = (await api.get("/api/Actions", params={"ticket_id": 1})).json()["actions"]
    assert actions
    assert actions[0]["note"].endswith("?")
    assert len(app.state.halo.records("Site")) >= 3
    assert app.state.halo.records("Users")
    assert app.state.halo.records("Asset")
    assert len(app.state.halo.records("Lookup")) >= 2


# --- create / update / get / list for every resource ---------------------------------------

RESOURCES = [
    # resource, list wrapper (None = bare list), create body, update fields
    (
        "Tickets",
        "tickets",
        {"summary": "Disk full", "details": "C: is full", "client_id": 2},
        {"status_id": 2},
    ),
    (
        "Actions",
        "actions",
        {"ticket_id": 2, "note_html": "<b>Called</b> user"},
        {"outcome": "Phone call"},
    ),
    ("Client", "clients", {"name": "Umbrella"}, {"name": "Umbrella Corp"}),
    ("Site", "sites", {"name": "Depot", "client_id": 3}, {"name": "Depot 2"}),
    (
        "Users",
        "users",
        {"name": "Dana New", "site_id": 4, "emailaddress": "d@x"},
        {"emailaddress": "dana@x"},
    ),
    (
        "Asset",
        "assets",
        {"inventory_number": "A9", "client_id": 1, "site_id": 1, "assettype_id": 1},
        {"inventory_number": "A10"},
    ),
    ("Lookup", None, {"lookupid": 7, "name": "Gold"}, {"name": "Platinum"}),
    (
        "KBArticle",
        "articles",
        {"name": "Printers", "description": "d", "resolution": "r"},
        {"resolution": "Turn it off and on"},
    ),
    ("CustomTable", "customtables", {"name": "Contacts"}, {"name": "Contacts v2"}),
    ("TicketRules", "rules", {"name": "Route printers"}, {"sequence": 4}),
]


@pytest.mark.parametrize(
    ("resource", "wrapper", "body", "update"), RESOURCES, ids=[r[0] for r in RESOURCES]
)
async def test_create_update_get_list(
    api: httpx.AsyncClient,
    app: Any,
    resource: str,
    wrapper: str | None,
    body: dict[str, Any],
    update: dict[str, Any],
) -> None:
    before = len(app.state.halo.records(resource))
    created = await api.post(f"/api/{resource}", json=[body])
    assert created.status_code == 201, created.text
    obj = created.json()
    assert isinstance(obj, dict)
    assert obj["id"] > 0
    assert all(obj[k] == v for k, v in body.items())
    assert len(app.state.halo.records(resource)) == before + 1

    got = await api.get(f"/api/{resource}/{obj['id']}", params={"includedetails": "true"})
    assert got.status_code == 200
    assert got.json() == obj

    updated = (await api.post(f"/api/{resource}", json=[{"id": obj["id"], **update}])).json()
    assert updated["id"] == obj["id"]
    assert all(updated[k] == v for k, v in update.items())
    kept = {k: v for k, v in body.items() if k not in update}
    assert all(updated[k] == v for k, v in kept.items())  # update merges fields
    assert len(app.state.halo.records(resource)) == before + 1

    listed = (await api.get(f"/api/{resource}")).json()
    rows = listed if wrapper is None else listed[wrapper]
    if wrapper is not None:
        assert listed["record_count"] == before + 1
    assert updated in rows


async def test_several_items_return_an_array(api: httpx.AsyncClient) -> None:
    resp = await api.post(
        "/api/Client", json=[{"name": "A"}, {"name": "B"}, {"id": 1, "name": "Acme"}]
    )
    assert resp.status_code == 201
    saved = resp.json()
    assert [c["name"] for c in saved] == ["A", "B", "Acme"]
    assert saved[0]["id"] != saved[1]["id"]
    assert saved[2]["id"] == 1


@pytest.mark.parametrize("record_id", [0, -1])
async def test_zero_or_negative_id_creates(api: httpx.AsyncClient, record_id: int) -> None:
    obj = (await api.post("/api/Client", json=[{"id": record_id, "name": "New"}])).json()
    assert obj["id"] == 4


async def test_update_of_unknown_id_is_400(api: httpx.AsyncClient) -> None:
    resp = await api.post("/api/Tickets", json=[{"id": 999, "summary": "x"}])
    assert resp.status_code == 400
    assert "999" in resp.json()["message"]


@pytest.mark.parametrize("body", [{"summary": "x"}, "text", 5, None])
async def test_non_array_body_is_400(api: httpx.AsyncClient, body: Any) -> None:
    resp = await api.post(
        "/api/Tickets", content=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 400
    assert "JSON array" in resp.json()["message"]


@pytest.mark.parametrize("content", [b"{not json", b"[]", b"[1]", b'[{"id": "7"}]'])
async def test_bad_bodies_are_400(api: httpx.AsyncClient, content: bytes) -> None:
    resp = await api.post(
        "/api/Client", content=content, headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 400
    assert resp.json()["message"]


@pytest.mark.parametrize(
    ("resource", "body", "words"),
    [
        ("Tickets", {"details": "no summary"}, "'summary' is required"),
        ("Actions", {"note_html": "x"}, "'ticket_id' is required"),
        ("Actions", {"ticket_id": 999, "note_html": "x"}, "ticket_id 999 does not exist"),
        ("Client", {"name": ""}, "'name' is required"),
        ("Site", {"client_id": 1}, "'name' is required"),
        ("Site", {"name": "S"}, "'client_id' is required"),
        ("Site", {"name": "S", "client_id": 42}, "client_id 42 does not exist"),
        ("Users", {"emailaddress": "x@y"}, "'name' is required"),
        ("KBArticle", {"description": "d"}, "'name' is required"),
    ],
)
async def test_validation(
    api: httpx.AsyncClient, resource: str, body: dict[str, Any], words: str
) -> None:
    resp = await api.post(f"/api/{resource}", json=[body])
    assert resp.status_code == 400
    assert words in resp.json()["message"]


async def test_update_cannot_blank_required_field(api: httpx.AsyncClient) -> None:
    resp = await api.post("/api/Client", json=[{"id": 1, "name": ""}])
    assert resp.status_code == 400


async def test_batch_is_all_or_nothing(api: httpx.AsyncClient, app: Any) -> None:
    resp = await api.post("/api/Client", json=[{"name": "Good"}, {"nope": 1}])
    assert resp.status_code == 400
    assert "Client[1]" in resp.json()["message"]
    assert [c["name"] for c in app.state.halo.records("Client")] == [
        "Acme Corp",
        "Globex",
        "Initech",
    ]


async def test_action_touches_its_ticket(api: httpx.AsyncClient, clock: Clock) -> None:
    clock.now = T0 + 60
    before = (await api.get("/api/Tickets/1")).json()
    action = (
        await api.post(
            "/api/Actions",
            json=[{"ticket_id": 1, "note_html": "<p>Try &amp; reset</p>", "outcome": "Note"}],
        )
    ).json()
    assert action["note"] == "Try & reset"
    ticket = (await api.get("/api/Tickets/1")).json()
    assert ticket["action_count"] == before["action_count"] + 1
    assert ticket["last_action_date"] == "2023-11-14T22:14:20" == action["datetime"]


async def test_new_ticket_defaults_and_customfields_merge(api: httpx.AsyncClient) -> None:
    t = (
        await api.post(
            "/api/Tickets",
            json=[
                {
                    "summary": "S",
                    "customfields": [
                        {"id": 1, "name": "CFa", "value": "a"},
                        {"id": 2, "name": "CFb", "value": "b"},
                    ],
                }
            ],
        )
    ).json()
    assert t["dateoccurred"] == "2023-11-14T22:13:20"
    assert t["status_id"] == 1
    assert t["tickettype_id"] == 1
    t2 = (
        await api.post(
            "/api/Tickets",
            json=[
                {
                    "id": t["id"],
                    "customfields": [
                        {"id": 2, "value": "B"},
                        {"id": 3, "name": "CFc", "value": "c"},
                    ],
                }
            ],
        )
    ).json()
    assert [(c["id"], c["value"]) for c in t2["customfields"]] == [(1, "a"), (2, "B"), (3, "c")]


async def test_custom_table_add_rows_replaces_all_rows(api: httpx.AsyncClient) -> None:
    before = (await api.get("/api/CustomTable/1")).json()
    assert len(before["rows"]) == 2
    after = (
        await api.post("/api/CustomTable", json=[{"id": 1, "_add_rows": [{"team": "Only"}]}])
    ).json()
    assert after["rows"] == [{"team": "Only", "id": 1}]
    assert "_add_rows" not in after
    bad = await api.post("/api/CustomTable", json=[{"id": 1, "_add_rows": "x"}])
    assert bad.status_code == 400


async def test_get_missing_and_unknown(api: httpx.AsyncClient) -> None:
    resp = await api.get("/api/Tickets/999")
    assert resp.status_code == 404
    assert "999" in resp.json()["message"]
    resp = await api.get("/api/Nope")
    assert resp.status_code == 404
    assert "/api/Tickets" in resp.json()["message"]
    resp = await api.delete("/api/Tickets")
    assert resp.status_code == 405
    assert resp.json()["error"] == "method_not_allowed"
    resp = await api.get("/nowhere")
    assert resp.status_code == 404
    assert resp.json()["error"] == "not_found"


async def test_resource_names_are_case_insensitive(api: httpx.AsyncClient) -> None:
    assert (await api.get("/api/tickets/1")).json()["id"] == 1


async def test_control(api: httpx.AsyncClient) -> None:
    resp = await api.get("/api/Control")
    assert resp.status_code == 200
    assert resp.json()["halo_url"] == "http://halo.test"


# --- listing: paging, search, filters ----------------------------------------------------


async def test_paging(api: httpx.AsyncClient) -> None:
    await api.post("/api/Tickets", json=[{"summary": "four"}, {"summary": "five"}])
    page = (
        await api.get("/api/Tickets", params={"pageinate": "true", "page_size": 2, "page_no": 2})
    ).json()
    assert page["record_count"] == 5
    assert page["page_no"] == 2
    assert page["page_size"] == 2
    assert [t["id"] for t in page["tickets"]] == [3, 4]
    last = (
        await api.get("/api/Tickets", params={"pageinate": "true", "page_size": 2, "page_no": 3})
    ).json()
    assert [t["id"] for t in last["tickets"]] == [5]
    beyond = (
        await api.get("/api/Tickets", params={"pageinate": "true", "page_size": 2, "page_no": 9})
    ).json()
    assert beyond["tickets"] == []
    assert beyond["record_count"] == 5
    unpaged = (await api.get("/api/Tickets", params={"page_size": 2})).json()
    assert len(unpaged["tickets"]) == 5


async def test_paging_bare_list(api: httpx.AsyncClient) -> None:
    rows = (
        await api.get("/api/Lookup", params={"pageinate": "true", "page_size": 1, "page_no": 2})
    ).json()
    assert [r["id"] for r in rows] == [2]


@pytest.mark.parametrize(
    "params",
    [
        {"page_size": "0", "pageinate": "true"},
        {"page_no": "x", "pageinate": "true"},
        {"client_id": "one"},
    ],
)
async def test_bad_query_parameters(api: httpx.AsyncClient, params: dict[str, str]) -> None:
    resp = await api.get("/api/Site", params=params)
    assert resp.status_code == 400
    assert "must be" in resp.json()["message"]


async def test_search(api: httpx.AsyncClient) -> None:
    found = (await api.get("/api/Tickets", params={"search": "vpn"})).json()
    assert [t["id"] for t in found["tickets"]] == [1]
    assert found["record_count"] == 1
    clients = (await api.get("/api/Client", params={"search": "GLOB"})).json()["clients"]
    assert [c["name"] for c in clients] == ["Globex"]
    assets = (await api.get("/api/Asset", params={"search": "acme-lt"})).json()["assets"]
    assert [a["id"] for a in assets] == [1]


async def test_filters(api: httpx.AsyncClient) -> None:
    sites = (await api.get("/api/Site", params={"client_id": 1})).json()["sites"]
    assert sites
    assert all(s["client_id"] == 1 for s in sites)
    assert len(sites) == 2
    users = (await api.get("/api/Users", params={"client_id": 2})).json()["users"]
    assert [u["name"] for u in users] == ["Bob Builder"]
    await api.post("/api/Actions", json=[{"ticket_id": 3, "note_html": "x"}])
    acts = (await api.get("/api/Actions", params={"ticket_id": 3})).json()["actions"]
    assert [a["ticket_id"] for a in acts] == [3]
    lookups = (await api.get("/api/Lookup", params={"lookupid": 1})).json()
    assert [x["name"] for x in lookups] == ["Hardware", "Software"]


# --- persistence ---------------------------------------------------------------------------


async def test_data_file_persists_and_reloads(tmp_path: Path, clock: Clock) -> None:
    data = tmp_path / "sub" / "halo.json"
    app = create_app(data_file=data, clock=clock)
    assert not data.exists()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        token = (await get_token(c)).json()["access_token"]
        c.headers["Authorization"] = f"Bearer {token}"
        created = (await c.post("/api/Tickets", json=[{"summary": "Saved"}])).json()
    stored = json.loads(data.read_text())
    assert any(t["summary"] == "Saved" for t in stored["resources"]["Tickets"])
    assert [p.name for p in data.parent.iterdir()] == ["halo.json"]  # no temp files left

    again = create_app(data_file=data, clock=clock)
    assert again.state.halo.get("Tickets", created["id"])["summary"] == "Saved"
    assert len(again.state.halo.records("Client")) == 3


@pytest.mark.parametrize("content", ["{broken", '{"no": "resources"}'])
def test_bad_data_file(tmp_path: Path, content: str) -> None:
    data = tmp_path / "halo.json"
    data.write_text(content)
    with pytest.raises(WorkspaceReadError, match="halo.json"):
        create_app(data_file=data)


def test_records_rejects_unknown_resource(app: Any) -> None:
    with pytest.raises(KeyError, match="Tickets"):
        app.state.halo.records("Nope")


def test_records_are_copies(app: Any) -> None:
    app.state.halo.records("Client")[0]["name"] = "mutated"
    assert app.state.halo.records("Client")[0]["name"] == "Acme Corp"


# --- OpenAI stand-in -----------------------------------------------------------------------

KEY = {"Authorization": "Bearer sk-sandbox"}


async def test_completions(client: httpx.AsyncClient, app: Any) -> None:
    resp = await client.post(
        "/openai/v1/completions",
        headers=KEY,
        json={"model": "gpt-x", "prompt": "Why is the sky blue?"},
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body["object"] == "text_completion"
    assert body["model"] == "gpt-x"
    assert body["choices"][0] == {
        "index": 0,
        "text": "Sandbox answer to: Why is the sky blue?",
        "logprobs": None,
        "finish_reason": "stop",
    }
    assert (
        body["usage"]["total_tokens"]
        == (body["usage"]["prompt_tokens"] + body["usage"]["completion_tokens"])
        > 0
    )
    again = await client.post(
        "/openai/v1/completions",
        headers=KEY,
        json={"model": "gpt-x", "prompt": "Why is the sky blue?"},
    )
    assert again.json()["id"] == body["id"]
    assert app.state.openai.requests[0]["prompt"] == "Why is the sky blue?"


async def test_completions_prompt_list(client: httpx.AsyncClient) -> None:
    body = (
        await client.post(
            "/openai/v1/completions", headers=KEY, json={"model": "m", "prompt": ["a", "b"]}
        )
    ).json()
    assert [c["text"] for c in body["choices"]] == [answer_for("a"), answer_for("b")]


async def test_chat_completions(client: httpx.AsyncClient) -> None:
    resp = await client.post(
        "/openai/v1/chat/completions",
        headers=KEY,
        json={
            "model": "m",
            "messages": [
                {"role": "system", "content": "Be brief"},
                {"role": "user", "content": "Reset VPN?"},
            ],
        },
    )
    assert resp.status_code == 200
    msg = resp.json()["choices"][0]["message"]
    assert msg == {"role": "assistant", "content": "Sandbox answer to: Reset VPN?"}
    parts = await client.post(
        "/openai/v1/chat/completions",
        headers=KEY,
        json={
            "model": "m",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
        },
    )
    assert parts.json()["choices"][0]["message"]["content"] == answer_for("hi")


async def test_responses_api(client: httpx.AsyncClient) -> None:
    body = (
        await client.post("/openai/v1/responses", headers=KEY, json={"model": "m", "input": "Q?"})
    ).json()
    message = next(o for o in body["output"] if o["type"] == "message")
    assert message["content"][0]["text"] == answer_for("Q?")


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "sk-sandbox"}]
)
async def test_openai_needs_api_key(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    for path in ("/openai/v1/completions", "/openai/v1/chat/completions"):
        resp = await client.post(path, headers=headers, json={"model": "m", "prompt": "x"})
        assert resp.status_code == 401
        assert resp.json()["error"]["code"] == "invalid_api_key"


@pytest.mark.parametrize(
    ("path", "body", "words"),
    [
        ("/openai/v1/completions", {"prompt": "x"}, "model"),
        ("/openai/v1/completions", {"model": "m"}, "prompt"),
        ("/openai/v1/completions", {"model": "m", "prompt": [1]}, "prompt"),
        ("/openai/v1/chat/completions", {"model": "m", "messages": []}, "messages"),
        ("/openai/v1/completions", [], "JSON object"),
    ],
)
async def test_openai_bad_requests(
    client: httpx.AsyncClient, path: str, body: Any, words: str
) -> None:
    resp = await client.post(path, headers=KEY, json=body)
    assert resp.status_code == 400
    assert words in resp.json()["error"]["message"]


async def test_healthz(client: httpx.AsyncClient) -> None:
    resp = await client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}


# --- real socket, CLI -----------------------------------------------------------------------


def test_start_in_thread_serves_on_a_real_socket() -> None:
    running = start_in_thread()
    try:
        assert running.url.startswith("http://127.0.0.1:")
        assert not running.url.endswith(":0")
        with httpx.Client(base_url=running.url, timeout=10) as c:
            token = c.post("/auth/token", data=CREDS).json()["access_token"]
            resp = c.post(
                "/api/Tickets",
                json=[{"summary": "over TCP"}],
                headers={"Authorization": f"Bearer {token}"},
            )
            assert resp.status_code == 201
            ai = c.post(
                f"{running.openai_url}/completions", headers=KEY, json={"model": "m", "prompt": "p"}
            )
            assert ai.json()["choices"][0]["text"] == answer_for("p")
        assert running.app.state.halo.records("Tickets")[-1]["summary"] == "over TCP"
    finally:
        running.stop()
    assert not running.running.thread.is_alive()


@pytest.fixture
def busy_port() -> Any:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield sock.getsockname()[1]
    sock.close()


def test_start_in_thread_on_busy_port(busy_port: int) -> None:
    with pytest.raises(UsageError, match=str(busy_port)):
        start_in_thread(port=busy_port)


def test_cli_busy_port_is_usage_error(busy_port: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["sandbox", "--port", str(busy_port)]) == 2
    assert "choose another --port" in capsys.readouterr().err


def test_cli_bad_data_file_is_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "d.json"
    data.write_text("nope")
    assert cli_main(["sandbox", "--port", "0", "--data", str(data)]) == 2
    assert "d.json" in capsys.readouterr().err


def test_cli_banner_shows_urls_and_credentials() -> None:
    import argparse

    from runbench.cli.cmd_sandbox import banner

    args = argparse.Namespace(client_id="cid", client_secret="sec", api_key="key", data=None)
    text = banner("http://127.0.0.1:8781", args)
    for part in (
        "http://127.0.0.1:8781",
        "http://127.0.0.1:8781/openai/v1",
        "cid",
        "sec",
        "key",
        "/auth/token",
    ):
        assert part in text
