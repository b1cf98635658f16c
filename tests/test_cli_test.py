"""`runbench test`: output, exit codes, --var, --json, and that no secret is ever printed."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from runbench.cli.cmd_test import Printer, highlight
from runbench.cli.main import main
from runbench.core.secrets import REDACTED, Redactor
from servers import FakeApi, closed_port, local_server

WORKSPACE = """\
name = "cli test"

[variables]
sandbox = "{base}"

[integrations.open]
base_url = "<<sandbox>>"

[integrations.open.methods.echo]
verb = "POST"
path = "/echo/{{id}}"
body = '{{"value": <<value>>}}'
test_values = {{ id = 5, value = "default" }}

[integrations.open.methods.echo.outputs]
path = "response^path"
missing = "response^nothing"
id = {{ path = "response^path", type = "int" }}

[integrations.open.methods.missing]
path = "/status/404"

[integrations.bearer]
base_url = "<<sandbox>>"
auth = {{ type = "bearer", token = {{ env = "RB_TOKEN" }} }}

[integrations.bearer.methods.echo]
path = "/echo"
outputs = {{ seen = "response^headers^Authorization" }}

[integrations.basic]
base_url = "<<sandbox>>"
auth = {{ type = "basic", username = "agent", password = {{ env = "RB_PASSWORD" }} }}

[integrations.basic.methods.echo]
path = "/echo"

[integrations.key]
base_url = "<<sandbox>>"
auth = {{ type = "api_key", in = "query", name = "api_key", value = {{ env = "RB_KEY" }} }}

[integrations.key.methods.echo]
path = "/echo"

[integrations.oauth]
base_url = "<<sandbox>>"
auth = {{ type = "oauth2", token_url = "/token", client_id = "client-7", client_secret = {{ env = "RB_CS" }}, params = {{ tenant = "t1" }} }}

[integrations.oauth.methods.echo]
verb = "POST"
path = "/echo"
body = '{{"token_was": "sent"}}'
outputs = {{ seen = "response^headers^Authorization" }}
"""


@pytest.fixture
def server() -> Iterator[tuple[str, FakeApi]]:
    with local_server() as found:
        yield found


@pytest.fixture
def ws(tmp_path: Path, server: tuple[str, FakeApi], monkeypatch: pytest.MonkeyPatch) -> str:
    base, api = server
    path = tmp_path / "ws.toml"
    path.write_text(WORKSPACE.format(base=base), encoding="utf-8")
    monkeypatch.setenv("RB_TOKEN", api.bearer)
    monkeypatch.setenv("RB_PASSWORD", api.password)
    monkeypatch.setenv("RB_KEY", api.api_key)
    monkeypatch.setenv("RB_CS", api.client_secret)
    return str(path)


def cli(capfd: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["test", *argv])
    out, err = capfd.readouterr()
    return code, out, err


def test_human_output_shows_request_response_and_outputs(
    ws: str, capfd: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capfd, ws, "open.echo")
    assert code == 0, err
    assert "> POST http://127.0.0.1:" in out
    assert "/echo/5" in out
    assert "> Content-Type: application/json" in out
    assert "< HTTP 200 OK" in out
    assert "< content-type: application/json" in out
    assert '\n  "path": "/echo/5",' in out  # JSON pretty-printed
    assert 'path    = "/echo/5"' in out
    assert "missing   no value: response^nothing: no key 'nothing'" in out
    assert "id      " in out
    assert "not an int" in out
    assert "\x1b[" not in out  # not a TTY: no colour


def test_vars_are_typed_when_json_and_override_test_values(
    ws: str, capfd: pytest.CaptureFixture[str], server: tuple[str, FakeApi]
) -> None:
    _, api = server
    assert cli(capfd, ws, "open.echo", "--var", "id=42", "--var", "value=[1, 2]")[0] == 0
    assert cli(capfd, ws, "open.echo", "--var", "value=plain text")[0] == 0
    bodies = [json.loads(s.body) for s in api.seen]
    assert bodies == [{"value": [1, 2]}, {"value": "plain text"}]
    assert api.seen[0].path == "/echo/42"
    assert api.seen[1].path == "/echo/5"


def test_var_overrides_workspace_variables(ws: str, capfd: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capfd, ws, "open.echo", "--var", f"sandbox=http://127.0.0.1:{closed_port()}")
    assert code == 1
    assert "connect: connection refused" in err


def test_json_output_is_one_object(ws: str, capfd: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capfd, ws, "open.echo", "--json")
    data = json.loads(out)
    assert code == 0
    assert {"request", "response", "outputs", "error", "elapsed_ms"} <= set(data)
    assert {"status", "headers", "body"} <= set(data["response"])
    assert data["response"]["status"] == 200
    assert data["outputs"]["path"] == "/echo/5"
    assert data["error"] is None
    assert "missing" in data["output_errors"]


def test_non_2xx_exits_1(ws: str, capfd: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capfd, ws, "open.missing")
    assert code == 1
    assert "< HTTP 404" in out
    assert "not a success" in err


def test_unknown_method_suggests(ws: str, capfd: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capfd, ws, "open.ecko")
    assert code == 2
    assert "did you mean 'open.echo'" in err


def test_usage_errors_exit_2(ws: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    assert cli(capfd, ws, "open.echo", "--var", "novalue")[0] == 2
    assert cli(capfd, ws, "justone")[0] == 2
    assert cli(capfd, str(tmp_path / "nope.toml"), "open.echo")[0] == 2


def test_color_only_when_asked() -> None:
    assert "\x1b[" in highlight('{"a": 1}')


def test_printer_highlights_json_on_a_tty(capsys: pytest.CaptureFixture[str]) -> None:
    Printer(Redactor(), color=True).body('{"a": 1}')
    assert "\x1b[" in capsys.readouterr().out


def test_no_secret_in_any_output(
    ws: str, capfd: pytest.CaptureFixture[str], server: tuple[str, FakeApi]
) -> None:
    _, api = server
    transcript: list[str] = []
    codes: list[int] = []
    for target in ("bearer.echo", "basic.echo", "key.echo", "oauth.echo"):
        for extra in ((), ("--json",)):
            code, out, err = cli(capfd, ws, target, *extra)
            codes.append(code)
            transcript += [out, err]
    api.token_fails = True  # the token endpoint now refuses and echoes the secret back
    for extra in ((), ("--json",)):
        code, out, err = cli(capfd, ws, "oauth.echo", *extra)
        assert code == 1
        assert "HTTP 401" in err + out
        transcript += [out, err]
    assert codes == [0] * 8
    text = "\n".join(transcript)
    basic = base64.b64encode(f"{api.username}:{api.password}".encode()).decode()
    secrets = [api.bearer, api.password, api.api_key, api.client_secret, basic, *api.issued]
    assert len(api.issued) == 2  # tokens were really issued (and echoed back by /echo)
    leaked = [s for s in secrets if s in text]
    assert leaked == []
    assert text.count(REDACTED) > 10
