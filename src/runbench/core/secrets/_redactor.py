"""The Redactor: blanks every secret value, in every spelling it takes, and sensitive places.

A secret does not stay in one spelling on its way through a request: a URL carries it
percent-encoded (``%2F`` or ``%2f``, ``+`` or ``%20`` for a space), a JSON body escaped
(``\\/``, ``\\u00e9``), a Basic header base64-encoded together with the user name, and a
server may echo any of these back. So each known value becomes one regular expression in
which every character that an encoder may rewrite matches all of its encodings, plus the
base64 fragments that any base64 text containing the value must include (at each of the
three byte alignments, standard and URL-safe alphabets). All values are joined into one
compiled pattern, rebuilt lazily when a value is added.

Redaction is also by *place*: credential headers (``Authorization``, ``X-Auth-Token``,
``Private-Token``, any header whose name says key/token/secret/session/signature) and
credential query parameters are blanked whatever they hold, and variables declared secret
(``secret = true`` outputs) are blanked by name, so a value too short to search for safely
is still hidden where its place is known.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REDACTED = "••••"
"""What a secret is replaced by, everywhere."""

MIN_SECRET_LENGTH = 4
"""Shorter values are not searched for in free text (they would blank ordinary words); they
are still hidden where their place is known (auth headers, api-key query parameters)."""

MIN_BASE64_FRAGMENT = 6
"""Base64 fragments shorter than this are not searched for (too likely to occur by chance)."""

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
        "private-token",
        "x-access-token",
        "x-csrf-token",
        "x-xsrf-token",
        "x-amz-security-token",
        "x-goog-api-key",
        "ocp-apim-subscription-key",
        "x-vault-token",
        "x-session-token",
        "x-hub-signature",
        "x-hub-signature-256",
    }
)
"""Header names that always carry a credential (lower case); see ``is_sensitive_header``."""

_SENSITIVE_WORDS = re.compile(
    r"(?:^|[-_.])(?:auth|authorization|token|secret|password|passwd|pwd|apikey|api-?key|"
    r"key|session|cookie|signature|credentials?|bearer)(?:$|[-_.])"
)
_NOT_SENSITIVE = frozenset(
    {"idempotency-key", "x-idempotency-key", "sec-websocket-key", "x-request-id"}
)
SENSITIVE_QUERY = frozenset(
    {
        "api_key",
        "apikey",
        "api-key",
        "key",
        "access_token",
        "token",
        "client_secret",
        "password",
        "secret",
        "signature",
        "sig",
        "auth",
        "session",
    }
)
"""Query parameter names whose values are blanked in every URL shown (lower case)."""

_SCHEMES = frozenset({"bearer", "basic", "token", "digest"})
_LITERAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_JSON_SHORT = {'"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f", "\n": "\\n"}
_JSON_SHORT.update({"\r": "\\r", "\t": "\\t"})


@lru_cache(maxsize=4096)
def is_sensitive_header(name: str) -> bool:
    """Does a header called ``name`` carry a credential? (The known names, plus any name
    made of words such as key, token, secret, auth, session, signature.)"""
    lowered = name.strip().lower()
    if lowered in SENSITIVE_HEADERS:
        return True
    if lowered in _NOT_SENSITIVE:
        return False
    return _SENSITIVE_WORDS.search(lowered) is not None


def is_sensitive_query(name: str) -> bool:
    """Does a query parameter called ``name`` carry a credential?"""
    lowered = name.strip().lower()
    return lowered in SENSITIVE_QUERY or (
        lowered not in _NOT_SENSITIVE and _SENSITIVE_WORDS.search(lowered) is not None
    )


def _hex_either_case(byte: int) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in f"{byte:02X}")


def _json_escapes(char: str) -> list[str]:
    code = ord(char)
    forms = []
    if char in _JSON_SHORT:
        forms.append(_JSON_SHORT[char])
    if code > 0xFFFF:
        high = 0xD800 + ((code - 0x10000) >> 10)
        low = 0xDC00 + ((code - 0x10000) & 0x3FF)
        return [*forms, f"\\u{high:04x}\\u{low:04x}"]
    if code < 0x20 or code > 0x7E or char in _JSON_SHORT:
        forms.append(f"\\u{code:04x}")
    return forms


@lru_cache(maxsize=512)
def _char_pattern(char: str) -> str:
    """A regex matching ``char`` in every spelling: itself, percent-encoded (either hex
    case; ``+`` for a space), JSON-escaped (``\\/``, ``\\u00e9`` in either case)."""
    if char in _LITERAL:
        return char
    forms = [re.escape(char)]
    forms.append("".join("%" + _hex_either_case(b) for b in char.encode("utf-8")))
    if char == " ":
        forms.append(r"\+")
    for escaped in _json_escapes(char):
        forms.append("".join(_either_case_hex_escape(escaped)))
    return "(?:" + "|".join(dict.fromkeys(forms)) + ")"


def _either_case_hex_escape(escaped: str) -> Iterable[str]:
    """``\\u00e9`` as a regex accepting ``\\u00E9`` too; other escapes literally."""
    for part in re.split(r"(\\u[0-9a-fA-F]{4})", escaped):
        if part.startswith("\\u") and len(part) == 6:
            yield r"\\u" + "".join(
                f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in part[2:]
            )
        elif part:
            yield re.escape(part)


def spelling_pattern(value: str) -> str:
    """A regex matching ``value`` in each of its spellings (character by character)."""
    return "".join(_char_pattern(char) for char in value)


def base64_fragments(value: str) -> set[str]:
    """Parts of the base64 encoding of ``value`` that appear in the base64 of any text
    containing it (whatever comes before it), in both alphabets."""
    raw = value.encode("utf-8")
    found: set[str] = set()
    for offset in range(3):
        stream = b"\0" * offset + raw + b"\0\0"
        encoded = base64.b64encode(stream).decode("ascii")
        first = -(-offset * 8 // 6)  # the first character made only of the value's bits
        last = (offset * 8 + len(raw) * 8) // 6  # one past the last such character
        fragment = encoded[first:last]
        if len(fragment) >= MIN_BASE64_FRAGMENT:
            found.add(fragment)
            found.add(fragment.replace("+", "-").replace("/", "_"))
    return found


def _blank(value: str) -> str:
    """A credential header's value: the scheme stays visible (``Bearer ••••``)."""
    scheme, space, _ = value.partition(" ")
    if space and scheme.lower() in _SCHEMES:
        return f"{scheme} {REDACTED}"
    return REDACTED


