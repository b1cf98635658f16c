"""Outputs over a big body are evaluated in a child process, with the same results as in
process; a child that cannot run falls back to in-process evaluation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import respx

from runbench.core.http import (
    Evaluated,
    Exchange,
    Executor,
    OffloadPolicy,
    OutputEvaluator,
    evaluate_here,
    evaluate_in_child,
)
from runbench.core.secrets import Secrets
from runbench.core.workspace import Integration, Method, Output, Workspace

THRESHOLD = 1024  # lowered so a ~20 KB body goes to the child

OUTPUTS = (
    Output("Name", "response^items[0]^name!", "string"),
    Output("Count", "response^count", "int"),
    Output("Ratio", "response^ratio", "float"),
    Output("Flag", "response^flag", "bool"),
    Output("When", "response^when", "datetime"),
    Output("Tags", "response^items[1]^tags", "array"),
    Output("Item", "response^items[2]", "object"),
    Output("Whole", "response^items[-1]", "any"),
    Output("Unicode", "response^text!", "string"),
    Output("Nan", "response^nan", "any"),
    Output("BadInt", "response^ratio", "int"),  # coercion error
    Output("BadBool", "response^items[0]^name", "bool"),  # coercion error
    Output("Missing", "response^items[0]^nmae", "any"),  # no match
    Output("OutOfRange", "response^items[9999]", "any"),  # no match
    Output("Status", "status", "int"),  # never reads the body
    Output("Type", "headers^content-type!", "string"),
    Output("Headers", "headers", "any"),  # not JSON data: must stay in process
    Output("Syntax", "response^items[", "any"),  # does not compile
    Output("Count", "response^nope", "any"),  # a repeated name: value and error both kept
)


@pytest.fixture
def no_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """The child must do the work: in-process evaluation inside offload fails the test."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("fell back to in-process evaluation")

    monkeypatch.setattr("runbench.core.http._offload.evaluate_here", refuse)


def big_json() -> bytes:
    items = [{"id": i, "name": f"user {i}", "tags": ["a", str(i)]} for i in range(400)]
    return json.dumps(
        {
            "items": items,
            "count": "400",
            "ratio": 2.5,
            "flag": "yes",
            "when": 1714564800,
            "text": "héllo ☃",
            "nan": float("nan"),
        }
    ).encode()


HEADERS = httpx.Headers({"content-type": "application/json", "x-trace": "t1"})


async def both(
    outputs: tuple[Output, ...], body: bytes, headers: httpx.Headers = HEADERS, python: str = ""
) -> tuple[Evaluated, Evaluated]:
    here = evaluate_here(OutputEvaluator(), outputs, body, 200, headers)
    kwargs = {"python": python} if python else {}
    there = await evaluate_in_child(OutputEvaluator(), outputs, body, 200, headers, **kwargs)
    return here, there


def same(here: Evaluated, there: Evaluated) -> None:
    # json.dumps compares NaN too (nan != nan); key order is part of the result
    assert json.dumps(here, default=repr) == json.dumps(there, default=repr)
    assert [type(v) for v in here[0].values()] == [type(v) for v in there[0].values()]


@pytest.mark.usefixtures("no_fallback")
async def test_values_and_errors_match_in_process() -> None:
    here, there = await both(OUTPUTS, big_json())
    same(here, there)
    values, errors, is_json = there
    assert is_json
    assert values["Name"] == "user 0"
    assert values["Count"] == 400
    assert values["Flag"] is True
    assert values["Tags"] == ["a", "1"]
    assert values["Unicode"] == "héllo ☃"
    assert values["Status"] == 200
    assert values["Type"] == "application/json"
    assert isinstance(values["Headers"], httpx.Headers)
    assert set(errors) == {"BadInt", "BadBool", "Missing", "OutOfRange", "Syntax", "Count"}
    assert errors["BadInt"].startswith("response^ratio: 2.5 (a number) is not an int")
    assert "nmae" in errors["Missing"]


