"""push and pull end to end against a real sandbox on 127.0.0.1 (port 0): the sandbox's
/api/Webhook and /api/CustomIntegration hold what was pushed, a pull writes it back."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from halo_samples import (
    FOLLOW_UP_GUID,
    TRIAGE_GUID,
    follow_up_runbook,
    integrations,
    triage_runbook,
)
from runbench.cli.main import main
from runbench.core.halojson import import_halo, write_plan
from runbench.core.workspace import Workspace, check_workspace, load_workspace
from runbench.sandbox import RunningSandbox, start_in_thread


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningSandbox]:
    monkeypatch.setenv("HALO_CLIENT_ID", "runbench")
    monkeypatch.setenv("HALO_CLIENT_SECRET", "sandbox-secret")
    with start_in_thread(host="127.0.0.1", port=0) as running:
        yield running


def imported(tmp_path: Path, sandbox: RunningSandbox) -> Path:
    path = tmp_path / "ws.toml"
    plan = import_halo([triage_runbook(), follow_up_runbook()], integrations())
    plan.variables["halo_base_url"] = sandbox.url
    write_plan(plan, path, "imported")
    return path


EMPTY = """name = "fresh"
halo = "halo"

[variables]
halo_base_url = "{url}"

[integrations.halo]
title = "Halo"
base_url = "<<halo_base_url>>"
auth = {{type = "oauth2", grant = "client_credentials", token_url = "<<halo_base_url>>/auth/token", client_id = {{env = "HALO_CLIENT_ID"}}, client_secret = {{env = "HALO_CLIENT_SECRET"}}, scope = "all"}}
"""


def comparable(ws: Workspace, *drop: str) -> tuple[object, object]:
    integrations = {k: v for k, v in ws.integrations.items() if k not in drop}
    return integrations, ws.runbooks


def test_push_then_pull_into_a_fresh_workspace(
    tmp_path: Path, sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = imported(tmp_path, sandbox)
    assert main(["push", str(ws), "--integrations", "--yes"]) == 0
    printed = capsys.readouterr()
    assert "+++ workspace: runbook 'Triage tickets'" in printed.out
    config = sandbox.app.state.halo.config
    assert {w["id"] for w in config.webhooks(1)} == {TRIAGE_GUID, FOLLOW_UP_GUID}
    names = {i["name"]: i for i in config.integrations(details=True)}
    assert set(names) == {"Ticketing API", "Slack"}
    assert {m["id"] for m in names["Ticketing API"]["methods"]} == {501, 502}
    pushed = load_workspace(ws)
    assert pushed.integrations["slack"].halo == {"id": names["Slack"]["id"]}
    guid = names["Slack"]["methods"][0]["guid"]
    assert pushed.integrations["slack"].methods["post_message"].halo == {"id": 777, "guid": guid}
    assert "client_secret" not in json.dumps(config.integrations(details=True))

    assert main(["push", str(ws), "--integrations", "--dry-run"]) == 0
    assert "nothing to send" in capsys.readouterr().out

    fresh = tmp_path / "fresh.toml"
    fresh.write_text(EMPTY.format(url=sandbox.url))
    assert main(["pull", str(fresh), "--integrations", "--yes"]) == 0
    pulled = load_workspace(fresh)
    assert [p for p in check_workspace(pulled) if p.is_error] == []
    assert comparable(pulled, "halo") == comparable(pushed, "halo")


def test_push_dry_run_shows_what_would_change(
    tmp_path: Path, sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = imported(tmp_path, sandbox)
    assert main(["push", str(ws), "--yes"]) == 0
    ws.write_text(ws.read_text().replace("seconds = 2", "seconds = 5"))
    capsys.readouterr()
    assert main(["push", str(ws), "triage_tickets", "--dry-run"]) == 0
    diff = capsys.readouterr().out
    assert '-  "duration": 2,' in diff.replace("      ", "  ") or '-      "duration": 2' in diff
    assert "+" in diff
    assert '"duration": 5' in diff
    remote = sandbox.app.state.halo.config.webhook(TRIAGE_GUID)
    assert next(s for s in remote["steps"] if s["step_id"] == 18)["duration"] == 2


def test_pull_shows_the_diff_and_keeps_what_only_runbench_has(
    tmp_path: Path, sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = imported(tmp_path, sandbox)
    assert main(["push", str(ws), "--integrations", "--yes"]) == 0
    text = ws.read_text().replace(
        'method = "ticketing_api.get_ticket"',
        'method = "ticketing_api.get_ticket"\nretry = { attempts = 3 }',
    )
    ws.write_text(text)
    config = sandbox.app.state.halo.config
    remote = config.webhook(TRIAGE_GUID)
    next(s for s in remote["steps"] if s["step_id"] == 18)["duration"] = 9
    config.save_webhooks([remote])
    capsys.readouterr()

    assert main(["pull", str(ws), "triage_tickets", "--dry-run"]) == 0
    diff = capsys.readouterr().out
    assert "-seconds = 2" in diff
    assert "+seconds = 9" in diff
    assert "retry" not in diff  # runbench's own keys stay
    assert ws.read_text() == text  # a dry run writes nothing

    assert main(["pull", str(ws), "triage_tickets"]) == 2  # no terminal, no --yes
    assert ws.read_text() == text
    assert main(["pull", str(ws), "Triage tickets", "--yes"]) == 0
    after = load_workspace(ws).runbooks["triage_tickets"].steps
    assert after["wait"].seconds == 9
    assert after["get_details"].retry is not None
    assert after["get_details"].retry.attempts == 3
    capsys.readouterr()
    assert main(["pull", str(ws), "triage_tickets", "--yes"]) == 0
    assert "already has what Halo has" in capsys.readouterr().out


def test_pull_of_an_unknown_runbook_and_without_a_halo_integration(
    tmp_path: Path, sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = tmp_path / "fresh.toml"
    fresh.write_text(EMPTY.format(url=sandbox.url))
    assert main(["pull", str(fresh), "nope", "--dry-run"]) == 2
    assert "Halo has no runbook 'nope'" in capsys.readouterr().err
    bare = tmp_path / "bare.toml"
    bare.write_text('name = "x"\n')
    assert main(["pull", str(bare), "--dry-run"]) == 2
    assert "set halo = " in capsys.readouterr().err


def test_pull_when_halo_refuses(
    tmp_path: Path,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HALO_CLIENT_SECRET", "Wrong-Secret-7731")
    fresh = tmp_path / "fresh.toml"
    fresh.write_text(EMPTY.format(url=sandbox.url))
    assert main(["pull", str(fresh), "--dry-run"]) == 1
    err = capsys.readouterr().err
    assert "Wrong-Secret-7731" not in err
    assert "client_id or client_secret is wrong" in err


def test_sandbox_config_endpoints(sandbox: RunningSandbox) -> None:
    url = sandbox.url
    assert httpx.get(f"{url}/api/Webhook").status_code == 401
    token = httpx.post(
        f"{url}/auth/token",
        data={"grant_type": "client_credentials", "client_id": "runbench"}
        | {"client_secret": "sandbox-secret"},
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    bad = [{"name": "x", "steps": [{"step_id": 1}, {"step_id": 1}]}]
    refused = httpx.post(f"{url}/api/Webhook", json=bad, headers=auth)
    assert refused.status_code == 400
    assert "step_id" in refused.json()["message"]
    saved = httpx.post(
        f"{url}/api/Webhook", json=[{"name": "x", "type": 1, "steps": []}], headers=auth
    )
    guid = saved.json()["id"]
    listed = httpx.get(f"{url}/api/Webhook", params={"type": 1}, headers=auth).json()
    assert listed["record_count"] == 1
    assert listed["webhooks"][0] == {
        "id": guid,
        "name": "x",
        "type": 1,
    }
    assert httpx.get(f"{url}/api/webhook/{guid}", headers=auth).json()["steps"] == []
    assert httpx.get(f"{url}/api/Webhook/nope", headers=auth).status_code == 404
    made = httpx.post(
        f"{url}/api/CustomIntegration",
        json=[{"name": "API", "methods": [{"name": "get"}]}],
        headers=auth,
    ).json()
    assert made["id"] == 1
    assert made["methods"][0]["id"] == 1
    assert made["methods"][0]["guid"]
    assert dataclasses.is_dataclass(sandbox)
    assert sandbox.app.state.halo.config.integration(1)


def test_sandbox_keeps_runbooks_in_its_data_file(tmp_path: Path) -> None:
    from runbench.sandbox import create_app

    data = tmp_path / "sandbox.json"
    first = create_app(data_file=data).state.halo.config
    saved = first.save_webhooks([{"name": "kept", "type": 1, "steps": [{"step_id": 1}]}])
    first.save_integrations([{"name": "API", "methods": [{"name": "get"}]}])
    again = create_app(data_file=data).state.halo.config
    assert again.webhook(saved[0]["id"]) == saved[0]
    assert again.integrations()[0]["name"] == "API"
