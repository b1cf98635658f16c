"""The public endpoint's gate without a server: auth, payload forms, input coercion."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest

from runbench.core.errors import SecretError, WorkspaceError
from runbench.core.intake import (
    UNAUTHORIZED,
    Gate,
    Refusal,
    Submission,
    check_basic,
    flatten_form_collection,
    halo_context,
    parse_payload,
)
from runbench.core.secrets import Secrets
from runbench.core.workspace import Endpoint, InputSpec, Runbook, SecretRef, Step

NOW = 1_700_000_000.0
END = {"end": Step(id="end", kind="end")}


def runbook(endpoint: Endpoint | None = None, **inputs: InputSpec) -> Runbook:
    return Runbook(
        id="rb", start="end", steps=END, public=True, endpoint=endpoint or Endpoint(), inputs=inputs
    )


def gate(rb: Runbook, environ: dict[str, str] | None = None, now: float = NOW) -> Gate:
    return Gate(rb, Secrets(Path("/nonexistent/ws.toml"), environ or {}), clock=lambda: now)


def sig(secret: str, body: bytes, algorithm: str = "sha256", encoding: str = "hex") -> str:
    digest = hmac.new(secret.encode(), body, getattr(hashlib, algorithm)).digest()
    return digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# -- auth ---------------------------------------------------------------------------
def test_no_auth_lets_anyone_in() -> None:
    assert gate(runbook()).authenticate({}, b"{}") is None


def test_basic_auth_accepts_only_the_right_pair() -> None:
    g = gate(runbook(Endpoint(auth="basic", username="ops", password="pw")))
    assert g.authenticate({"Authorization": basic("ops", "pw")}, b"") is None
    for value in (
        basic("ops", "pW"),
        basic("op", "pw"),
        basic("ops", ""),
        "Bearer x",
        "Basic !!!",
        "Basic " + base64.b64encode(b"opspw").decode(),
        "",
    ):
        assert g.authenticate({"Authorization": value}, b"") is UNAUTHORIZED
    assert g.authenticate({}, b"") is UNAUTHORIZED


def test_basic_auth_reads_secret_references() -> None:
    end = Endpoint(auth="basic", username="ops", password=SecretRef("env", "HOOK_PW"))
    g = gate(runbook(end), {"HOOK_PW": "s3cret"})
    assert g.authenticate({"authorization": basic("ops", "s3cret")}, b"") is None
    with pytest.raises(SecretError, match="HOOK_PW"):
        gate(runbook(end), {})


def test_check_basic_allows_colons_in_password() -> None:
    assert check_basic(basic("a", "b:c"), b"a", b"b:c")


def _no_openssl_hmac(*_args: object, **_kwargs: object) -> object:
    raise ValueError("unsupported digestmod")  # as OpenSSL says of a digest it lacks


def _changed_openssl_hmac(*_args: object, **_kwargs: object) -> object:
    # _hashlib.hmac_new is private: a later Python may take other arguments
    raise TypeError("hmac_new() got an unexpected keyword argument 'digestmod'")


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "sha512"])
@pytest.mark.parametrize("encoding", ["hex", "base64"])
@pytest.mark.parametrize(
    "keys", ["openssl", "no openssl", "digest not in openssl", "hmac_new changed"]
)
def test_signature_every_algorithm_and_encoding(
    algorithm: str, encoding: str, keys: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Signatures are checked alike whether the gate's keys are OpenSSL's HMAC objects or
    Python's hmac (a Python without OpenSSL, an OpenSSL without the digest, or a private
    ``_hashlib.hmac_new`` that no longer takes these arguments)."""
    target = "runbench.core.intake._auth._openssl_hmac"
    if keys == "no openssl":
        monkeypatch.setattr(target, None)
    elif keys == "digest not in openssl":
        monkeypatch.setattr(target, _no_openssl_hmac)
    elif keys == "hmac_new changed":
        monkeypatch.setattr(target, _changed_openssl_hmac)
    end = Endpoint(auth="signature", secrets=("k1",), algorithm=algorithm, encoding=encoding)
    g = gate(runbook(end))
    body = b'{"a": 1}'
    assert g.authenticate({"X-Signature": sig("k1", body, algorithm, encoding)}, body) is None
    assert (
        g.authenticate({"X-Signature": sig("k2", body, algorithm, encoding)}, body) is UNAUTHORIZED
    )
    assert (
        g.authenticate({"X-Signature": sig("k1", body + b" ", algorithm, encoding)}, body)
        is UNAUTHORIZED
    )


