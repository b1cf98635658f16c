"""Expectations (`expect`), `runbench test --all`, and `--junit` reports of `test` and `run`
(checked against the shape of the JUnit XSD that Jenkins, GitLab and GitHub read)."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from runbench.cli.main import main
from runbench.core.http import Exchange, RequestRecord, ResponseRecord
from runbench.core.reports import Case, Suite, junit_xml, unmet
from runbench.core.workspace import check_workspace, read_workspace
from runbench.sandbox.server import RunningSandbox, start_in_thread
from servers import local_server

DEMO = Path(__file__).resolve().parents[1] / "workspaces" / "demo.toml"

WORKSPACE = """\
[variables]
sandbox = "{base}"

[integrations.api]
base_url = "<<sandbox>>"

[integrations.api.methods.echo]
verb = "POST"
path = "/echo"
body = '{{"n": <<n>>}}'
test_values = {{ n = 1 }}
outputs = {{ Method = "response^method", Path = "response^path" }}
expect = {{ status = 200, outputs = {{ Method = "POST", Path = "string" }}, headers = {{ Content-Type = "json" }}, max_ms = 60000 }}

[integrations.api.methods.gone]
path = "/status/404"
test_values = {{ x = 1 }}
expect = {{ status = 404 }}

[integrations.api.methods.wrong]
path = "/echo"
test_values = {{ x = 1 }}
outputs = {{ Method = "response^method" }}
expect = {{ outputs = {{ Method = "int" }}, headers = {{ X-Missing = "a" }} }}