class Redactor:
    """Blanks known secret values, sensitive headers/query parameters and secret variables.

    Grows as values are added (tokens arrive mid-run); matching uses one compiled regex,
    rebuilt lazily, and is skipped entirely while no value is known."""

    def __init__(
        self,
        values: Iterable[str] = (),
        *,
        headers: Iterable[str] = (),
        query: Iterable[str] = (),
        names: Iterable[str] = (),
    ) -> None:
        self._patterns: dict[str, str] = {}
        self._pattern: re.Pattern[str] | None = None
        self._dirty = False
        self._lock = threading.Lock()  # the workbench reads history in worker threads
        self.header_names = {h.lower() for h in headers}
        self.query_names = {q.lower() for q in query}
        self.names: set[str] = set(names)
        """Variables whose values are blanked whatever they hold (``secret = true``)."""
        self.version = 0
        """Bumped whenever what is blanked grows (a cache of redacted values must drop)."""
        self.add(*values)

    def add(self, *values: str) -> None:
        for value in values:
            if len(value) < MIN_SECRET_LENGTH or value in self._patterns:
                continue
            with self._lock:
                self._patterns[value] = spelling_pattern(value)
                for fragment in base64_fragments(value):
                    self._patterns.setdefault(fragment, spelling_pattern(fragment))
                self._dirty = True
                self.version += 1

    def add_basic(self, username: str, password: str) -> None:
        """Also hide the base64 `user:pass` of a Basic header (servers echo headers back)."""
        self.add(base64.b64encode(f"{username}:{password}".encode()).decode("ascii"))

    def sensitive_header(self, name: str) -> None:
        self.header_names.add(name.lower())

    def sensitive_query(self, name: str) -> None:
        self.query_names.add(name.lower())

    def secret_name(self, *names: str) -> None:
        """Blank variables called ``names`` wherever variables are shown or stored."""
        if not self.names.issuperset(names):
            self.names.update(names)
            self.version += 1

    def _regex(self) -> re.Pattern[str] | None:
        if self._dirty:
            with self._lock:
                ordered = sorted(self._patterns, key=len, reverse=True)
                source = "|".join(self._patterns[v] for v in ordered)
                self._pattern = re.compile(source) if ordered else None
                self._dirty = False
        return self._pattern

    @property
    def active(self) -> bool:
        """Is any value known (so that text can change)?"""
        return bool(self._patterns)

    def text(self, text: str) -> str:
        """``text`` with every known secret value replaced by REDACTED."""
        pattern = self._regex()
        if pattern is None or not text:
            return text
        return pattern.sub(REDACTED, text)

    def reveals(self, text: str) -> bool:
        """Does ``text`` hold a known secret value (in any spelling)?"""
        pattern = self._regex()
        if pattern is None or not text:
            return False
        return pattern.search(text) is not None

    def is_sensitive_header(self, name: str) -> bool:
        return name.lower() in self.header_names or is_sensitive_header(name)

    def header(self, name: str, value: str) -> str:
        if self.is_sensitive_header(name):
            return _blank(value)
        return self.text(value)

    def headers(self, pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        pattern = self._regex()
        names = self.header_names
        result: list[tuple[str, str]] = []
        for name, value in pairs:
            if name.lower() in names or is_sensitive_header(name):
                value = _blank(value)
            elif pattern is not None and value:
                value = pattern.sub(REDACTED, value)
            result.append((name, value))
        return result

    def url(self, url: str) -> str:
        """``url`` with sensitive query values and any userinfo password blanked."""
        if "@" not in url and "?" not in url:
            return self.text(url)
        try:
            parts = urlsplit(url)
        except ValueError:  # not a URL at all: free text
            return self.text(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, host = netloc.rpartition("@")
            user = userinfo.partition(":")[0]
            netloc = f"{user}:{REDACTED}@{host}" if ":" in userinfo else netloc
        query = parts.query
        if query:
            query = "&".join(self._query_pair(p) for p in query.split("&"))
        if netloc != parts.netloc or query != parts.query:
            url = urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
        return self.text(url)

    def _query_pair(self, pair: str) -> str:
        name, eq, _ = pair.partition("=")
        if eq and (name.lower() in self.query_names or is_sensitive_query(name)):
            return f"{name}={REDACTED}"
        return pair

    def value(self, obj: Any) -> Any:
        """A copy of JSON-like ``obj`` with secrets blanked inside every string. Data nested
        too deeply to walk is blanked whole."""
        if self._regex() is None:
            return obj
        try:
            return self._deep(obj)
        except RecursionError:
            return REDACTED

    def variables(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Variables as they may be stored or shown: secret names blanked, values redacted."""
        return {name: self.variable(name, value) for name, value in values.items()}

    def variable(self, name: str, value: Any) -> Any:
        if name in self.names:
            return REDACTED
        return self.value(value)

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
    "SENSITIVE_HEADERS",
    "SENSITIVE_QUERY",
    "Redactor",
    "base64_fragments",
    "is_sensitive_header",
    "is_sensitive_query",
    "spelling_pattern",
]
