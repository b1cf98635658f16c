"""Turn a curl command (as copied from API docs or a browser) into a method. Pure: no I/O.

API docs give examples as curl, so the fastest way to a working method is to paste one.
The command is split like a shell would (``shlex``), the options that shape the request
are read, and the ones that only change how curl behaves (-s, -L, -v, --compressed, ...)
are ignored. Credentials in the command are never copied into the plan: they become
integration auth that reads ``{ env = "NAME" }``, or ``<<variables>>`` in the body, and the
plan lists which environment variables to set. A user and password in the URL
(``https://user:pw@host``) are read like ``-u`` and taken out of the URL, and a URL quoted
in an error message has its password and credential query values blanked. The caller writes the plan to a workspace
(or prints it) and tells the user.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from runbench.core.errors import UsageError
from runbench.core.secrets import Redactor

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


def _split_userinfo(url: str) -> tuple[str, str | None]:
    """``https://user:pw@host/x`` -> (``https://host/x``, ``user:pw``): curl sends URL
    credentials as Basic auth, and they must not stay in a URL that is written or shown."""
    scheme, sep, rest = url.partition("://")
    authority, slash, tail = rest.partition("/")
    if "@" not in authority:
        return url, None
    userinfo, _, host = authority.rpartition("@")
    return f"{scheme}{sep}{host}{slash}{tail}", unquote(userinfo)


def _check_url(url: str) -> None:
    """A UsageError for a URL no request can be sent to (``url`` is without its user info
    already; a key in its query is blanked in the message)."""
    try:
        parts = urlsplit(url)
        port = parts.port  # parses it: a port that is not a number or over 65535 raises
    except ValueError as exc:
        problem = str(exc)
    else:
        problem = "" if parts.hostname else "it has no host"
        if port == 0:
            problem = "port 0 cannot be connected to"
    if problem:
        raise UsageError(
            f"the URL {Redactor().url(url)} is not valid: {problem}; fix it in the curl command"
        )


def _command(
    verb: str | None,
    urls: list[str],
    headers: list[tuple[str, str]],
    data: list[str],
    flags: set[str],
    user: str | None,
) -> CurlCommand:
    if len(urls) != 1:
        shown = ", ".join(Redactor().url(u) for u in urls)
        found = "no URL" if not urls else f"{len(urls)} URLs ({shown})"
        raise UsageError(f"expected exactly one URL in the curl command, found {found}")
    url = urls[0] if "://" in urls[0] else f"http://{urls[0]}"
    url, in_url = _split_userinfo(url)
    _check_url(url)
    user = user if user is not None else in_url
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


__all__ = ["CurlCommand", "parse_curl"]
