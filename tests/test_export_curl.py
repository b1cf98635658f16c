"""`runbench export-curl`: real curl sends what `runbench test` sends, secrets stay shell
variables, and `import-curl` of the command gives back an equivalent method."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from runbench.cli.main import main
from runbench.core.curl import export_curl, parse_curl, plan_import, quote_shell
from runbench.core.http import call_method
from runbench.core.workspace import load_workspace
from servers import FakeApi, Seen, local_server

WORKSPACE = """\
[variables]
sandbox = "{base}"

[integrations.bearer]
base_url = "<<sandbox>>"
auth = {{ type = "bearer", token = {{ env = "RB_TOKEN" }} }}

[integrations.bearer.methods.post]
verb = "POST"
path = "/echo/<<id>>"
query = {{ q = "<<q>>", fixed = "a b&c" }}
headers = {{ X-Note = "it's \\"quoted\\" $HOME `x`" }}
body = '{{"value": <<value>>, "text": "cost: $5 and \\\\ backslash"}}'
test_values = {{ id = 7, q = "x y", value = "v" }}

[integrations.basic]
base_url = "<<sandbox>>"
auth = {{ type = "basic", username = "agent", password = {{ secret = "rb_password" }} }}

[integrations.basic.methods.get]
path = "/echo"

[integrations.key]
base_url = "<<sandbox>>"
auth = {{ type = "api_key", in = "query", name = "api_key", value = "ak-Literal-Key-1" }}

[integrations.key.methods.get]
path = "/echo"
query = {{ page = "2" }}
"""

SECRETS = {
    "RB_TOKEN": "bt-Token-77",
    "RB_PASSWORD": "pw-Hunter2",
    "KEY_API_KEY": "ak-Literal-Key-1",
}


@pytest.fixture
def server() -> Iterator[tuple[str, FakeApi]]:
    with local_server() as found:
        yield found


def _workspace(tmp_path: Path, base: str) -> Path:
    path = tmp_path / "ws.toml"
    path.write_text(WORKSPACE.format(base=base), encoding="utf-8")
    runbench = tmp_path / ".runbench"
    runbench.mkdir()
    secrets = runbench / "secrets.toml"
    secrets.write_text('rb_password = "pw-Hunter2"\n', encoding="utf-8")
    secrets.chmod(0o600)
    return path


def _compared(seen: Seen) -> tuple[object, ...]:
    """What both senders control (curl and httpx add different defaults of their own)."""
    headers = {k.lower(): v for k, v in seen.headers.items()}
    ours = ("authorization", "content-type", "x-note")
    return (seen.method, seen.path, seen.query, seen.body, {k: headers.get(k) for k in ours})


def _curl(script: str, env: dict[str, str]) -> None:
    assert shutil.which("curl"), "curl is needed for this test"
    subprocess.run(
        ["bash", "-c", script.replace("curl \\\n", "curl -sS -o /dev/null \\\n", 1)],
        env={**os.environ, **env},
        check=True,
        timeout=30,
    )


@pytest.mark.parametrize("ref", ["bearer.post", "basic.get", "key.get"])
def test_curl_sends_what_test_sends(tmp_path: Path, server: tuple[str, FakeApi], ref: str) -> None:
    base, api = server
    workspace = load_workspace(_workspace(tmp_path, base))
    method = workspace.method(ref)
    assert method is not None
    environ = {"RB_TOKEN": SECRETS["RB_TOKEN"]}
    called = asyncio.run(call_method(workspace, method, overrides={}, environ=environ))
    assert called.exchange.ok, called.exchange.error
    exported = export_curl(workspace, method)
    for value in SECRETS.values():
        assert value not in exported.script()
    _curl(exported.script(), {**SECRETS, "RB_PASSWORD": SECRETS["RB_PASSWORD"]})
    by_test, by_curl = api.seen[-2], api.seen[-1]
    assert _compared(by_curl) == _compared(by_test)


def test_secrets_are_named_variables(tmp_path: Path) -> None:
    workspace = load_workspace(_workspace(tmp_path, "https://h.example"))
    bearer = export_curl(workspace, workspace.method("bearer.post"))  # type: ignore[arg-type]
    assert '-H "Authorization: Bearer $RB_TOKEN"' in bearer.command
    assert bearer.variables == (("RB_TOKEN", "the bearer token (env RB_TOKEN)"),)
    basic = export_curl(workspace, workspace.method("basic.get"))  # type: ignore[arg-type]
    assert '-u "agent:$RB_PASSWORD"' in basic.command
    key = export_curl(workspace, workspace.method("key.get"))  # type: ignore[arg-type]
    assert "api_key=$KEY_API_KEY" in key.command
    assert "ak-Literal" not in key.script()


def test_var_overrides_win_as_in_test(tmp_path: Path) -> None:
    workspace = load_workspace(_workspace(tmp_path, "https://h.example"))
    method = workspace.method("bearer.post")
    assert method is not None
    command = export_curl(workspace, method, {"id": 9, "sandbox": "https://o.example"}).command
    assert "https://o.example/echo/9?" in command


def test_quote_shell_keeps_dollars_literal() -> None:
    word = quote_shell('cost $5 `x` "q" \\ \x00NAME\x00 end')
    out = subprocess.run(
        ["bash", "-c", f"printf %s {word}"],
        env={"NAME": "value", "PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out == 'cost $5 `x` "q" \\ value end'


def test_import_of_export_gives_the_same_method(
    tmp_path: Path, server: tuple[str, FakeApi]
) -> None:
    base, api = server
    source = load_workspace(_workspace(tmp_path, base))
    method = source.method("bearer.post")
    assert method is not None
    command = export_curl(source, method).command
    plan = plan_import(parse_curl(command), integration="bearer", method="post")
    assert plan.integration_table is not None
    assert plan.integration_table["auth"] == {"type": "bearer", "token": {"env": "RB_TOKEN"}}
    target = tmp_path / "imported.toml"
    assert (
        main(["import-curl", command, "--workspace", str(target), "-i", "bearer", "-n", "post"])
        == 0
    )
    imported = load_workspace(target).method("bearer.post")
    assert imported is not None
    assert (imported.verb, imported.headers) == (method.verb, method.headers)
    environ = {"RB_TOKEN": SECRETS["RB_TOKEN"]}
    for workspace, each in ((source, method), (load_workspace(target), imported)):
        called = asyncio.run(call_method(workspace, each, overrides={}, environ=environ))
        assert called.exchange.ok
    assert _compared(api.seen[-1]) == _compared(api.seen[-2])


def test_cli_prints_the_script(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _workspace(tmp_path, "https://h.example")
    assert main(["export-curl", str(path), "bearer.post", "--var", "id=3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# set RB_TOKEN:")
    assert "https://h.example/echo/3?" in out
    assert main(["export-curl", str(path), "bearer.nope"]) == 2
