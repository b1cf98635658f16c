"""The Redactor finds a secret in every spelling it takes on the way (item 1), by place
(credential headers and query parameters) and by name (secret variables)."""

from __future__ import annotations

import base64
import json
import re
from typing import Literal
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from runbench.core.secrets import MIN_SECRET_LENGTH, REDACTED, Redactor, is_sensitive_header

SECRET = 'p@ss w/rd+"é\\ü'


def spelled(secret: str) -> list[str]:
    """``secret`` as is, percent-encoded (upper- and lower-case hex, ``/`` kept or not,
    ``+`` for a space) and JSON-escaped (``\\/``, ``\\u00e9`` and ``\\u00E9``)."""
    escaped = json.dumps(secret)[1:-1]
    return [
        secret,
        quote(secret, safe=""),
        re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), quote(secret, safe="")),
        quote(secret),
        quote_plus(secret),
        escaped,
        escaped.replace("/", "\\/"),
        re.sub(r"\\u[0-9a-f]{4}", lambda m: "\\u" + m.group()[2:].upper(), escaped),
        json.dumps(secret, ensure_ascii=False)[1:-1],
    ]


@pytest.mark.parametrize("form", spelled(SECRET))
def test_every_spelling_is_blanked(form: str) -> None:
    redactor = Redactor([SECRET])
    assert redactor.text(f"<{form}>") == f"<{REDACTED}>"


@pytest.mark.parametrize("prefix", ["", "a", "ab", "user:", "agent-007:"])
@pytest.mark.parametrize("urlsafe", [False, True])
def test_base64_at_any_alignment(prefix: str, urlsafe: bool) -> None:
    secret = "Hunter2?/>>~~secret"
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    blob = encode(f"{prefix}{secret}".encode()).decode()
    shown = Redactor([secret]).text(f"Basic {blob}")
    assert REDACTED in shown
    assert blob not in shown


SURROGATES: tuple[Literal["Cs"]] = ("Cs",)
"""Lone surrogates cannot be encoded, so no secret is made of them."""


@settings(max_examples=200, deadline=None)
@given(
    secret=st.text(st.characters(exclude_categories=SURROGATES), min_size=6, max_size=30).filter(
        lambda s: len(s.strip()) >= MIN_SECRET_LENGTH  # shorter ones are refused as secrets
    ),
    before=st.text(max_size=5),
    after=st.text(max_size=5),
)
@example(secret="00000\\", before="", after="n")  # "\\n" read as a line break's escape
@example(secret="nabcdef", before="\\", after="")
@example(secret="00000\\", before="\r\n", after="n")  # a real break before: positions kept
def test_any_secret_in_any_common_spelling(secret: str, before: str, after: str) -> None:
    redactor = Redactor([secret])
    for form in spelled(secret):
        assert form not in redactor.text(f"{before}{form}{after}").replace(REDACTED, "\0")


@pytest.mark.parametrize(
    "name",
    [
        "Authorization",
        "X-Auth-Token",
        "Private-Token",
        "X-Api-Key",
        "x-vault-token",
        "Ocp-Apim-Subscription-Key",
        "X-Session",
        "X-Hub-Signature-256",
        "Cookie",
    ],
)
def test_credential_headers_are_blanked_by_name(name: str) -> None:
    assert is_sensitive_header(name)
    assert Redactor().headers([(name, "anything at all")])[0][1] == REDACTED


@pytest.mark.parametrize("name", ["Accept", "Content-Type", "Idempotency-Key", "Keep-Alive"])
def test_ordinary_headers_are_kept(name: str) -> None:
    assert Redactor().headers([(name, "shown")]) == [(name, "shown")]


def test_credential_query_parameters_and_userinfo() -> None:
    url = "https://u:pw@h.example/p?token=1&key=2&client_secret=3&page=4&sig=5"
    assert Redactor().url(url) == (
        f"https://u:{REDACTED}@h.example/p?token={REDACTED}&key={REDACTED}"
        f"&client_secret={REDACTED}&page=4&sig={REDACTED}"
    )


def test_secret_variables_are_blanked_by_name_however_short() -> None:
    redactor = Redactor(names=["pin"])
    assert redactor.variables({"pin": 42, "other": "x"}) == {"pin": REDACTED, "other": "x"}


def test_version_moves_when_more_is_blanked() -> None:
    redactor = Redactor()
    seen = redactor.version
    redactor.add("a-new-secret")
    assert redactor.version > seen
    seen = redactor.version
    redactor.secret_name("token")
    redactor.secret_name("token")  # nothing new: a cache may stay
    assert redactor.version == seen + 1


def test_a_value_shorter_than_the_minimum_once_trimmed_is_not_a_secret_to_blank() -> None:
    redactor = Redactor(["000  \r"])  # 3 characters once trimmed: blanking "000" would blank counts
    assert redactor.text("id 000  \r") == "id 000  \r"
    assert "0000" not in Redactor(["0000  \r"]).text("id 0000  \r")
