"""Resolve `{ env = .. }` / `{ secret = .. }` references and keep their values out of output.

A workspace file is shared and committed, so credentials live outside it: in the
environment, or in ``.runbench/secrets.toml`` beside the workspace (readable by its owner
only, like ``~/.ssh``). Every value resolved here is remembered, so the redactor can blank
it wherever it turns up later: request records, response bodies that echo it back, error
messages, the `runbench test` printout. Redaction is by value *and* by place (auth headers,
api-key query parameters), so a credential is hidden even when it was never resolved here
(a literal token in a header) or is too short to search for safely.
"""

from __future__ import annotations

import base64
import json
import os
import re
import stat
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

from runbench.core.errors import SecretError
from runbench.core.workspace import Secretish, SecretRef

REDACTED = "••••"
"""What a secret is replaced by, everywhere."""

MIN_SECRET_LENGTH = 4
"""Shorter values are not searched for in free text (they would blank ordinary words); they
are still hidden where their place is known (auth headers, api-key query parameters)."""

SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "apikey",
        "x-auth-token",
    }
)
SENSITIVE_QUERY = frozenset({"api_key", "apikey", "api-key", "access_token", "client_secret"})
_SCHEMES = frozenset({"bearer", "basic", "token", "digest"})


def secrets_file(workspace_path: str | Path) -> Path:
    """Where the secrets of the workspace at ``workspace_path`` live."""
    return Path(workspace_path).resolve().parent / ".runbench" / "secrets.toml"


class Secrets:
    """Resolves secret references for one workspace and remembers every value it handed out."""

    def __init__(self, workspace_path: str | Path, environ: Mapping[str, str]) -> None:
        self.path = secrets_file(workspace_path)
        self._environ = environ
        self._file: dict[str, str] | None = None
        self._known: set[str] = set()
        self.version = 0
        """Bumped whenever a new value becomes known (redactors resync on change)."""

    def resolve(self, value: Secretish, *, sensitive: bool = True) -> str:
        """The value of ``value``. A literal string is returned as is (and remembered when
        ``sensitive``); references are always remembered. Raises SecretError naming the
        reference and where to set it."""
        if isinstance(value, SecretRef):
            found = self._lookup(value)
            self.remember(found)
            return found
        if sensitive:
            self.remember(value)
        return value

    def remember(self, value: str) -> None:
        """Treat ``value`` as secret from now on (e.g. an OAuth2 access token)."""
        if value and value not in self._known:
            self._known.add(value)
            self.version += 1

    def known_values(self) -> set[str]:
        return set(self._known)

    def _lookup(self, ref: SecretRef) -> str:
        if ref.source == "env":
            try:
                return self._environ[ref.name]
            except KeyError:
                raise SecretError(
                    f"environment variable {ref.name} is not set (needed by {ref}); "
                    f'export {ref.name}=... before running, or use {{ secret = "{ref.name}" }} '
                    f"and put it in {self.path}"
                ) from None
        table = self._load_file()
        if ref.name not in table:
            raise SecretError(
                f'secret {ref.name!r} is not in {self.path}; add a line {ref.name} = "..." '
                "there (the file must be readable by you only: chmod 600)"
            )
        return table[ref.name]

    def _load_file(self) -> dict[str, str]:
        if self._file is None:
            self._file = read_secrets_file(self.path)
        return self._file


def read_secrets_file(path: Path) -> dict[str, str]:
    """The name = "value" pairs of a secrets file; refuses files others can read."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise SecretError(
            f'no secrets file at {path}; create it with name = "value" lines and chmod 600 it'
        ) from None
    if os.name == "posix" and stat.S_IMODE(mode) & 0o077:
        raise SecretError(
            f"{path} is readable by others (mode {stat.S_IMODE(mode):o}); refusing to use it. "
            f"Run: chmod 600 {path}"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        # The parser's message can quote the offending line, which may hold a secret.
        raise SecretError(f"cannot read {path}: {type(exc).__name__}; check its syntax") from None
    bad = [k for k, v in data.items() if not isinstance(v, str)]
    if bad:
        raise SecretError(f'{path}: {", ".join(bad)} must be strings (name = "value")')
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _blank(value: str) -> str:
    """A credential header's value: the scheme stays visible (``Bearer ••••``)."""
    scheme, space, _ = value.partition(" ")
    if space and scheme.lower() in _SCHEMES:
        return f"{scheme} {REDACTED}"
    return REDACTED


