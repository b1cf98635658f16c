"""Write a method as the curl command that sends what `runbench test` sends.

People paste a request into a bug report, a chat or a shell to reproduce it outside the
workbench. The command must be exact (the same URL, headers and body the executor builds,
from the same test values and ``--var`` overrides, with the same ``RequestBuilder``), and it
must be safe to paste anywhere: no credential ever appears in it. Each credential becomes a
shell variable reference (``"$HALO_TOKEN"``): a ``{ env = "NAME" }`` reference keeps its
name, a ``{ secret = "name" }`` one is upper-cased, and a literal in the file gets a name
from the integration (``OPENAI_TOKEN``). The command lists the variables it reads, and
``import-curl`` of it reads ``"$NAME"`` back as ``{ env = "NAME" }``. OAuth2 tokens are
fetched at run time, so the command reads the token from a variable and a comment shows
how to get one. Pure: nothing is resolved, sent or written.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from runbench.core.curl._plan import env_name
from runbench.core.errors import ExpressionError, RenderError
from runbench.core.expressions import Context, TemplateCache
from runbench.core.workspace import Auth, Integration, Method, Secretish, SecretRef, Workspace

_DEFAULT_KEY_HEADER = "X-Api-Key"
_DEFAULT_KEY_PARAM = "api_key"


@dataclass(frozen=True)
class CurlExport:
    """The command (one option a line, joined with `` \\``), the shell variables it reads
    with what each must hold, and notes for the reader."""

    command: str
    variables: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()

    def script(self) -> str:
        """The command after ``# set NAME: ...`` and note comments (pastes into a shell)."""
        lines = [f"# {note}" for note in self.notes]
        lines += [f"# set {name}: {holds}" for name, holds in self.variables]
        return "\n".join([*lines, self.command])


_MARK = "\x00"
"""Brackets a variable name inside rendered text until it is quoted (``\x00NAME\x00``):
text from the workspace may hold a literal ``$``, which must stay literal."""


class _Names:
    """Shell variable names for credentials, collected in order of first use."""

    def __init__(self, integration: str) -> None:
        self.integration = integration
        self.used: dict[str, str] = {}

    def of(self, value: Secretish, what: str, holds: str) -> str:
        """A marked ``$NAME`` reference for the credential ``value``."""
        if isinstance(value, SecretRef):
            name = re.sub(r"[^A-Za-z0-9_]+", "_", value.name).strip("_").upper() or "SECRET"
            holds = f"{holds} ({value.source} {value.name})"
        else:
            name = env_name(self.integration, what)
        self.used.setdefault(name, holds)
        return f"{_MARK}{name}{_MARK}"

    def plain(self, value: Secretish, what: str, holds: str) -> str:
        """A value that is not secret (a username, a client id) inline, unless it is a
        reference, which stays one."""
        return self.of(value, what, holds) if isinstance(value, SecretRef) else value


def export_curl(
    workspace: Workspace, method: Method, overrides: Mapping[str, Any] | None = None
) -> CurlExport:
    """The curl command for ``method`` with its test values, ``overrides`` winning (as in
    ``call_method``). Raises RenderError (an ExpressionError) when a template does not
    render."""
    import httpx  # the HTTP stack only when exporting

    from runbench.core.http import RequestBuilder

    integration = workspace.integrations.get(method.integration)
    if integration is None:
        raise RenderError(f"method {method.ref}: no integration '{method.integration}'")
    extra = dict(overrides or {})
    scope = {**workspace.variables, **extra, **method.test_values, **extra}
    templates = TemplateCache()
    built = RequestBuilder(templates).build(integration, method, scope)
    names = _Names(integration.id)
    notes: list[str] = []
    url = str(httpx.URL(built.url))  # as httpx sends it: spaces and the like encoded
    auth = _Auth(integration, names, notes)
    if method.auth != "none":
        auth.add(scope, templates)
    if auth.query:
        url += ("&" if "?" in url else "?") + "&".join(f"{n}={v}" for n, v in auth.query)
    parts = ["curl"]
    if built.verb != "GET" or built.body is not None:
        parts.append(f"-X {built.verb}")
    parts.append(quote_shell(url))
    if auth.user is not None:
        parts.append(f"-u {quote_shell(auth.user)}")
    for name, value in [*auth.headers, *built.headers]:
        parts.append(f"-H {quote_shell(f'{name}: {value}')}")
    if built.body is not None:
        parts.append(f"--data-raw {quote_shell(built.body.decode('utf-8', 'replace'))}")
    return CurlExport(" \\\n  ".join(parts), tuple(names.used.items()), tuple(notes))


