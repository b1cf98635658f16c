"""Turn a curl command (as copied from API docs or a browser) into a method. Pure: no I/O.

API docs give examples as curl, so the fastest way to a working method is to paste one.
The command is split like a shell would (``shlex``), the options that shape the request
are read, and the ones that only change how curl behaves (-s, -L, -v, --compressed, ...)
are ignored. Credentials in the command are never copied into the plan: they become
integration auth that reads ``{ env = "NAME" }``, or ``<<variables>>`` in the body, and the
plan lists which environment variables to set. The caller writes the plan to a workspace
(or prints it) and tells the user.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from runbench.core.errors import UsageError

# Short option -> long option (tables as words: data, one place to read them all).
_SHORT_ALIASES: Mapping[str, str] = MappingProxyType(
    dict(
        pair.split("=", 1)
        for pair in (
            "-X=--request -H=--header -d=--data -u=--user -A=--user-agent -e=--referer "
            "-b=--cookie -G=--get -k=--insecure -I=--head -F=--form -T=--upload-file "
            "-o=--output -m=--max-time -w=--write-out -x=--proxy -E=--cert -K=--config "
            "-c=--cookie-jar -r=--range -U=--proxy-user -s=--silent -S=--show-error "
            "-L=--location -v=--verbose -i=--include -f=--fail -g=--globoff -N=--no-buffer "
            "-#=--progress-bar -q=--disable -0=--http1.0 -4=--ipv4 -6=--ipv6"
        ).split()
    )
)
_WITH_ARG = frozenset(
    (
        "--request --header --data --data-raw --data-binary --data-ascii --data-urlencode "
        "--json --user --url --user-agent --referer --cookie --form --upload-file "
        "--oauth2-bearer --output --max-time --connect-timeout --write-out --retry "
        "--retry-delay --retry-max-time --proxy --cacert --capath --cert --key --resolve "
        "--limit-rate --cookie-jar --config --max-redirs --interface --proxy-user --range "
        "--cert-type --key-type"
    ).split()
)
_IGNORED_FLAGS = frozenset(
    (
        "--compressed --fail-with-body --http1.1 --http2 --no-progress-meter --location-trusted "
        "--raw --tr-encoding --ssl-no-revoke --no-keepalive --path-as-is"
    ).split()
)
_KNOWN = _WITH_ARG | _IGNORED_FLAGS | frozenset(_SHORT_ALIASES.values())
_UNSUPPORTED: Mapping[str, str] = MappingProxyType(
    {
        "--form": "multipart forms (-F) are not supported; use a json, form or text body",
        "--upload-file": "uploading files (-T) is not supported",
        "--head": "HEAD requests are not supported (Halo methods use GET, POST, PUT, PATCH, DELETE)",
        "--config": "curl config files (-K) are not read; paste the full command",
    }
)
_SECRET_FIELDS = frozenset(
    "password passwd secret client_secret api_key apikey token access_token refresh_token".split()
)
_SECRET_QUERY = frozenset({"api_key", "apikey", "api-key", "access_token", "token"})
_KEY_HEADERS = frozenset({"x-api-key", "api-key", "apikey"})
_DROPPED_HEADERS = frozenset({"host", "content-length"})
_SECRET_HEADERS = frozenset({"cookie", "proxy-authorization"})
_DEFAULT_TYPES: Mapping[str, str] = MappingProxyType(
    {"json": "application/json", "form": "application/x-www-form-urlencoded"}
)
_VERBS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_HEADER_OPTIONS: Mapping[str, str] = MappingProxyType(
    {"--user-agent": "User-Agent", "--referer": "Referer", "--cookie": "Cookie"}
)


@dataclass(frozen=True)
class CurlCommand:
    """The request a curl command makes."""

    verb: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    data: str | None = None
    json: bool = False
    user: str | None = None
    insecure: bool = False


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


def _tokens(command: str) -> list[str]:
    text = re.sub(r"\\\r?\n", " ", command.strip())
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise UsageError(f"cannot split the curl command: {exc} (check the quotes)") from None
    if tokens[:1] == ["$"]:
        tokens = tokens[1:]
    if not tokens or tokens[0].rsplit("/", 1)[-1] not in ("curl", "curl.exe"):
        raise UsageError("expected a command starting with curl, e.g. 'curl https://api.example/x'")
    return tokens[1:]


def _options(tokens: list[str]) -> list[tuple[str, str]]:
    """(long option, value) pairs in order; URLs come as ("--url", url)."""
    result: list[tuple[str, str]] = []
    items = iter(tokens)
    for token in items:
        if token.startswith("--") and len(token) > 2:
            result.append((token, next(items, "") if token in _WITH_ARG else ""))
        elif token.startswith("-") and len(token) > 1:
            result += _short_cluster(token, items)
        else:
            result.append(("--url", token))
    return result


def _short_cluster(token: str, items: Any) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for index in range(1, len(token)):
        name = _SHORT_ALIASES.get("-" + token[index])
        if name is None:
            raise UsageError(f"unknown curl option -{token[index]} in {token!r}; remove it")
        if name in _WITH_ARG:
            found.append((name, token[index + 1 :] or next(items, "")))
            return found
        found.append((name, ""))
    return found


def parse_curl(command: str) -> CurlCommand:
    """Parse a curl command line. Raises UsageError for what it cannot represent."""
    verb: str | None = None
    urls: list[str] = []
    headers: list[tuple[str, str]] = []
    data: list[str] = []
    flags: set[str] = set()
    user: str | None = None
    for option, value in _options(_tokens(command)):
        if option in _UNSUPPORTED:
            raise UsageError(_UNSUPPORTED[option])
        if option == "--request":
            verb = value.upper()
        elif option == "--url":
            urls.append(value)
        elif option == "--header":
            headers += _header(value)
        elif option in _HEADER_OPTIONS:
            headers.append((_HEADER_OPTIONS[option], value))
        elif option == "--oauth2-bearer":
            headers.append(("Authorization", f"Bearer {value}"))
        elif option == "--user":
            user = value
        elif option.startswith("--data") or option == "--json":
            data.append(_data(option, value))
            flags.add("json" if option == "--json" else "data")
        elif option in ("--get", "--insecure"):
            flags.add(option)
        elif option not in _KNOWN:
            raise UsageError(f"unknown curl option {option}; remove it and try again")
    return _command(verb, urls, headers, data, flags, user)


def _header(value: str) -> list[tuple[str, str]]:
    """``-H 'Name: value'``; ``-H 'Name:'`` (remove a header) and ``-H 'Name;'`` are skipped."""
    name, colon, rest = value.partition(":")
    return [(name.strip(), rest.strip())] if colon and rest.strip() else []


def _data(option: str, value: str) -> str:
    if option in ("--data", "--data-binary", "--data-ascii", "--json") and value.startswith("@"):
        raise UsageError(
            f"{option} {value}: curl reads the body from a file; paste the body itself instead"
        )
    if option == "--data-urlencode":
        name, eq, content = value.partition("=")
        return f"{name}={quote(content, safe='')}" if eq else quote(value, safe="")
    return value


def _command(
    verb: str | None,
    urls: list[str],
    headers: list[tuple[str, str]],
    data: list[str],
    flags: set[str],
    user: str | None,
) -> CurlCommand:
    if len(urls) != 1:
        found = "no URL" if not urls else f"{len(urls)} URLs ({', '.join(urls)})"
        raise UsageError(f"expected exactly one URL in the curl command, found {found}")
    url = urls[0] if "://" in urls[0] else f"http://{urls[0]}"
    body = "&".join(data) if data else None
    if "--get" in flags and body is not None:
        url += ("&" if "?" in url else "?") + body
        body = None
    chosen = verb or ("POST" if body is not None else "GET")
    if chosen not in _VERBS:
        raise UsageError(f"verb {chosen} is not supported; use one of {', '.join(_VERBS)}")
    return CurlCommand(
        chosen, url, tuple(headers), body, "json" in flags, user, "--insecure" in flags
    )


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

    def secret(self, what: str, holds: str) -> dict[str, str]:
        name = env_name(self.integration, what)
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
        raise UsageError(f"{curl.url} is not under the integration's base_url {base_url}")
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
    username, colon, _ = curl.user.partition(":")
    if not colon:
        draft.notes.append("-u had no password (curl would prompt): set it in the env variable")
    auth: dict[str, Any] = {"type": "basic", "username": username}
    if creating and draft.auth is None:
        auth["password"] = draft.secret("password", f"the password of {username}")
    draft.set_auth(auth, "-u", creating)


def _query(text: str, draft: _Draft, creating: bool) -> dict[str, str]:
    query: dict[str, str] = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        if name.lower() in _SECRET_QUERY:
            auth: dict[str, Any] = {"type": "api_key", "in": "query", "name": name}
            if creating and draft.auth is None:
                auth["value"] = draft.secret("api_key", f"the {name} query parameter")
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
        elif lowered in _KEY_HEADERS:
            key_auth: dict[str, Any] = {"type": "api_key", "in": "header", "name": name}
            if creating and draft.auth is None:
                key_auth["value"] = draft.secret("api_key", f"the {name} header")
            draft.set_auth(key_auth, f"header {name}", creating)
        elif lowered in _SECRET_HEADERS:
            draft.notes.append(
                f"dropped header {name}: it carries credentials; use integration auth"
            )
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
            auth["token"] = draft.secret("token", "the token from the Authorization header")
    draft.set_auth(auth, "the Authorization header", creating)


def _body(curl: CurlCommand, draft: _Draft) -> tuple[str, str | None]:
    if curl.data is None:
        return "none", None
    declared = next((v for n, v in curl.headers if n.lower() == "content-type"), "").lower()
    try:
        parsed: Any = json.loads(curl.data)
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
    "CurlCommand",
    "ImportPlan",
    "default_integration_name",
    "default_method_name",
    "env_name",
    "parse_curl",
    "plan_import",
    "url_under",
]
