"""Secret references, the secrets file, and redaction."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runbench.core.errors import SecretError
from runbench.core.http import Executor
from runbench.core.secrets import REDACTED, Redactor, Secrets, secrets_file
from runbench.core.workspace import Auth, Integration, Method, Output, SecretRef, Workspace
from servers import local_server


def write_secrets(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = secrets_file(tmp_path / "ws.toml")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


def test_env_reference_is_resolved_and_remembered(tmp_path: Path) -> None:
    secrets = Secrets(tmp_path / "ws.toml", {"TOKEN": "tok-123456"})
    assert secrets.resolve(SecretRef("env", "TOKEN")) == "tok-123456"
    assert secrets.known_values() == {"tok-123456"}


def test_literal_values_are_remembered_only_when_sensitive(tmp_path: Path) -> None:
    secrets = Secrets(tmp_path / "ws.toml", {})
    assert secrets.resolve("agent", sensitive=False) == "agent"
    assert secrets.resolve("literal-password") == "literal-password"
    assert secrets.known_values() == {"literal-password"}


def test_missing_env_names_it_and_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(SecretError) as caught:
        Secrets(tmp_path / "ws.toml", {}).resolve(SecretRef("env", "HALO_SECRET"))
    assert "HALO_SECRET is not set" in str(caught.value)
    assert "export" in str(caught.value)


def test_secret_from_file(tmp_path: Path) -> None:
    write_secrets(tmp_path, 'halo = "from-the-file"\n')
    secrets = Secrets(tmp_path / "ws.toml", {})
    assert secrets.resolve(SecretRef("secret", "halo")) == "from-the-file"
    with pytest.raises(SecretError, match="'other' is not in"):
        secrets.resolve(SecretRef("secret", "other"))


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_secrets_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = write_secrets(tmp_path, 'halo = "x"\n', mode=0o644)
    with pytest.raises(SecretError) as caught:
        Secrets(tmp_path / "ws.toml", {}).resolve(SecretRef("secret", "halo"))
    assert "chmod 600" in str(caught.value)
    assert str(path) in str(caught.value)


def test_missing_secrets_file(tmp_path: Path) -> None:
    with pytest.raises(SecretError, match="no secrets file"):
        Secrets(tmp_path / "ws.toml", {}).resolve(SecretRef("secret", "halo"))


def test_broken_secrets_file_does_not_quote_its_lines(tmp_path: Path) -> None:
    write_secrets(tmp_path, 'halo = "top-secret-value\n')
    with pytest.raises(SecretError) as caught:
        Secrets(tmp_path / "ws.toml", {}).resolve(SecretRef("secret", "halo"))
    assert "top-secret-value" not in str(caught.value)


# -- redactor ---------------------------------------------------------------------------------
def test_text_redacts_values_and_their_encodings() -> None:
    redactor = Redactor(["s3cr/t+x y"])
    text = "raw s3cr/t+x y, url s3cr%2Ft%2Bx%20y, form s3cr%2Ft%2Bx+y"
    assert redactor.text(text) == f"raw {REDACTED}, url {REDACTED}, form {REDACTED}"


def test_json_escaped_values_are_redacted() -> None:
    redactor = Redactor(['pa"ss\\word'])
    assert redactor.text('{"p": "pa\\"ss\\\\word"}') == f'{{"p": "{REDACTED}"}}'


def test_short_values_are_not_searched_in_text() -> None:
    redactor = Redactor(["ab"])
    assert redactor.text("abc") == "abc"
    assert redactor.header("Authorization", "Bearer ab") == f"Bearer {REDACTED}"


def test_sensitive_headers_are_blanked_by_name() -> None:
    redactor = Redactor()
    redactor.sensitive_header("X-Custom-Key")
    pairs = [
        ("authorization", "Basic dXNlcjpwdw=="),
        ("Cookie", "sid=1"),
        ("X-Custom-Key", "k"),
        ("Proxy-Authorization", "whatever"),
        ("X-Api-Key", "k2"),
        ("Accept", "a"),
    ]
    assert redactor.headers(pairs) == [
        ("authorization", f"Basic {REDACTED}"),
        ("Cookie", REDACTED),
        ("X-Custom-Key", REDACTED),
        ("Proxy-Authorization", REDACTED),
        ("X-Api-Key", REDACTED),
        ("Accept", "a"),
    ]


def test_url_blanks_sensitive_query_and_userinfo() -> None:
    redactor = Redactor(query=["key"])
    url = "https://u:pw@h.example/p?key=1&x=2&api_key=3"
    assert (
        redactor.url(url)
        == f"https://u:{REDACTED}@h.example/p?key={REDACTED}&x=2&api_key={REDACTED}"
    )


def test_value_redacts_deeply_and_grows() -> None:
    redactor = Redactor()
    data = {"a": ["tok-98765", {"b": "x tok-98765 y"}], "n": 1}
    assert redactor.value(data) is data  # nothing known: no copy
    redactor.add("tok-98765")
    assert redactor.value(data) == {"a": [REDACTED, {"b": f"x {REDACTED} y"}], "n": 1}


async def test_outputs_keep_real_values_but_records_are_redacted(tmp_path: Path) -> None:
    with local_server() as (base, api):
        auth = Auth(type="bearer", token=SecretRef("env", "T"))
        ws = Workspace(
            path=str(tmp_path / "ws.toml"),
            integrations={"api": Integration("api", base, auth=auth)},
        )
        m = Method(
            id="m",
            integration="api",
            path="/echo",
            outputs=(Output("auth", "response^headers^Authorization"),),
        )
        async with Executor(ws, secrets=Secrets(ws.path, {"T": "tok-Echoed-555"})) as ex:
            result = await ex.call(m, {})
    assert result.outputs["auth"] == "Bearer tok-Echoed-555"  # later steps need the real value
    shown = str(result.to_dict())
    assert "tok-Echoed-555" not in shown
    assert REDACTED in shown
    assert result.response is not None
    assert "tok-Echoed-555" not in result.response.body


def test_executor_redactor_learns_values_resolved_elsewhere(tmp_path: Path) -> None:
    ws = Workspace(path=str(tmp_path / "ws.toml"))
    secrets = Secrets(ws.path, {"LATE": "late-secret-value"})
    executor = Executor(ws, secrets=secrets)
    secrets.resolve(SecretRef("env", "LATE"))  # e.g. the engine resolving an endpoint secret
    assert executor.redactor.text("x late-secret-value y") == f"x {REDACTED} y"
