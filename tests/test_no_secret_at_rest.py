"""End to end (item 1): a runbook that uses every kind of secret runs against a local server
through the CLI; then the whole state folder (journal db and WAL, kept alive by an open
connection) and the output of `run --json`, `runs`, `runs --json` and `test --json` are
searched for every common spelling of every secret value. None may be there."""

from __future__ import annotations

import base64
import json
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from at_rest import workspace_at_rest
from runbench.cli.main import main
from runbench.core.secrets import REDACTED
from servers import FakeApi, local_server

TOKEN = "tok/Env+Secret=42"  # a bearer token from the environment
API_KEY = "ak key/with+plus é"  # from the secrets file, sent in the query string
PASSWORD = "pw:Hunter2/é ü"  # Basic auth, from the environment
CLIENT_SECRET = "cs-Very/Secret+9x7"  # OAuth2 client secret, from the secrets file
SESSION = "sess-ion/Value+77 é"  # captured from a login call by a secret output

WORKSPACE = """
name = "secrets end to end"

[integrations.bearer]
base_url = "{base}"
auth = {{ type = "bearer", token = {{ env = "E2E_TOKEN" }} }}
[integrations.bearer.methods.echo]
path = "/echo"
outputs = {{ Seen = "response^headers^Authorization" }}

[integrations.keyed]
base_url = "{base}"
auth = {{ type = "api_key", in = "query", name = "key", value = {{ secret = "apikey" }} }}
[integrations.keyed.methods.echo]
path = "/echo"
outputs = {{ Query = "response^query" }}

[integrations.basic]
base_url = "{base}"
auth = {{ type = "basic", username = "agent", password = {{ env = "E2E_PASSWORD" }} }}
[integrations.basic.methods.echo]
path = "/echo"
outputs = {{ Headers = "response^headers" }}

[integrations.oauth]
base_url = "{base}"
auth = {{ type = "oauth2", token_url = "/token", client_id = "client-7", client_secret = {{ secret = "client" }} }}
[integrations.oauth.methods.echo]
path = "/echo"
outputs = {{ Auth = "response^headers^Authorization" }}

[integrations.plain]
base_url = "{base}"
[integrations.plain.methods.login]
verb = "POST"
path = "/login"
outputs = {{ session = {{ path = "response^session", secret = true }} }}
[integrations.plain.methods.use]
path = "/echo"
headers = {{ "X-Custom" = "<<session>>" }}
query = {{ s = "<<session>>" }}
body_type = "json"
body = '{{"session": "<<session!>>"}}'
outputs = {{ Echo = "response" }}

[runbooks.all]
start = "bearer"
[runbooks.all.steps.bearer]
kind = "method"
method = "bearer.echo"
on_success = "keyed"
[runbooks.all.steps.keyed]
kind = "method"
method = "keyed.echo"
on_success = "basic"
[runbooks.all.steps.basic]
kind = "method"
method = "basic.echo"
on_success = "oauth"
[runbooks.all.steps.oauth]
kind = "method"
method = "oauth.echo"
on_success = "login"
[runbooks.all.steps.login]
kind = "method"
method = "plain.login"
on_success = "use"
[runbooks.all.steps.use]
kind = "method"
method = "plain.use"
on_success = "done"
[runbooks.all.steps.done]
kind = "end"
message = "session <<session>>, token <<Auth>>, seen <<Seen>>"
"""


def spellings(secret: str) -> set[bytes]:
    """Every common encoding of ``secret``: as is, percent-encoded (both hex cases, with
    ``+`` or ``%20`` for spaces, ``/`` kept or not), JSON-escaped (``\\u00e9`` in both cases,
    ``\\/``), and base64 (both alphabets)."""
    forms = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret, safe="")}
    forms |= {re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), f) for f in list(forms)}
    for ascii_only in (True, False):
        escaped = json.dumps(secret, ensure_ascii=ascii_only)[1:-1]
        forms |= {escaped, escaped.replace("/", "\\/")}
        forms.add(
            re.sub(r"\\u[0-9a-f]{4}", lambda m: m.group().upper().replace("\\U", "\\u"), escaped)
        )
    raw = secret.encode()
    forms |= {
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }
    return {form.encode() for form in forms if len(form) >= 4}


@pytest.fixture
def server() -> Iterator[tuple[str, FakeApi]]:
    api = FakeApi(password=PASSWORD, client_secret=CLIENT_SECRET, session=SESSION)
    with local_server(api) as found:
        yield found


def test_no_spelling_of_any_secret_is_stored_or_printed(
    tmp_path: Path,
    server: tuple[str, FakeApi],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base, api = server
    workspace = tmp_path / "ws.toml"
    workspace.write_text(textwrap.dedent(WORKSPACE.format(base=base)), encoding="utf-8")
    monkeypatch.setenv("E2E_TOKEN", TOKEN)
    monkeypatch.setenv("E2E_PASSWORD", PASSWORD)
    outputs: list[str] = []
    with workspace_at_rest(workspace, {"apikey": API_KEY, "client": CLIENT_SECRET}) as stored:
        assert main(["run", str(workspace), "all", "--json"]) == 0
        out, err = capsys.readouterr()
        outputs += [out, err]
        run_id = json.loads(out)["run_id"]
        for args in (["runs", str(workspace)], ["runs", str(workspace), "--json"]):
            assert main(args) == 0
            outputs += list(capsys.readouterr())
        for args in (["runs", str(workspace), run_id], ["runs", str(workspace), run_id, "--json"]):
            assert main(args) == 0
            outputs += list(capsys.readouterr())
        for method in ("bearer.echo", "keyed.echo", "basic.echo", "oauth.echo", "plain.login"):
            assert main(["test", str(workspace), method, "--json"]) == 0
            outputs += list(capsys.readouterr())
        assert main(["test", str(workspace), "plain.use", "--var", f"session={SESSION}"]) == 0
        outputs += list(capsys.readouterr())
        files = {
            path.name: path.read_bytes()
            for path in stored.parent.iterdir()
            if path.is_file() and path != stored
        }
    assert "runs.db-wal" in files  # the WAL was there to search
    secrets = [TOKEN, API_KEY, PASSWORD, CLIENT_SECRET, SESSION, *api.issued]
    secrets.append(base64.b64encode(f"agent:{PASSWORD}".encode()).decode())
    blobs = {**files, **{f"output {i}": text.encode() for i, text in enumerate(outputs)}}
    found = [
        (secret, spelling, where)
        for secret in secrets
        for spelling in spellings(secret)
        for where, blob in blobs.items()
        if spelling in blob
    ]
    assert found == []
    record = json.loads(outputs[0])
    assert [step["edge"] for step in record["steps"][:-1]] == ["on_success"] * 6  # all ran
    assert (
        record["message"] == f"session {REDACTED}, token Bearer {REDACTED}, seen Bearer {REDACTED}"
    )
    assert record["variables"]["session"] == REDACTED
