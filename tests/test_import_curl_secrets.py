"""import-curl never writes or echoes a credential (item 4): every header the executor
treats as sensitive becomes an env reference (or is dropped), and a password in the URL is
neither written nor printed, not even in an error message."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbench.cli.main import main
from runbench.core.secrets import is_sensitive_header
from runbench.core.workspace import load_workspace

SECRET = "Zq-Very-Secret-4471"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["import-curl", *args])
    out, err = capsys.readouterr()
    return code, out + err


@pytest.mark.parametrize(
    "header",
    [
        "X-Auth-Token",
        "Private-Token",
        "X-Api-Key",
        "Api-Key",
        "X-Vault-Token",
        "Ocp-Apim-Subscription-Key",
        "X-Access-Token",
        "X-Vendor-Secret",
        "X-Session-Key",
    ],
)
def test_a_sensitive_header_becomes_an_env_reference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], header: str
) -> None:
    assert is_sensitive_header(header)  # the executor redacts it too
    path = tmp_path / "ws.toml"
    command = f"curl https://api.example.com/v1/items -H '{header}: {SECRET}' -H 'Accept: x/y'"
    code, printed = run(capsys, command, "-w", str(path))
    assert code == 0
    text = path.read_text(encoding="utf-8")
    assert SECRET not in text
    assert SECRET not in printed
    integration = load_workspace(path).integrations["example"]
    assert integration.auth.type == "api_key"
    assert integration.auth.name == header
    assert integration.auth.value.__class__.__name__ == "SecretRef"
    assert dict(integration.methods["get_items"].headers) == {"Accept": "x/y"}
    code, printed = run(capsys, command)  # printed TOML, no workspace
    assert code == 0
    assert SECRET not in printed
    assert header in printed


def test_a_second_sensitive_header_is_dropped_never_copied(
    capsys: pytest.CaptureFixture[str],
) -> None:
    command = (
        f"curl https://api.example.com/x -H 'Authorization: Bearer {SECRET}1' "
        f"-H 'X-Auth-Token: {SECRET}2' -H 'Private-Token: {SECRET}3' -b 'sid={SECRET}4'"
    )
    code, printed = run(capsys, command)
    assert code == 0
    assert SECRET not in printed
    assert "dropped header X-Auth-Token" in printed
    assert "dropped header Private-Token" in printed


def test_headers_for_an_existing_integration_are_dropped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ws.toml"
    assert run(capsys, "curl https://api.example.com/a", "-w", str(path))[0] == 0
    code, printed = run(
        capsys, f"curl https://api.example.com/b -H 'X-Auth-Token: {SECRET}'", "-w", str(path)
    )
    assert code == 0
    assert SECRET not in printed + path.read_text(encoding="utf-8")


@pytest.mark.parametrize("password", [SECRET, "p%40ss%2Fw:rd", "é-secret-ü"])
def test_a_password_in_the_url_is_basic_auth_and_never_echoed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], password: str
) -> None:
    path = tmp_path / "ws.toml"
    url = f"https://bob:{password}@api.example.com/v1/users?api_key={SECRET}&page=2"
    code, printed = run(capsys, f"curl '{url}'", "-w", str(path))
    assert code == 0, printed
    text = path.read_text(encoding="utf-8")
    for leaked in (password, SECRET, "p@ss"):
        assert leaked not in text
        assert leaked not in printed
    auth = load_workspace(path).integrations["example"].auth
    assert auth.type == "basic"
    assert auth.username == "bob"
    assert "bob" not in load_workspace(path).integrations["example"].base_url


@pytest.mark.parametrize(
    "args",
    [
        ["curl https://bob:{s}@a.example/x https://bob:{s}@b.example/y"],
        ["curl 'https://api.example.com/x?token={s}'", "--integration", "other"],
        ["curl https://bob:{s}@api.example.com/x", "--integration", "other"],
    ],
    ids=["two urls", "query key, wrong base", "password, wrong base"],
)
def test_error_messages_do_not_echo_credentials(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    path = tmp_path / "ws.toml"
    path.write_text('[integrations.other]\nbase_url = "https://elsewhere.example"\n')
    code, printed = run(capsys, *[a.format(s=SECRET) for a in args], "-w", str(path))
    assert code == 2
    assert SECRET not in printed


@pytest.mark.parametrize(
    "url",
    [
        f"https://agent:{SECRET}@[::1/x",  # an IPv6 host without its closing bracket
        f"https://agent:{SECRET}@api.example.com:99999999/x",  # a port out of range
        f"https://agent:{SECRET}@api.example.com:abc/x",  # a port that is not a number
        f"https://agent:{SECRET}@/x",  # no host
        f"https://api.example.com:70000/x?api_key={SECRET}",
    ],
)
@pytest.mark.parametrize("into_workspace", [False, True])
def test_an_invalid_url_is_a_usage_error_that_hides_the_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, into_workspace: bool
) -> None:
    workspace = tmp_path / "ws.toml"
    workspace.write_text('name = "w"\n', encoding="utf-8")
    extra = ["--workspace", str(workspace), "--integration", "api"] if into_workspace else []
    code, shown = run(capsys, f"curl '{url}'", *extra)
    assert code == 2, shown
    assert "URL" in shown
    assert SECRET not in shown
    assert SECRET not in workspace.read_text(encoding="utf-8")