[integrations.api.methods.untested]
path = "/echo"
"""

# The JUnit XSD (Jenkins' junit-10.xsd, which GitLab and GitHub reporters follow):
# element -> (allowed attributes, required attributes, allowed children)
SCHEMA = {
    "testsuites": (
        {"name", "time", "tests", "failures", "disabled", "errors"},
        set(),
        {"testsuite"},
    ),
    "testsuite": (
        {
            "name",
            "tests",
            "failures",
            "hostname",
            "id",
            "package",
            "errors",
            "disabled",
            "skipped",
            "time",
            "timestamp",
        },
        {"name", "tests"},
        {"properties", "testcase", "system-out", "system-err"},
    ),
    "testcase": (
        {"name", "assertions", "time", "classname", "status"},
        {"name"},
        {"skipped", "error", "failure", "system-out", "system-err"},
    ),
    "failure": ({"message", "type"}, set(), set()),
    "error": ({"message", "type"}, set(), set()),
    "system-out": (set(), set(), set()),
}
NUMBERS = {"tests", "failures", "errors", "skipped", "disabled"}


def check_junit_shape(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == "testsuites"
    for element in root.iter():
        allowed, required, children = SCHEMA[element.tag]
        assert set(element.attrib) <= allowed, (element.tag, element.attrib)
        assert required <= set(element.attrib), (element.tag, element.attrib)
        assert {child.tag for child in element} <= children
        for name in NUMBERS & set(element.attrib):
            assert int(element.attrib[name]) >= 0
        if "time" in element.attrib:
            assert float(element.attrib["time"]) >= 0
    for suite in root:
        cases = suite.findall("testcase")
        assert int(suite.get("tests", -1)) == len(cases)
        assert int(suite.get("failures", -1)) == sum(
            1 for c in cases if c.find("failure") is not None
        )
        assert int(suite.get("errors", -1)) == sum(1 for c in cases if c.find("error") is not None)
    assert int(root.get("tests", -1)) == sum(int(s.get("tests", 0)) for s in root)
    return root


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Path]:
    with local_server() as (base, _api):
        path = tmp_path / "ws.toml"
        path.write_text(WORKSPACE.format(base=base), encoding="utf-8")
        yield path


def test_expect_is_read_and_checked(workspace: Path) -> None:
    model, problems = read_workspace(workspace)
    assert problems == []
    assert check_workspace(model) == []
    echo = model.method("api.echo")
    assert echo is not None
    assert echo.expect is not None
    assert (echo.expect.status, echo.expect.max_ms) == (200, 60000.0)
    assert echo.expect.outputs == {"Method": "POST", "Path": "string"}
    bad = (
        workspace.read_text()
        .replace("status = 404", "status = 4040")
        .replace('Method = "int"', 'Nope = "int"')
    )
    workspace.write_text(bad)
    model, problems = read_workspace(workspace)
    messages = [p.message for p in problems + check_workspace(model)]
    assert any("expect.status: must be an HTTP status" in m for m in messages)
    assert any("no output 'Nope'" in m for m in messages)


def _exchange(status: int, outputs: dict[str, object], elapsed: float = 5.0) -> Exchange:
    response = ResponseRecord(status, "", (("Content-Type", "application/json"),), "{}", 2, 1.0)
    return Exchange(RequestRecord("GET", "u", (), ""), response, outputs, {}, None, None, elapsed)


def test_unmet_says_what_was_expected(workspace: Path) -> None:
    model, _ = read_workspace(workspace)
    echo = model.method("api.echo")
    assert echo is not None
    assert unmet(echo, _exchange(200, {"Method": "POST", "Path": "/echo"})) == []
    failures = unmet(echo, _exchange(201, {"Method": "GET", "Path": 3}, elapsed=70000))
    assert failures == [
        "status 201, expected 200",
        'output Method is "GET", expected "POST"',
        "output Path is int 3, expected string",
        "took 70000 ms, expected at most 60000",
    ]
    untested = model.method("api.untested")
    assert untested is not None
    assert unmet(untested, _exchange(500, {})) == ["status 500 is not a success (200-299)"]


def test_all_with_junit(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "junit.xml"
    assert main(["test", str(workspace), "--all", "--junit", str(report)]) == 1
    out, err = capsys.readouterr()
    assert "PASS api.echo" in out
    assert "PASS api.gone" in out
    assert "FAIL api.wrong" in out
    assert "untested" not in out
    assert "2 passed, 1 failed" in err
    assert 'output Method is string "GET", expected int' in out
    root = check_junit_shape(report.read_text(encoding="utf-8"))
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == {"echo", "gone", "wrong"}
    assert cases["echo"].get("classname") == "api"
    assert cases["echo"].find("failure") is None
    failure = cases["wrong"].find("failure")
    assert failure is not None
    assert "header X-Missing missing" in (failure.text or "")


def test_all_json_and_single_method_exit_codes(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["test", str(workspace), "--all", "--json"]) == 1
    out, _ = capsys.readouterr()
    results = json.loads(out)
    assert all(isinstance(r["history_id"], int) for r in results)  # runbench history --show ID
    assert [(r["method"], r["passed"]) for r in results] == [
        ("api.echo", True),
        ("api.gone", True),
        ("api.wrong", False),
    ]
    assert main(["test", str(workspace), "api.gone"]) == 0  # 404 is what it expects
    assert main(["test", str(workspace), "api.wrong"]) == 1
    assert "runbench test: header X-Missing missing" in capsys.readouterr().err
    assert main(["test", str(workspace)]) == 2
    assert main(["test", str(workspace), "api.echo", "--all"]) == 2


def test_junit_escapes_and_errors() -> None:
    text = junit_xml(
        [Suite("s <&>", [Case("a", "c", 0.5, error='no <route> & "x"'), Case("b", "c", 0.1)])]
    )
    root = check_junit_shape(text)
    error = root.find("testsuite/testcase/error")
    assert error is not None
    assert error.text == 'no <route> & "x"'
    assert root.get("errors") == "1"
    assert root.get("failures") == "0"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with start_in_thread() as running:
        yield running


def test_run_junit(sandbox: RunningSandbox, tmp_path: Path) -> None:
    demo = tmp_path / "demo.toml"
    shutil.copy(DEMO, demo)
    good, bad = tmp_path / "good.xml", tmp_path / "bad.xml"
    args = ["run", str(demo), "create_customer", "--junit"]
    assert main([*args, str(good), "--var", f"sandbox={sandbox.url}"]) == 0
    assert main([*args, str(bad), "--var", f"sandbox={sandbox.url}/nothing"]) == 1
    ok = check_junit_shape(good.read_text(encoding="utf-8"))
    assert ok.get("failures") == "0"
    assert int(ok.get("tests", 0)) >= 2
    failed = check_junit_shape(bad.read_text(encoding="utf-8"))
    outcome = [c for c in failed.iter("testcase") if c.get("name") == "outcome"]
    assert outcome
    assert outcome[0].find("failure") is not None
    assert "sandbox-secret" not in bad.read_text(encoding="utf-8")