@pytest.mark.usefixtures("no_fallback")
async def test_non_json_body_with_json_readers_matches() -> None:
    body = b"<html>" + b"x" * 5000 + b"</html>"
    here, there = await both(OUTPUTS[:3], body, httpx.Headers({"content-type": "text/html"}))
    same(here, there)
    assert there == ({}, {}, False)


@pytest.mark.usefixtures("no_fallback")
async def test_non_json_body_read_whole_matches() -> None:
    body = "not json ☃ ".encode() * 500
    outputs = (Output("Text", "response!", "string"), Output("Status", "status", "int"))
    here, there = await both(outputs, body, httpx.Headers({"content-type": "text/plain"}))
    same(here, there)
    assert there[0]["Text"] == body.decode()
    assert there[2] is False


async def test_missing_python_falls_back_to_in_process(tmp_path: Path) -> None:
    here, there = await both(OUTPUTS, big_json(), python=str(tmp_path / "no-python"))
    same(here, there)


async def test_child_dying_falls_back_to_in_process(tmp_path: Path) -> None:
    dies = tmp_path / "dies.sh"
    dies.write_text("#!/bin/sh\ncat >/dev/null\nexit 3\n")
    dies.chmod(0o755)
    here, there = await both(OUTPUTS, big_json(), python=str(dies))
    same(here, there)


def test_child_protocol() -> None:
    header = {
        "status": 201,
        "headers": [["content-type", "application/json"]],
        "outputs": [["A", "response^a", "int"], ["B", "response^b", "any"]],
    }
    done = subprocess.run(
        [sys.executable, "-m", "runbench.core.http._offload"],
        input=json.dumps(header).encode() + b"\n" + b'{"a": "7"}',
        capture_output=True,
        check=True,
    )
    answer = json.loads(done.stdout)
    assert answer["json"] is True
    assert answer["results"][0] == ["ok", 7]
    assert answer["results"][1][0] == "error"
    assert answer["results"][1][1].startswith("response^b: ")


# -- through the Executor --------------------------------------------------------------


def workspace(tmp_path: Path) -> tuple[Workspace, Method]:
    method = Method(id="get", integration="api", path="/data", outputs=OUTPUTS)
    api = Integration(id="api", base_url="http://api.test", methods={"get": method})
    return Workspace(path=str(tmp_path / "ws.toml"), integrations={"api": api}), method


async def call(tmp_path: Path, body: bytes, content_type: str, offload: OffloadPolicy) -> Exchange:
    ws, method = workspace(tmp_path)
    with respx.mock(assert_all_called=True) as api:
        api.get("http://api.test/data").respond(200, content=body, content_type=content_type)
        async with Executor(ws, secrets=Secrets(ws.path, {}), offload=offload) as executor:
            return await executor.call(method, {})


@pytest.mark.usefixtures("no_fallback")
async def test_executor_offloaded_equals_in_process(tmp_path: Path) -> None:
    body = big_json()
    here = await call(tmp_path, body, "application/json", OffloadPolicy(threshold=len(body) * 2))
    there = await call(tmp_path, body, "application/json", OffloadPolicy(threshold=THRESHOLD))
    assert json.dumps(here.to_dict()["output_errors"]) == json.dumps(
        there.to_dict()["output_errors"]
    )
    assert repr(dict(here.outputs)) == repr(dict(there.outputs))
    assert there.outputs["Count"] == 400
    assert "Count" in there.output_errors


@pytest.mark.usefixtures("no_fallback")
async def test_executor_invalid_json_same_message(tmp_path: Path) -> None:
    body = b"<html>" + b"y" * 5000
    here = await call(tmp_path, body, "text/html", OffloadPolicy(threshold=len(body) * 2))
    there = await call(tmp_path, body, "text/html", OffloadPolicy(threshold=THRESHOLD))
    assert there.error_kind == "invalid_json"
    assert there.error == here.error
    assert there.outputs == {}
    assert there.output_errors == {}


async def test_executor_falls_back_without_python(tmp_path: Path) -> None:
    policy = OffloadPolicy(threshold=THRESHOLD, python=str(tmp_path / "missing"))
    there = await call(tmp_path, big_json(), "application/json", policy)
    assert there.error is None
    assert there.outputs["Name"] == "user 0"
