"""curl parsing (pure) and `runbench import-curl` saving into a workspace."""

from __future__ import annotations

import base64
import tomllib
from pathlib import Path

import pytest

from runbench.cli.main import main
from runbench.core.curl import parse_curl, plan_import
from runbench.core.errors import UsageError
from runbench.core.workspace import load_workspace


# -- parsing ----------------------------------------------------------------------------------
def test_simple_get() -> None:
    curl = parse_curl("curl https://api.example.com/v1/users")
    assert (curl.verb, curl.url, curl.data) == ("GET", "https://api.example.com/v1/users", None)


def test_flags_headers_and_data() -> None:
    curl = parse_curl(
        "curl -sSL --compressed -X PUT -H 'Accept: application/json' "
        "--header 'X-Two:  2' --data-raw '{\"a\": 1}' https://h.example/x"
    )
    assert curl.verb == "PUT"
    assert curl.data == '{"a": 1}'
    assert curl.headers == (("Accept", "application/json"), ("X-Two", "2"))


def test_data_implies_post_and_multiple_data_join_with_ampersand() -> None:
    curl = parse_curl("curl https://h.example/f -d a=1 --data b=2 --data-urlencode 'c=x y&z'")
    assert curl.verb == "POST"
    assert curl.data == "a=1&b=2&c=x%20y%26z"


def test_get_flag_moves_data_to_query() -> None:
    curl = parse_curl("curl -G https://h.example/s?q=1 -d page=2 -d size=10")
    assert curl.verb == "GET"
    assert curl.data is None
    assert curl.url == "https://h.example/s?q=1&page=2&size=10"


def test_clustered_short_options_and_attached_values() -> None:
    curl = parse_curl("curl -sXPOST -HX-A:1 -uuser:pw --url https://h.example/p")
    assert curl.verb == "POST"
    assert curl.headers == (("X-A", "1"),)
    assert curl.user == "user:pw"


def test_json_flag_and_line_continuations() -> None:
    curl = parse_curl("curl https://h.example/j \\\n  --json '{\"k\": true}' \\\n  -k")
    assert curl.json
    assert curl.verb == "POST"
    assert curl.insecure
    assert curl.data == '{"k": true}'