def _variants(value: str) -> set[str]:
    """The spellings a secret takes on its way through URLs, forms and JSON."""
    forms = {value, quote(value, safe=""), quote_plus(value, safe=""), json.dumps(value)[1:-1]}
    forms.add(json.dumps(value, ensure_ascii=False)[1:-1])
    return {f for f in forms if len(f) >= MIN_SECRET_LENGTH}


class Redactor:
    """Blanks known secret values and sensitive headers/query parameters.

    Grows as values are added (tokens arrive mid-run); matching uses one compiled regex,
    rebuilt lazily, and is skipped entirely while no value is known."""

    def __init__(
        self,
        values: Iterable[str] = (),
        *,
        headers: Iterable[str] = (),
        query: Iterable[str] = (),
    ) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._dirty = False
        self.header_names = set(SENSITIVE_HEADERS) | {h.lower() for h in headers}
        self.query_names = set(SENSITIVE_QUERY) | {q.lower() for q in query}
        self.add(*values)

    def add(self, *values: str) -> None:
        for value in values:
            for form in _variants(value):
                if form not in self._values:
                    self._values.add(form)
                    self._dirty = True

    def add_basic(self, username: str, password: str) -> None:
        """Also hide the base64 `user:pass` of a Basic header (servers echo headers back)."""
        encoded = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        self.add(encoded)

    def sensitive_header(self, name: str) -> None:
        self.header_names.add(name.lower())

    def sensitive_query(self, name: str) -> None:
        self.query_names.add(name.lower())

    def _regex(self) -> re.Pattern[str] | None:
        if self._dirty:
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in ordered)) if ordered else None
            self._dirty = False
        return self._pattern

    def text(self, text: str) -> str:
        """``text`` with every known secret value replaced by REDACTED."""
        pattern = self._regex()
        if pattern is None or not text:
            return text
        return pattern.sub(REDACTED, text)

    def header(self, name: str, value: str) -> str:
        if name.lower() not in self.header_names:
            return self.text(value)
        return _blank(value)

    def headers(self, pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        pattern = self._regex()
        names = self.header_names
        result: list[tuple[str, str]] = []
        for name, value in pairs:
            if name.lower() in names:
                value = _blank(value)
            elif pattern is not None and value:
                value = pattern.sub(REDACTED, value)
            result.append((name, value))
        return result

    def url(self, url: str) -> str:
        """``url`` with sensitive query values and any userinfo password blanked."""
        if "@" not in url and "?" not in url:
            return self.text(url)
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, host = netloc.rpartition("@")
            user = userinfo.partition(":")[0]
            netloc = f"{user}:{REDACTED}@{host}" if ":" in userinfo else netloc
        query = parts.query
        if query and self.query_names:
            query = "&".join(self._query_pair(p) for p in query.split("&"))
        if netloc != parts.netloc or query != parts.query:
            url = urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
        return self.text(url)

    def _query_pair(self, pair: str) -> str:
        name, eq, _ = pair.partition("=")
        return f"{name}={REDACTED}" if eq and name.lower() in self.query_names else pair

    def value(self, obj: Any) -> Any:
        """A copy of JSON-like ``obj`` with secrets blanked inside every string."""
        if self._regex() is None:
            return obj
        return self._deep(obj)

    def _deep(self, obj: Any) -> Any:
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, Mapping):
            return {self.text(str(k)): self._deep(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self._deep(v) for v in obj]
        return obj


__all__ = [
    "MIN_SECRET_LENGTH",
    "REDACTED",
    "Redactor",
    "Secrets",
    "read_secrets_file",
    "secrets_file",
]
