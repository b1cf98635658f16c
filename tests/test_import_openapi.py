"""`runbench import-openapi`: a trimmed Petstore (JSON and YAML) becomes an integration whose
methods send what the spec describes."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import httpx
import pytest

from runbench.cli.main import main
from runbench.core.errors import UsageError
from runbench.core.http import call_method
from runbench.core.openapi import parse_spec, plan_openapi, read_spec
from runbench.core.workspace import check_workspace, load_workspace, read_workspace

DATA = Path(__file__).parent / "data"
YAML, JSON = DATA / "petstore.yaml", DATA / "petstore.json"


def test_json_and_yaml_give_the_same_plan() -> None:
    from_yaml = plan_openapi(read_spec(YAML), integration="petstore")
    from_json = plan_openapi(read_spec(JSON), integration="petstore")
    assert from_yaml == from_json
    assert [name for name, _ in from_json.methods] == [
        "update_pet",
        "add_pet",
        "find_pets_by_status",
        "get_pet_by_id",
        "delete_pet",
        "place_order",
        "login_user",
    ]


def test_import_writes_methods_that_check_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "ws.toml"
    assert main(["import-openapi", str(YAML), "-w", str(target), "-i", "petstore"]) == 0
    out = capsys.readouterr().out
    assert "added 7 methods to new integration petstore" in out
    assert "export PETSTORE_API_KEY=" in out
    workspace, problems = read_workspace(target)
    assert [p for p in problems + check_workspace(workspace) if p.is_error] == []
    petstore = workspace.integrations["petstore"]
    assert petstore.base_url == "https://petstore3.swagger.io/api/v3"
    assert (petstore.auth.type, petstore.auth.location, petstore.auth.name) == (
        "api_key",
        "header",
        "api_key",
    )
    get = petstore.methods["get_pet_by_id"]
    assert (get.verb, get.path, dict(get.test_values)) == ("GET", "/pet/<<petId>>", {"petId": 10})
    find = petstore.methods["find_pets_by_status"]
    assert dict(find.query) == {"status": "<<status>>"}
    assert dict(find.test_values) == {"status": "available"}
    add = petstore.methods["add_pet"]
    body = json.loads(add.body)
    assert add.body_type == "json"
    assert list(body)[:2] == ["name", "photoUrls"]
    assert body["category"] == {"id": 1, "name": "Dogs"}
    assert body["tags"] == [{"id": 0, "name": ""}]
    assert body["status"] == "available"
    assert petstore.methods["login_user"].auth == "none"
    assert dict(petstore.methods["delete_pet"].headers) == {"api_key": "<<api_key>>"}
    order = json.loads(petstore.methods["place_order"].body)
    assert order["status"] == "approved"
    assert order["complete"] is False


def test_imported_method_sends_what_the_spec_says(tmp_path: Path) -> None:
    target = tmp_path / "ws.toml"
    assert main(["import-openapi", str(JSON), "-w", str(target), "-i", "petstore"]) == 0
    workspace = load_workspace(target)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": 10, "name": "doggie"})

    for ref in ("petstore.get_pet_by_id", "petstore.add_pet"):
        method = workspace.method(ref)
        assert method is not None
        called = asyncio.run(
            call_method(
                workspace,
                method,
                overrides={},
                environ={"PETSTORE_API_KEY": "k-123"},
                transport=httpx.MockTransport(handler),
            )
        )
        assert called.exchange.ok, called.exchange.error
    assert str(seen[0].url) == "https://petstore3.swagger.io/api/v3/pet/10"
    assert seen[0].headers["api_key"] == "k-123"
    assert seen[1].method == "POST"
    assert json.loads(seen[1].content)["name"] == "doggie"


def test_tag_filter_and_reimport(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "ws.toml"
    args = ["import-openapi", str(YAML), "-w", str(target), "-i", "petstore", "--tag", "store"]
    assert main(args) == 0
    assert list(load_workspace(target).integrations["petstore"].methods) == ["place_order"]
    assert main(args) == 0
    assert list(load_workspace(target).integrations["petstore"].methods) == [
        "place_order",
        "place_order_2",
    ]
    assert main([*args, "--replace"]) == 0
    assert len(load_workspace(target).integrations["petstore"].methods) == 2
    assert main([*args[:-1], "nothing"]) == 2
    assert "no GET/POST/PUT/PATCH/DELETE operation tagged 'nothing'" in capsys.readouterr().err


def test_browser_only_oauth_becomes_bearer_with_a_note() -> None:
    spec = read_spec(YAML)
    del spec["components"]["securitySchemes"]["api_key"]
    plan = plan_openapi(spec, integration="pets")
    assert plan.integration_table["auth"] == {"type": "bearer", "token": {"env": "PETS_TOKEN"}}
    assert any("need a browser" in note for note in plan.notes)


def test_bad_specs_are_usage_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError, match="Swagger 2"):
        parse_spec('{"swagger": "2.0"}')
    with pytest.raises(UsageError, match="only references inside the document"):
        plan_openapi(
            parse_spec('{"openapi": "3.0.0", "paths": {"/x": {"$ref": "other.yaml#/paths/x"}}}'),
            integration="x",
        )
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(UsageError, match=r"pip install 'runbench\[openapi\]'"):
        parse_spec("openapi: 3.0.0\n")
