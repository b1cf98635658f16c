"""Plan how a parsed curl command becomes a method (and maybe a new integration).

Split from ``runbench.core.curl._parse`` (which parses): planning decides the integration, path,
query, headers and body, and turns every credential it meets into something that is
read at run time, ``{ env = "NAME" }`` auth or a ``<<variable>>``, listing the environment
variables to set. Pure: no I/O; the CLI writes the plan.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from runbench.core.curl._parse import CurlCommand
from runbench.core.errors import UsageError
from runbench.core.files import load_json_text
from runbench.core.secrets import Redactor, is_sensitive_header, is_sensitive_query

_SECRET_FIELDS = frozenset(
    "password passwd secret client_secret api_key apikey token access_token refresh_token".split()
)
_KEY_HEADERS = frozenset({"x-api-key", "api-key", "apikey"})
_DROPPED_HEADERS = frozenset({"host", "content-length"})
_SESSION_HEADERS = frozenset({"cookie", "set-cookie", "proxy-authorization"})
_SHELL_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
_DEFAULT_TYPES: Mapping[str, str] = MappingProxyType(
    {"json": "application/json", "form": "application/x-www-form-urlencoded"}
)


@dataclass(frozen=True)
class ImportPlan:
    """What to write: the integration (None: it exists already) and the method tables.

    ``env`` pairs each environment variable the tables read with what it must hold."""

    integration: str
    method: str
    base_url: str
    integration_table: dict[str, Any] | None
    method_table: dict[str, Any]
    env: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()


# -- planning ---------------------------------------------------------------------------------
def env_name(integration: str, what: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", f"{integration}_{what}").strip("_").upper()


def default_integration_name(url: str) -> str:
    host = urlsplit(url).hostname or "api"
    labels = [p for p in host.split(".") if p not in ("www", "api")]
    if not labels or all(p.isdigit() for p in host.split(".")) or host == "localhost":
        return "api"
    return re.sub(r"[^a-z0-9_]+", "_", labels[0].lower()).strip("_") or "api"


def default_method_name(verb: str, url: str) -> str:
    parts = [p for p in urlsplit(url).path.split("/") if p and not p.isdigit() and "{" not in p]
    last = re.sub(r"[^a-z0-9]+", "_", parts[-1].lower()).strip("_") if parts else "root"
    return f"{verb.lower()}_{last or 'root'}"


def url_under(url: str, base: str) -> str | None:
    """The rest of ``url`` after ``base`` (path + query), or None if ``base`` is no prefix."""
    base = base.rstrip("/")
    if url == base:
        return ""
    if url.startswith(base) and url[len(base)] in "/?":
        return url[len(base) :]
    return None


@dataclass
class _Draft:
    integration: str
    auth: dict[str, Any] | None = None
    env: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def secret(self, what: str, holds: str, given: str = "") -> dict[str, str]:
        """An env reference for a credential; ``given`` as written in the command: a shell
        variable (``$NAME``, as ``export-curl`` writes) keeps its name."""
        named = _SHELL_VARIABLE.fullmatch(given.strip())
        name = named.group(1) if named else env_name(self.integration, what)
        self.env.append((name, holds))
        return {"env": name}

    def set_auth(self, auth: dict[str, Any], source: str, creating: bool) -> None:
        if not creating:
            self.notes.append(f"dropped {source}: the integration's own auth is used instead")
        elif self.auth is not None:
            self.notes.append(f"dropped {source}: auth already comes from an earlier option")
        else:
            self.auth = auth


def plan_import(
    curl: CurlCommand,
    *,
    integration: str,
    method: str,
    base_url: str | None = None,
) -> ImportPlan:
    """Plan the method ``integration.method`` for ``curl``. ``base_url``: the existing
    integration's (rendered) base URL, which must be a prefix of the URL; None creates the
    integration with base_url = scheme://host."""
    creating = base_url is None
    parts = urlsplit(curl.url)
    if base_url is None:
        base_url = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
    rest = url_under(curl.url.split("#")[0], base_url)
    if rest is None:
        shown = Redactor().url(curl.url)
        raise UsageError(f"{shown} is not under the integration's base_url {base_url}")
    draft = _Draft(integration)
    body_type, body = _body(curl, draft)
    headers = _headers(curl, draft, creating, body_type)  # auth: headers, then -u, then query
    _auth_from_user(curl, draft, creating)
    query = _query(urlsplit(rest).query, draft, creating)
    table: dict[str, Any] = {"verb": curl.verb, "path": urlsplit(rest).path or ""}
    if query:
        table["query"] = query
    if headers:
        table["headers"] = headers
    if body is not None:
        table["body_type"] = body_type
        table["body"] = body
    if curl.insecure:
        draft.notes.append(
            "curl had -k (no TLS verification); runbench verifies TLS: set "
            "verify = false or a CA bundle path on the integration if needed"
        )
    integration_table = None
    if creating:
        integration_table = {"base_url": base_url, "auth": draft.auth or {"type": "none"}}
    return ImportPlan(
        integration,
        method,
        base_url,
        integration_table,
        table,
        tuple(draft.env),
        tuple(draft.notes),
    )


