"""A JSON error reads as one sentence everywhere (red-team finding: a NUL in a JSON body
gave "Invalid control character at at line 1 ...": Python's message ends in "at", and the
builders added " at line" after it)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from runbench.cli.main import main
from runbench.core.files import json_error_reason, json_error_text
from runbench.core.intake import Refusal, parse_payload

NUL_BODY = b'{"a": "x\x00y"}'


def _error(text: str) -> json.JSONDecodeError:
    with pytest.raises(json.JSONDecodeError) as caught:
        json.loads(text)
    return caught.value


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('{"a": "x\x00y"}', "Invalid control character at line 1 column 9"),
        ('{"a": "x', "Unterminated string starting at line 1 column 7"),
        ('{"a": [1, 2}', "Expecting ',' delimiter at line 1 column 12"),
    ],
)
def test_the_text_names_the_place_once(text: str, said: str) -> None:
    assert json_error_text(_error(text)) == said


def test_the_reason_alone_has_no_dangling_at() -> None:
    assert json_error_reason(_error('{"a": "x\x00y"}')) == "Invalid control character"


def test_serve_refuses_a_nul_in_the_body_in_one_sentence() -> None:
    refusal = parse_payload(NUL_BODY, "application/json")
    assert isinstance(refusal, Refusal)
    assert refusal.status == 400
    assert refusal.message == (
        "the body is not valid JSON (Invalid control character at line 1 column 9)"
    )


def test_the_cli_says_where_and_what_without_a_dangling_at(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "nul.json"
    data.write_bytes(NUL_BODY)
    assert main(["import-halo", str(data), "--out", str(tmp_path / "out.toml")]) == 2
    assert main(["eval", "response", "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert f"{data}:1:9: not JSON: Invalid control character\n" in err
    assert f"{data}:1:9: invalid JSON: Invalid control character\n" in err
    assert " at\n" not in err
    assert "at at" not in err


async def test_the_sandbox_says_it_in_one_sentence_too() -> None:
    from runbench.sandbox.app import create_app

    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        resp = await client.post(
            "/openai/v1/completions",
            headers={"Authorization": "Bearer sk-sandbox", "Content-Type": "application/json"},
            content=NUL_BODY,
        )
    assert resp.status_code == 400
    message = resp.json()["error"]["message"]
    assert message == "The body is not valid JSON (Invalid control character at line 1 column 9)."