def test_signature_prefix_and_custom_header() -> None:
    end = Endpoint(auth="signature", secrets=("k",), header="X-Hub-Signature-256", prefix="sha256=")
    g = gate(runbook(end))
    good = sig("k", b"x")
    assert g.authenticate({"x-hub-signature-256": "sha256=" + good}, b"x") is None
    assert g.authenticate({"x-hub-signature-256": "sha256=" + good.upper()}, b"x") is None
    assert g.authenticate({"x-hub-signature-256": good}, b"x") is UNAUTHORIZED
    assert g.authenticate({"X-Signature": "sha256=" + good}, b"x") is UNAUTHORIZED


def test_signature_without_prefix_refuses_a_prefixed_value() -> None:
    g = gate(runbook(Endpoint(auth="signature", secrets=("k",))))
    assert g.authenticate({"X-Signature": "sha256=" + sig("k", b"x")}, b"x") is UNAUTHORIZED
    assert g.authenticate({"X-Signature": "zz"}, b"x") is UNAUTHORIZED


def test_signature_rotation_accepts_every_active_secret() -> None:
    end = Endpoint(auth="signature", secrets=("old", SecretRef("env", "NEW")))
    g = gate(runbook(end), {"NEW": "new"})
    for secret in ("old", "new"):
        assert g.authenticate({"X-Signature": sig(secret, b"b")}, b"b") is None
    assert g.authenticate({"X-Signature": sig("other", b"b")}, b"b") is UNAUTHORIZED


def test_signature_needs_a_secret() -> None:
    with pytest.raises(WorkspaceError, match="secret"):
        gate(runbook(Endpoint(auth="signature")))


def test_timestamp_signs_timestamp_dot_body_within_tolerance() -> None:
    end = Endpoint(auth="signature", secrets=("k",), timestamp_header="X-Timestamp", tolerance=300)
    body = b'{"a":1}'

    def headers(ts: str, signed_ts: str | None = None) -> dict[str, str]:
        message = f"{signed_ts or ts}.".encode() + body
        return {"X-Timestamp": ts, "X-Signature": sig("k", message)}

    g = gate(runbook(end))
    assert g.authenticate(headers(str(int(NOW))), body) is None
    assert g.authenticate(headers(str(int(NOW - 300))), body) is None
    assert g.authenticate(headers(str(int(NOW + 300))), body) is None
    assert g.authenticate(headers(str(int(NOW - 301))), body) is UNAUTHORIZED  # replay
    assert g.authenticate(headers(str(int(NOW + 301))), body) is UNAUTHORIZED  # future
    assert g.authenticate(headers(str(int(NOW)), "1"), body) is UNAUTHORIZED  # ts not signed
    assert g.authenticate({"X-Signature": sig("k", body)}, body) is UNAUTHORIZED  # no ts
    assert g.authenticate(headers("soon"), body) is UNAUTHORIZED
    assert g.authenticate(headers("nan"), body) is UNAUTHORIZED
    # The same request replayed later is refused: the clock moved on.
    late = gate(runbook(end), now=NOW + 301)
    assert late.authenticate(headers(str(int(NOW))), body) is UNAUTHORIZED


