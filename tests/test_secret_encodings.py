"""Secrets in the spellings hostile or merely unusual servers use (issue 14, item 1, the
variants beyond the common ones): Go's and PHP's JSON escapes (``\\u0026``, ``\\u0027``),
encoders that escape every character, JSON inside a URL (``%5Cu00e9``) or inside JSON,
a URL inside a URL (``%252F``), HTML entities, base64 wrapped at 64 or 76 columns (LF or
CRLF, also as ``\\n`` escapes inside a JSON string), a secret split across a line break
with indentation, and a secret quoted in an error message and cut short.

Checked by an oracle that decodes (``secret_oracle``), not by a list of spellings."""

from __future__ import annotations

import base64
import html
import json
import re
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from at_rest import workspace_at_rest
from runbench.cli.main import main
from runbench.core.secrets import REDACTED, Redactor
from secret_oracle import leaks
from servers import FakeApi, local_server

SECRET = "tok/Env&Sec<ret>+42 é'x\"y"


def go_json(text: str) -> str:
    escaped = json.dumps(text)
    for char, code in (("<", "003c"), (">", "003e"), ("&", "0026")):
        escaped = escaped.replace(char, "\\u" + code)
    return escaped.replace("/", "\\/")


def php_hex_json(text: str) -> str:
    """PHP's JSON_HEX_TAG | JSON_HEX_APOS | JSON_HEX_QUOT | JSON_HEX_AMP (upper-case hex)."""
    escaped = json.dumps(text).replace('\\"', "\\u0022")
    for char, code in (("<", "003C"), (">", "003E"), ("&", "0026"), ("'", "0027")):
        escaped = escaped.replace(char, "\\u" + code)
    return escaped


def every_char_escaped(text: str) -> str:
    return "".join(f"\\u{ord(c):04x}" if ord(c) < 0x10000 else c for c in text)


def wrapped(width: int, newline: str, prefix: str = "") -> Callable[[str], str]:
    def encode(text: str) -> str:
        blob = base64.b64encode((prefix + text).encode()).decode()
        return newline.join(blob[i : i + width] for i in range(0, len(blob), width))

    return encode