def test_url_without_scheme_and_dollar_prompt() -> None:
    assert parse_curl("$ curl localhost:8080/x").url == "http://localhost:8080/x"


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("wget https://x", "starting with curl"),
        ("curl", "exactly one URL"),
        ("curl https://a https://b", "exactly one URL"),
        ("curl -F f=@x https://a", "multipart"),
        ("curl -d @body.json https://a", "from a file"),
        ("curl -I https://a", "HEAD"),
        ("curl --frobnicate https://a", "unknown curl option --frobnicate"),
        ("curl -X OPTIONS https://a", "not supported"),
        ("curl 'https://a", "quotes"),
    ],
)
def test_refusals(command: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_curl(command)


# -- planning ---------------------------------------------------------------------------------
def test_bearer_becomes_env_reference() -> None:
    curl = parse_curl(
        "curl https://api.acme.io/v2/tickets/5 -H 'Authorization: Bearer tok-XYZ-987'"
    )
    plan = plan_import(curl, integration="acme", method="get_ticket")
    assert plan.integration_table == {
        "base_url": "https://api.acme.io",
        "auth": {"type": "bearer", "token": {"env": "ACME_TOKEN"}},
    }
    assert plan.method_table == {"verb": "GET", "path": "/v2/tickets/5"}
    assert plan.env
    assert plan.env[0][0] == "ACME_TOKEN"
    assert "tok-XYZ-987" not in repr(plan)


def test_basic_from_user_and_from_header() -> None:
    plan = plan_import(
        parse_curl("curl -u bob:pw-1234 https://h.example/a"), integration="h", method="m"
    )
    assert plan.integration_table is not None
    assert plan.integration_table["auth"] == {
        "type": "basic",
        "username": "bob",
        "password": {"env": "H_PASSWORD"},
    }
    encoded = base64.b64encode(b"eve:pw-5678").decode()
    plan = plan_import(
        parse_curl(f"curl https://h.example/a -H 'Authorization: Basic {encoded}'"),
        integration="h",
        method="m",
    )
    assert plan.integration_table is not None
    assert plan.integration_table["auth"]["username"] == "eve"
    assert "pw-5678" not in repr(plan)
    assert encoded not in repr(plan)


def test_api_key_header_and_query_and_cookie() -> None:
    curl = parse_curl("curl 'https://h.example/a?api_key=k-1234&x=1' -H 'Cookie: sid=s-999'")
    plan = plan_import(curl, integration="h", method="m")
    assert plan.integration_table is not None
    assert plan.integration_table["auth"] == {
        "type": "api_key",
        "in": "query",
        "name": "api_key",
        "value": {"env": "H_API_KEY"},
    }
    assert plan.method_table["query"] == {"x": "1"}
    assert "headers" not in plan.method_table
    assert "k-1234" not in repr(plan)
    assert "s-999" not in repr(plan)
    assert any("Cookie" in note for note in plan.notes)


def test_body_types_and_secret_body_fields() -> None:
    json_plan = plan_import(
        parse_curl(
            "curl https://h.example/t -H 'Content-Type: application/json' "
            '-d \'{"user": "u", "password": "pw-777"}\''
        ),
        integration="h",
        method="m",
    )
    assert json_plan.method_table["body_type"] == "json"
    assert '"password": "<<password!>>"' in json_plan.method_table["body"]
    assert "headers" not in json_plan.method_table  # the default Content-Type is implied
    form_plan = plan_import(
        parse_curl("curl https://h.example/t -d 'grant_type=x&client_secret=cs-888'"),
        integration="h",
        method="m",
    )
    assert form_plan.method_table["body_type"] == "form"
    assert form_plan.method_table["body"] == "grant_type=x&client_secret=<<client_secret>>"
    text_plan = plan_import(
        parse_curl("curl https://h.example/t -d 'hello there'"), integration="h", method="m"
    )
    assert text_plan.method_table["body_type"] == "text"
    assert "pw-777" not in repr(json_plan)
    assert "cs-888" not in repr(form_plan)


def test_existing_integration_path_is_the_rest() -> None:
    curl = parse_curl(
        "curl 'https://h.example/api/v1/users?active=true' -H 'Authorization: Bearer t-1234'"
    )
    plan = plan_import(curl, integration="h", method="m", base_url="https://h.example/api/")
    assert plan.integration_table is None
    assert plan.env == ()
    assert plan.method_table == {"verb": "GET", "path": "/v1/users", "query": {"active": "true"}}
    with pytest.raises(UsageError, match="not under"):
        plan_import(curl, integration="h", method="m", base_url="https://other.example")


# -- CLI --------------------------------------------------------------------------------------
EXISTING = """\
# my workspace: keep this comment
name = "demo"  # and this one

[variables]
base = "https://halo.example"

[integrations.halo]
base_url = "<<base>>/api"  # templated base
auth = { type = "bearer", token = { env = "HALO_TOKEN" } }
"""


def test_cli_adds_method_to_existing_integration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ws.toml"
    path.write_text(EXISTING, encoding="utf-8")
    code = main(
        [
            "import-curl",
            "curl https://halo.example/api/Tickets/9 -H 'Authorization: Bearer tok-SECRET-1'",
            "--workspace",
            str(path),
            "--integration",
            "halo",
            "--name",
            "ticket",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "added method halo.ticket" in out
    assert "tok-SECRET-1" not in out
    text = path.read_text(encoding="utf-8")
    assert "# my workspace: keep this comment" in text
    assert "# templated base" in text
    assert "tok-SECRET-1" not in text
    method = load_workspace(path).method("halo.ticket")
    assert method is not None
    assert method.path == "/Tickets/9"
    assert method.verb == "GET"


def test_cli_creates_integration_with_env_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ws.toml"
    path.write_text(EXISTING, encoding="utf-8")
    code = main(
        [
            "import-curl",
            "curl -X POST https://api.acme.io/v1/notes -H 'Authorization: "
            'Bearer tok-ACME-2\' --json \'{"text": "hi"}\'',
            "-w",
            str(path),
            "-n",
            "note",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "set ACME_TOKEN" in out
    assert "tok-ACME-2" not in out
    assert "tok-ACME-2" not in path.read_text(encoding="utf-8")
    ws = load_workspace(path)
    acme = ws.integrations["acme"]
    assert acme.base_url == "https://api.acme.io"
    assert acme.auth.type == "bearer"
    assert str(acme.auth.token) == "{env = 'ACME_TOKEN'}"
    assert acme.methods["note"].body_type == "json"
    assert acme.methods["note"].body == '{"text": "hi"}'


def test_cli_refuses_duplicates_and_wrong_base(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ws.toml"
    path.write_text(EXISTING, encoding="utf-8")
    args = ["import-curl", "curl https://halo.example/api/Users", "-w", str(path), "-n", "users"]
    assert main(args) == 0
    assert main(args) == 2
    assert "already exists" in capsys.readouterr().err
    assert main([*args, "--replace"]) == 0
    assert main(["import-curl", "curl https://else.example/x", "-w", str(path), "-i", "halo"]) == 2
    assert "not a prefix" in capsys.readouterr().err


def test_cli_prints_toml_without_workspace(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["import-curl", "curl -u agent:pw-Print-3 'https://x.example/a/b?c=1'"])
    out = capsys.readouterr().out
    assert code == 0
    assert "pw-Print-3" not in out
    data = tomllib.loads(out)
    integration = data["integrations"]["x"]
    assert integration["auth"]["password"] == {"env": "X_PASSWORD"}
    assert integration["methods"]["get_b"] == {"verb": "GET", "path": "/a/b", "query": {"c": "1"}}
    assert "# set X_PASSWORD" in out


@pytest.mark.parametrize("flag", [["--name", "bad name!"], ["--integration", "no/pe"]])
def test_cli_refuses_a_bad_id_and_leaves_the_file_alone(
    tmp_path: Path, flag: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ws.toml"
    path.write_text('# mine\nname = "ws"\n')
    args = ["import-curl", "curl https://api.example/v1/things", "-w", str(path), *flag]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "is not a valid" in err
    assert "letters, digits" in err
    assert path.read_text() == '# mine\nname = "ws"\n'
    assert main(["import-curl", "curl https://api.example/v1/things", *flag]) == 2