# -- payloads -----------------------------------------------------------------------
def test_payload_forms() -> None:
    assert parse_payload(b'{"a": 1}', "application/json; charset=utf-8") == {"a": 1}
    assert parse_payload(b'{"a": 1}', "application/vnd.halo+json") == {"a": 1}
    halo = {"formCollection": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": None}]}
    assert parse_payload(json.dumps(halo).encode(), "application/json") == {"a": "1", "b": None}
    assert parse_payload(b"a=1&b=x+y&c=", "application/x-www-form-urlencoded") == {
        "a": "1",
        "b": "x y",
        "c": "",
    }
    assert parse_payload(b"", None) == {}
    assert parse_payload(b"  ", "text/plain") == {}
    assert parse_payload(b" \t\r\n\x0b\x0c", "application/json") == {}  # ASCII whitespace
    assert isinstance(parse_payload(b"\xa0", "application/json"), Refusal)  # not whitespace


@pytest.mark.parametrize(
    ("body", "ctype", "status"),
    [
        (b"{nope", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b"\xff\xfe", "application/json", 400),
        (b"a=\xff", "application/x-www-form-urlencoded", 400),
        (b"hello", "text/plain", 415),
        (b"{}", None, 415),
        (b"--x", "multipart/form-data; boundary=x", 415),
    ],
)
def test_payload_refusals(body: bytes, ctype: str | None, status: int) -> None:
    found = parse_payload(body, ctype)
    assert isinstance(found, Refusal)
    assert found.status == status


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'\xef\xbb\xbf{"a": 1}', ["byte order mark", "offset 0", "without those 3 bytes"]),
        (b'{"a": "\xe9"}', ["not UTF-8", "offset 7", "send it encoded as UTF-8"]),
    ],
)
def test_encoding_refusals_say_what_where_and_what_to_do(body: bytes, says: list[str]) -> None:
    found = parse_payload(body, "application/json")
    assert isinstance(found, Refusal)
    assert found.status == 400
    assert [part for part in says if part not in found.message] == []


def test_flatten_form_collection_skips_junk() -> None:
    assert flatten_form_collection(
        [{"Key": "a", "Value": 1}, "x", {"Value": 2}, {"key": "b", "value": 3}]
    ) == {"a": 1, "b": 3}


def test_halo_context_shapes() -> None:
    assert halo_context({"ticket": {"id": 7}, "action": {"note": "hi"}}) == {
        "ticket": {"id": 7},
        "action": {"note": "hi"},
    }
    assert halo_context({"id": 7, "summary": "s"}) == {
        "ticket": {"id": 7, "summary": "s"},
        "action": {},
    }
    assert halo_context({"ticket": {"id": 7}, "action": "x"})["action"] == {}


# -- inputs -------------------------------------------------------------------------
def admit(rb: Runbook, payload: Any, ctype: str = "application/json") -> Submission | Refusal:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return gate(rb).admit(body, ctype)


TYPED = runbook(
    n=InputSpec("n", "int"),
    f=InputSpec("f", "float", 1.5, True),
    ok=InputSpec("ok", "bool", False, True),
    tags=InputSpec("tags", "array", [], True),
    meta=InputSpec("meta", "object", {}, True),
    name=InputSpec("name", "string", "x", True),
)


def test_inputs_are_coerced_and_defaulted() -> None:
    found = admit(
        TYPED, {"n": "42", "ok": "true", "tags": '["a"]', "meta": '{"k": 1}', "extra": "ignored"}
    )
    assert isinstance(found, Submission)
    assert found.inputs == {
        "n": 42,
        "f": 1.5,
        "ok": True,
        "tags": ["a"],
        "meta": {"k": 1},
        "name": "x",
    }
    assert found.context == {}


def test_inputs_from_form_encoded_and_form_collection() -> None:
    form = admit(TYPED, b"n=7&ok=false&f=2.5", "application/x-www-form-urlencoded")
    assert isinstance(form, Submission)
    assert form.inputs["n"] == 7
    assert form.inputs["f"] == 2.5
    assert form.inputs["ok"] is False
    halo = admit(TYPED, {"formCollection": [{"Key": "n", "Value": "9"}]})
    assert isinstance(halo, Submission)
    assert halo.inputs["n"] == 9