ENCODERS: dict[str, Callable[[str], str]] = {
    "go": go_json,
    "php": php_hex_json,
    "every char \\u": every_char_escaped,
    "every byte %": lambda t: "".join(f"%{b:02x}" for b in t.encode()),
    "json in a url": lambda t: quote(json.dumps(t), safe=""),
    "go json in a form": lambda t: quote_plus(go_json(t)),
    "json in json": lambda t: json.dumps(json.dumps(t)),
    "url in a url": lambda t: quote(quote(t, safe=""), safe=""),
    "form in a url": lambda t: quote(quote_plus(t), safe=""),
    "html": html.escape,
    "html numeric": lambda t: "".join(f"&#{ord(c)};" for c in t),
    "base64 mime": lambda t: base64.encodebytes(("x" * 50 + t).encode()).decode(),
    "base64 pem crlf": wrapped(64, "\r\n", "yz"),
    "base64 wrapped in json": lambda t: json.dumps(wrapped(20, "\n", "a")(t)),
    "split and indented": lambda t: t[: len(t) // 2] + "\n        " + t[len(t) // 2 :],
    "split in a json string": lambda t: json.dumps(t[:5] + "\r\n" + t[5:]),
}


@pytest.mark.parametrize("name", list(ENCODERS))
def test_unusual_spellings_are_blanked(name: str) -> None:
    shown = Redactor([SECRET]).text("before " + ENCODERS[name](SECRET) + " after")
    assert leaks(shown, [SECRET]) == []


@settings(max_examples=60, deadline=None)
@given(
    secret=st.text(st.characters(exclude_categories=["Cs"]), min_size=6, max_size=24).filter(
        lambda s: len(s.strip()) >= 6
    ),
    before=st.text("ab \n{\"'", max_size=80),
)
@example(secret="0000\\0", before="")  # an escaped backslash right before an escaped \r\n
def test_any_secret_in_any_unusual_spelling(secret: str, before: str) -> None:
    redactor = Redactor([secret])
    for name, encode in ENCODERS.items():
        assert leaks(redactor.text(before + encode(secret)), [secret]) == [], name


@pytest.mark.parametrize("mark", ["…", "...", "...'"])
@pytest.mark.parametrize("cut", [6, 11, 20])
def test_a_secret_quoted_and_cut_short_is_blanked(mark: str, cut: int) -> None:
    quoted = json.dumps(SECRET, ensure_ascii=False)[1:-1]
    shown = Redactor([SECRET]).text(f'output "{quoted[:cut]}{mark} (a string) is not an int')
    assert quoted[:cut] not in shown
    assert shown == f'output "{REDACTED}{mark} (a string) is not an int'


def test_ordinary_text_is_left_alone() -> None:
    text = 'GET /items?page=2%20&q=a\nline two…\n  {"note": "\\u00e9 &amp; &#38;"}'
    assert Redactor([SECRET, "abcdefgh"]).text(text) == text


def test_a_secret_of_line_breaks_and_spaces_is_not_searched() -> None:
    assert Redactor(["\n \\n \r\n   \t"]).text("a b\nc") == "a b\nc"


def test_reveals_sees_unusual_spellings() -> None:
    redactor = Redactor([SECRET])
    assert redactor.reveals(ENCODERS["go"](SECRET))
    assert redactor.reveals(ENCODERS["every char \\u"](SECRET))
    assert redactor.reveals(ENCODERS["base64 pem crlf"](SECRET))
    assert not redactor.reveals("nothing to see")


# -- end to end ---------------------------------------------------------------------------

WORKSPACE = """
[integrations.bearer]
base_url = "{base}"
auth = {{ type = "bearer", token = {{ env = "ENC_TOKEN" }}, header = "X-Thing" }}
[integrations.bearer.methods.echo]
verb = "POST"
path = "/encoded"
query = {{ as = "<<as>>" }}
body_type = "json"
body = '{{"note": "x"}}'
test_values = {{ as = "go" }}

[integrations.oauth]
base_url = "{base}"
auth = {{ type = "oauth2", token_url = "/token", client_id = "client-7", client_secret = {{ secret = "client" }} }}
[integrations.oauth.methods.echo]
path = "/encoded"
query = {{ as = "<<as>>" }}
test_values = {{ as = "go" }}

[runbooks.all]
start = "s0"
"""


def runbook_steps() -> str:
    names = [(integration, name) for name in ENCODERS for integration in ("bearer", "oauth")]
    lines = []
    for index, (integration, name) in enumerate(names):
        following = f"s{index + 1}" if index + 1 < len(names) else "done"
        lines += [
            f"[runbooks.all.steps.s{index}]",
            'kind = "method"',
            f'method = "{integration}.echo"',
            f"args = {{ as = {json.dumps(name)} }}",
            f'on_success = "{following}"',
        ]
    return "\n".join([*lines, "[runbooks.all.steps.done]", 'kind = "end"', ""])


@pytest.fixture
def server() -> Iterator[tuple[str, FakeApi]]:
    api = FakeApi(client_secret="cs-Very/Secret&<9x7>", encoders=ENCODERS)
    with local_server(api) as found:
        yield found


def test_no_unusual_spelling_is_stored_or_printed(
    tmp_path: Path,
    server: tuple[str, FakeApi],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base, api = server
    workspace = tmp_path / "ws.toml"
    text = textwrap.dedent(WORKSPACE.format(base=base)) + runbook_steps()
    workspace.write_text(text, encoding="utf-8")
    monkeypatch.setenv("ENC_TOKEN", SECRET)
    with workspace_at_rest(workspace, {"client": api.client_secret}) as stored:
        assert main(["run", str(workspace), "all", "--json"]) == 0
        outputs = list(capsys.readouterr())
        run_id = json.loads(outputs[0])["run_id"]
        for args in (["runs", str(workspace), run_id], ["runs", str(workspace), run_id, "--json"]):
            assert main(args) == 0
            outputs += capsys.readouterr()
        for name in ("go", "json in json", "base64 wrapped in json", "every char \\u"):
            for method in ("bearer.echo", "oauth.echo"):
                assert main(["test", str(workspace), method, "--var", f"as={name}", "--json"]) == 0
                assert main(["test", str(workspace), method, "--var", f"as={name}"]) == 0
                outputs += capsys.readouterr()
        files = [p.read_bytes().decode("utf-8", "replace") for p in stored.parent.glob("runs.db*")]
    assert len(files) == 3  # the db, its WAL and shared memory were there to search
    secrets = [SECRET, api.client_secret, *api.issued]
    assert [hit for blob in [*outputs, *files] for hit in leaks(blob, secrets)] == []
    shown = "".join(outputs)
    assert re.search(f'X-Thing[\\\\"]*: [\\\\"]*Bearer {REDACTED}', shown)  # echoed, blanked
