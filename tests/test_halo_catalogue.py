"""The Halo API action catalogue: complete, well-formed, and served by the sandbox."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import httpx
import pytest

from runbench.core.halo import ACTIONS, HaloAction, action_ids, find_action
from runbench.sandbox import create_app

EXPECTED = {
    "create_ticket",
    "update_ticket",
    "create_action",
    "create_customer",
    "edit_customer",
    "create_site",
    "edit_site",
    "create_user",
    "edit_user",
    "create_asset",
    "edit_asset",
    "create_lookup",
    "edit_lookup",
    "create_kb_article",
    "edit_kb_article",
    "edit_custom_table",
    "create_ticket_rule",
    "edit_ticket_rule",
    "get_control",
}
VAR = re.compile(r"<<([^<>]*)>>")


def test_every_action_present() -> None:
    assert set(ACTIONS) == EXPECTED
    assert action_ids() == tuple(ACTIONS)
    assert len(action_ids()) == len(EXPECTED)
    for action_id, action in ACTIONS.items():
        assert action.id == action_id
        assert action.title
        assert action.description


def test_lookup() -> None:
    found = find_action("create_action")
    assert isinstance(found, HaloAction)
    assert found.endpoint == "/api/Actions"
    assert find_action("create_tickets") is None


def test_catalogue_is_immutable() -> None:
    with pytest.raises(TypeError):
        ACTIONS["x"] = ACTIONS["create_ticket"]  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ACTIONS["create_ticket"].verb = "GET"  # type: ignore[misc]


@pytest.mark.parametrize("action", list(ACTIONS.values()), ids=list(ACTIONS))
def test_body_is_json_after_substitution(action: HaloAction) -> None:
    assert action.verb in {"GET", "POST"}
    assert action.endpoint.startswith("/api/")
    if action.verb == "GET":
        assert action.body_template == ""
        return
    body = json.loads(VAR.sub("1", action.body_template))
    assert isinstance(body, list)
    assert len(body) == 1
    assert isinstance(body[0], dict)
    if action.id.startswith(("edit_", "update_")):
        assert "<<id>>" in action.body_template
        assert body[0]["id"] == 1
    else:
        assert "id" not in body[0]


def test_create_action_template() -> None:
    body = ACTIONS["create_action"].body_template
    assert VAR.findall(body) == ["ticket^id", "note!"]
    assert '"note_html": "<<note!>>"' in body
    assert '"hiddenfromuser": false' in body


def test_get_control() -> None:
    control = ACTIONS["get_control"]
    assert (control.verb, control.endpoint, control.body_template) == ("GET", "/api/Control", "")


SAMPLES: dict[str, Any] = {"rows": [{"team": "Sample"}]}  # every other value variable: 1


def render_sample(template: str) -> str:
    """Fill a template the way runbench will: ``<<x!>>`` raw string, ``<<x>>`` JSON value."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.endswith("!"):
            return f"Sample {name[:-1]}"
        return json.dumps(SAMPLES.get(name, 1))

    return VAR.sub(fill, template)


@pytest.mark.parametrize("action", list(ACTIONS.values()), ids=list(ACTIONS))
async def test_sandbox_serves_every_action(action: HaloAction) -> None:
    app = create_app()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://halo.test"
    ) as client:
        token = (
            await client.post(
                "/auth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": "runbench",
                    "client_secret": "sandbox-secret",
                    "scope": "all",
                },
            )
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        if action.verb == "GET":
            resp = await client.get(action.endpoint, headers=headers)
            assert resp.status_code == 200
            assert resp.json()
            return
        resp = await client.post(
            action.endpoint,
            headers={**headers, "Content-Type": "application/json"},
            content=render_sample(action.body_template),
        )
    assert 200 <= resp.status_code < 300, resp.text
    saved = resp.json()
    assert isinstance(saved, dict)
    assert saved["id"] >= 1
    if action.id.startswith(("edit_", "update_")):
        assert saved["id"] == 1