@pytest.mark.parametrize(
    ("payload", "bad"),
    [
        ({}, "n"),
        ({"n": None}, "n"),
        ({"n": "4.5"}, "n"),
        ({"n": "forty"}, "n"),
        ({"n": 1, "ok": "maybe"}, "ok"),
        ({"n": 1, "tags": "not json"}, "tags"),
        ({"n": 1, "tags": {"a": 1}}, "tags"),
        ({"n": 1, "meta": "[1]"}, "meta"),
        ({"n": 1, "f": "fast"}, "f"),
    ],
)
def test_bad_inputs_are_422_naming_the_input(payload: dict[str, Any], bad: str) -> None:
    found = admit(TYPED, payload)
    assert isinstance(found, Refusal)
    assert found.status == 422
    assert list(found.inputs) == [bad]
    assert f"'{bad}'" in found.message
    assert found.body()["inputs"] == {bad: found.inputs[bad]}


def test_every_bad_input_is_named() -> None:
    found = admit(TYPED, {"ok": "maybe"})
    assert isinstance(found, Refusal)
    assert set(found.inputs) == {"n", "ok"}


def test_inputs_from_paths() -> None:
    rb = runbook(
        name=InputSpec("name", "string", source="payload^customer^name!"),
        first=InputSpec("first", "int", 0, True, source="payload^items[0]^id"),
    )
    found = admit(rb, {"customer": {"name": "Acme"}, "items": [{"id": "3"}]})
    assert isinstance(found, Submission)
    assert found.inputs == {"name": "Acme", "first": 3}
    missing = admit(rb, {"customer": {}})
    assert isinstance(missing, Refusal)
    assert list(missing.inputs) == ["name"]


def test_bad_from_path_stops_the_gate() -> None:
    with pytest.raises(WorkspaceError, match="inputs.x.from"):
        gate(runbook(x=InputSpec("x", source="body^a")))


def test_halo_webhook_sets_ticket_and_action() -> None:
    rb = runbook(
        Endpoint(halo_webhook=True),
        ticket_id=InputSpec("ticket_id", "int", source="ticket^id"),
        note=InputSpec("note", "string", "", True, source="action^note!"),
    )
    nested = admit(rb, {"ticket": {"id": "12", "summary": "s"}, "action": {"note": "hi"}})
    assert isinstance(nested, Submission)
    assert nested.context == {"ticket": {"id": "12", "summary": "s"}, "action": {"note": "hi"}}
    assert nested.inputs == {"ticket_id": 12, "note": "hi"}
    flat = admit(rb, {"id": 5, "summary": "top"})
    assert isinstance(flat, Submission)
    assert flat.context == {"ticket": {"id": 5, "summary": "top"}, "action": {}}
    assert flat.inputs == {"ticket_id": 5, "note": ""}


def test_ticket_root_on_a_plain_runbook_is_just_missing() -> None:
    rb = runbook(t=InputSpec("t", "int", 0, True, source="ticket^id"))
    found = admit(rb, {"ticket": {"id": 1}})
    assert isinstance(found, Submission)
    assert found.inputs == {"t": 0}


def test_size_checks() -> None:
    g = gate(runbook(Endpoint(max_body=10)))
    assert g.too_large(None) is None
    assert g.too_large("10") is None
    over = g.too_large("11")
    assert over is not None
    assert over.status == 413
    bad = g.too_large("ten")
    assert bad is not None
    assert bad.status == 400


def test_delivery_id() -> None:
    g = gate(runbook())
    assert g.delivery_id({"X-Delivery-Id": " abc "}) == "abc"
    assert g.delivery_id({"x-delivery-id": ""}) is None
    assert g.delivery_id({}) is None
    assert gate(runbook(Endpoint(delivery_header=""))).delivery_id({"X-Delivery-Id": "a"}) is None