class _Auth:
    """What the integration's auth adds, credentials as marked ``$NAME`` references."""

    def __init__(self, integration: Integration, names: _Names, notes: list[str]) -> None:
        self.integration = integration
        self.names = names
        self.notes = notes
        self.headers: list[tuple[str, str]] = []
        self.query: list[tuple[str, str]] = []
        self.user: str | None = None

    def add(self, scope: Mapping[str, Any], templates: TemplateCache) -> None:
        auth, names = self.integration.auth, self.names
        if auth.type == "api_key":
            value = names.of(auth.value, "api_key", "the API key")
            if auth.location == "query":
                self.query.append((quote_plus(auth.name or _DEFAULT_KEY_PARAM), value))
            else:
                self.headers.append((auth.name or _DEFAULT_KEY_HEADER, value))
        elif auth.type == "bearer":
            token = names.of(auth.token, "token", "the bearer token")
            self.headers.append((auth.header, _prefixed(auth.prefix, token)))
        elif auth.type == "basic":
            username = names.plain(auth.username, "username", "the username")
            self.user = f"{username}:{names.of(auth.password, 'password', 'the password')}"
        elif auth.type == "oauth2":
            token = names.of("", "access_token", "an OAuth2 access token: see the note")
            self.headers.append((auth.header, _prefixed(auth.prefix, token)))
            self.notes.append(self._token_note(auth, scope, templates))

    def _token_note(self, auth: Auth, scope: Mapping[str, Any], templates: TemplateCache) -> str:
        try:
            url = templates.render(auth.token_url, scope, Context.TEXT)
        except ExpressionError:
            url = auth.token_url
        fields = [f"grant_type={auth.grant}"]
        if auth.client_id:
            fields.append(
                f"client_id={self.names.plain(auth.client_id, 'client_id', 'the client id')}"
            )
        if auth.client_secret:
            secret = self.names.of(auth.client_secret, "client_secret", "the client secret")
            fields.append(f"client_secret={secret}")
        if auth.scope:
            fields.append(f"scope={auth.scope}")
        command = " ".join(
            ["curl -X POST", quote_shell(url), *(f"-d {quote_shell(f)}" for f in fields)]
        )
        name = env_name(self.integration.id, "access_token")
        return f"{name} is the access_token that this answers: {command}"


def _prefixed(prefix: str, token: str) -> str:
    return f"{prefix} {token}" if prefix else token


def quote_shell(text: str) -> str:
    """One shell word for ``text``: single quotes, or double quotes (everything special
    escaped) when it reads marked ``$NAME`` variables."""
    if _MARK not in text:
        return shlex.quote(text)
    pieces = text.split(_MARK)
    out = [
        f"${piece}" if odd else re.sub(r'(["\\\\`$])', r"\\\1", piece)
        for odd, piece in ((i % 2 == 1, p) for i, p in enumerate(pieces))
    ]
    return '"' + "".join(out) + '"'


def shown(text: str) -> str:
    """``text`` with marked variables written ``$NAME`` (for notes and messages)."""
    return re.sub(f"{_MARK}([^{_MARK}]*){_MARK}", r"$\1", text)


__all__ = ["CurlExport", "export_curl", "quote_shell"]