def _auth_from_user(curl: CurlCommand, draft: _Draft, creating: bool) -> None:
    if curl.user is None:
        return
    username, colon, password = curl.user.partition(":")
    if not colon:
        draft.notes.append("-u had no password (curl would prompt): set it in the env variable")
    auth: dict[str, Any] = {"type": "basic", "username": username}
    if creating and draft.auth is None:
        auth["password"] = draft.secret("password", f"the password of {username}", password)
    draft.set_auth(auth, "-u", creating)


def _query(text: str, draft: _Draft, creating: bool) -> dict[str, str]:
    query: dict[str, str] = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        if is_sensitive_query(name):
            auth: dict[str, Any] = {"type": "api_key", "in": "query", "name": name}
            if creating and draft.auth is None:
                auth["value"] = draft.secret("api_key", f"the {name} query parameter", value)
            draft.set_auth(auth, f"query parameter {name}", creating)
            continue
        if name in query:
            draft.notes.append(f"query parameter {name} was repeated; kept the last value")
        query[name] = value
    return query


def _headers(curl: CurlCommand, draft: _Draft, creating: bool, body_type: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in curl.headers:
        lowered = name.lower()
        if lowered == "authorization":
            _authorization(value, draft, creating)
        elif lowered in _SESSION_HEADERS:
            draft.notes.append(
                f"dropped header {name}: it carries credentials; use integration auth"
            )
        elif is_sensitive_header(name):  # X-Api-Key, X-Auth-Token, Private-Token, ...
            key_auth: dict[str, Any] = {"type": "api_key", "in": "header", "name": name}
            if creating and draft.auth is None:
                what = "api_key" if lowered in _KEY_HEADERS else name
                key_auth["value"] = draft.secret(what, f"the {name} header", value)
            draft.set_auth(key_auth, f"header {name}", creating)
        elif lowered in _DROPPED_HEADERS:
            continue
        elif lowered == "content-type" and value == _DEFAULT_TYPES.get(body_type):
            continue
        else:
            headers[name] = value
    return headers


def _authorization(value: str, draft: _Draft, creating: bool) -> None:
    scheme, _, credential = value.partition(" ")
    auth: dict[str, Any]
    if scheme.lower() == "basic":
        try:
            username = (
                base64.b64decode(credential.strip(), validate=True).decode().partition(":")[0]
            )
        except (binascii.Error, UnicodeDecodeError):
            username = ""
        auth = {"type": "basic", "username": username}
        if creating and draft.auth is None:
            auth["password"] = draft.secret("password", f"the password of {username}")
    else:
        prefix = scheme if credential else ""
        auth = {"type": "bearer", "prefix": prefix} if prefix != "Bearer" else {"type": "bearer"}
        if creating and draft.auth is None:
            auth["token"] = draft.secret(
                "token", "the token from the Authorization header", credential or scheme
            )
    draft.set_auth(auth, "the Authorization header", creating)


def _body(curl: CurlCommand, draft: _Draft) -> tuple[str, str | None]:
    if curl.data is None:
        return "none", None
    declared = next((v for n, v in curl.headers if n.lower() == "content-type"), "").lower()
    try:
        parsed: Any = load_json_text(curl.data)
    except ValueError:
        parsed = None
    if curl.json or "json" in declared or (not declared and isinstance(parsed, (dict, list))):
        if isinstance(parsed, dict):
            return "json", _json_secrets(curl.data, parsed, draft)
        return "json", curl.data
    if "form" in declared or (
        not declared and re.fullmatch(r"[^=&\s]+=[^&]*(&[^=&\s]+=[^&]*)*", curl.data)
    ):
        return "form", _form_secrets(curl.data, draft)
    return "text", curl.data


def _secret_field(name: str, draft: _Draft) -> str:
    variable = re.sub(r"[^A-Za-z0-9_]+", "_", name)
    draft.notes.append(
        f"body field {name} looked secret: it now reads <<{variable}>>; pass it "
        f"with --var {variable}=... or as a step argument"
    )
    return variable


def _json_secrets(text: str, data: dict[str, Any], draft: _Draft) -> str:
    secret = [k for k, v in data.items() if k.lower() in _SECRET_FIELDS and isinstance(v, str)]
    if not secret:
        return text
    for key in secret:
        data[key] = f"<<{_secret_field(key, draft)}!>>"
    return json.dumps(data, indent=2, ensure_ascii=False)


def _form_secrets(text: str, draft: _Draft) -> str:
    pairs = []
    for pair in text.split("&"):
        name, eq, value = pair.partition("=")
        if eq and name.lower() in _SECRET_FIELDS and value:
            value = f"<<{_secret_field(name, draft)}>>"
        pairs.append(f"{name}{eq}{value}")
    return "&".join(pairs)


__all__ = [
    "ImportPlan",
    "default_integration_name",
    "default_method_name",
    "env_name",
    "plan_import",
    "url_under",
]
