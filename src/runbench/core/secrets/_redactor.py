"""The Redactor: blanks every secret value, in every spelling it takes, and sensitive places.

A secret does not stay in one spelling on its way through a request: a URL carries it
percent-encoded, a JSON body escaped, a Basic header base64-encoded together with the
user name, a wrapped base64 block split across lines, and a server may echo any of these
back. So each known value becomes one regular expression in which every character that
an encoder may rewrite matches all of its encodings (``_spellings``), plus the base64
fragments that any base64 text containing the value must include. All values are joined
into one compiled pattern, rebuilt lazily when a value is added. A text with line breaks
is searched with them taken out, a text that escapes letters too is searched decoded,
and a secret quoted and cut short before an ellipsis is blanked too (``_views``).

Redaction is also by *place*: credential headers (``Authorization``, ``X-Auth-Token``,
``Private-Token``, any header whose name says key/token/secret/session/signature) and
credential query parameters are blanked whatever they hold, and variables declared secret
(``secret = true`` outputs) are blanked by name, so a value too short to search for safely
is still hidden where its place is known (the names: ``_places``).
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from runbench.core.secrets._places import is_sensitive_header, is_sensitive_query
from runbench.core.secrets._spellings import base64_fragments, spelling_pattern, thorough_pattern
from runbench.core.secrets._views import (
    Unbroken,
    decoded,
    exotic,
    has_breaks,
    replace_spans,
    truncated_spans,
)

REDACTED = "••••"
"""What a secret is replaced by, everywhere."""

MIN_SECRET_LENGTH = 4
"""Shorter values are not searched for in free text (they would blank ordinary words); they
are still hidden where their place is known (auth headers, api-key query parameters)."""


_PLAIN_HEADERS_KEPT = 512
"""How many header pairs known to show as they are a Redactor keeps (then starts over)."""
_SCHEMES = frozenset({"bearer", "basic", "token", "digest"})
_PLAIN = re.compile(r"[\r\n…%]|\\[nru]|&#|\.\.\.")
"""What a text needs for one of the slower views (``_views``) to be worth taking."""


_UNREDACTABLE = frozenset({int, float, bool, type(None)})
"""Value types text redaction leaves as they are (only strings carry a secret's text)."""


def _blank(value: str) -> str:
    """A credential header's value: the scheme stays visible (``Bearer ••••``)."""
    scheme, space, _ = value.partition(" ")
    if space and scheme.lower() in _SCHEMES:
        return f"{scheme} {REDACTED}"
    return REDACTED


def _without_password(url: str) -> str:
    """``url`` with the password in its user info blanked (``user:••••@host``)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL at all: free text
        return url
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    netloc = f"{userinfo.partition(':')[0]}:{REDACTED}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


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
        self._values: tuple[str, ...] = ()
        """The values themselves (not their base64 fragments): what a quote cut short by
        an ellipsis is compared with."""
        self._pattern: re.Pattern[str] | None = None
        self._dirty = False
        self._lock = threading.Lock()  # the workbench reads history in worker threads
        self.header_names = {h.lower() for h in headers}
        self.query_names = {q.lower() for q in query}
        self.names: set[str] = set(names)
        """Variables whose values are blanked whatever they hold (``secret = true``)."""
        self.version = 0
        """Bumped whenever what is blanked grows (a cache of redacted values must drop)."""
        self._plain_headers: set[tuple[str, str]] = set()
        """Header pairs seen to show as they are at ``_plain_version`` (see ``headers``)."""
        self._plain_version = 0
        self.add(*values)

    def add(self, *values: str) -> None:
        for value in values:
            if len(value.strip()) < MIN_SECRET_LENGTH or value in self._patterns:
                continue
            pattern = spelling_pattern(value)
            if re.fullmatch(pattern, ""):  # only line breaks and their escapes: never search
                continue
            with self._lock:
                self._patterns[value] = pattern
                self._values += (value,)
                for fragment in base64_fragments(value):
                    self._patterns.setdefault(fragment, spelling_pattern(fragment))
                self._dirty = True
                self.version += 1

    def add_basic(self, username: str, password: str) -> None:
        """Also hide the base64 `user:pass` of a Basic header (servers echo headers back)."""
        self.add(base64.b64encode(f"{username}:{password}".encode()).decode("ascii"))

    def sensitive_header(self, name: str) -> None:
        with self._lock:  # as add(): a lost bump would keep a cached header in clear
            if name.lower() not in self.header_names:
                self.header_names.add(name.lower())
                self.version += 1

    def sensitive_query(self, name: str) -> None:
        with self._lock:
            if name.lower() not in self.query_names:
                self.query_names.add(name.lower())
                self.version += 1

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
        if not self._patterns:  # no secret known (most runs): nothing to compile or scan
            return text
        pattern = self._regex()
        if pattern is None or not text:
            return text
        if _PLAIN.search(text) is None:  # the common case: one scan, nothing else to look at
            return pattern.sub(REDACTED, text)
        if has_breaks(text):
            spans = Unbroken(text).spans(pattern)
            text = replace_spans(text, spans, REDACTED) if spans else text
        else:
            text = pattern.sub(REDACTED, text)
        if exotic(text):
            text = self._decoded(text)
        if "…" in text or "..." in text:
            spans = truncated_spans(text, self._values)
            text = replace_spans(text, spans, REDACTED) if spans else text
        return text

    def _needles(self) -> list[str]:
        """Every value and base64 fragment, as searched for in decoded views."""
        with self._lock:
            return list(self._patterns)

    def _hidden_in(self, text: str, needles: Iterable[str]) -> set[str]:
        """The needles that a decoded view of ``text`` holds (a space maybe as ``+``)."""
        found = set()
        for view in decoded(text):
            for needle in needles:
                if needle in view or (" " in needle and needle.replace(" ", "+") in view):
                    found.add(needle)
        return found

    def _decoded(self, text: str) -> str:
        """Blank values in a text that escapes letters too (``\\u0061``, ``%61``): the slow
        thorough pattern of each value found decoded; what still shows decoded after that
        takes its whole line with it, and if even that is not enough the whole text."""
        needles = self._needles()
        found = self._hidden_in(text, needles)
        if not found:
            return text
        for needle in found:
            text = thorough_pattern(needle).sub(REDACTED, text)
        if not self._hidden_in(text, found):
            return text
        lines = text.splitlines(keepends=True)
        text = "".join(
            REDACTED + line[len(line.rstrip("\r\n")) :] if self._hidden_in(line, found) else line
            for line in lines
        )
        return REDACTED if self._hidden_in(text, found) else text

    def reveals(self, text: str) -> bool:
        """Does ``text`` hold a known secret value (in any spelling)?"""
        pattern = self._regex()
        if pattern is None or not text:
            return False
        if Unbroken(text).search(pattern) if has_breaks(text) else pattern.search(text):
            return True
        return exotic(text) and bool(self._hidden_in(text, self._needles()))

    def is_sensitive_header(self, name: str) -> bool:
        return name.lower() in self.header_names or is_sensitive_header(name)

    def header(self, name: str, value: str) -> str:
        if self.is_sensitive_header(name):
            return _blank(value)
        return self.text(value)

    def headers(self, pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """Credential headers blanked by name, every other value by what it holds (all of
        them searched in one scan: see ``texts``). Most headers repeat from call to call
        (Host, User-Agent, Content-Type, Server), so a pair that showed as it is stays
        known until what is blanked grows (``version``), and is not searched again."""
        plain = self._plain_headers
        version = self.version
        if self._plain_version != version:
            with self._lock:
                plain.clear()
                self._plain_version = version
        names = self.header_names
        result: list[tuple[str, str]] = []
        searched: list[int] = []
        for pair in pairs:
            if pair in plain:
                result.append(pair)
                continue
            name, value = pair
            if name.lower() in names or is_sensitive_header(name):
                pair = (name, _blank(value))
            elif value:
                searched.append(len(result))
            result.append(pair)
        if searched:
            self._search_header_values(result, searched, version)
        return result

    def _search_header_values(
        self, result: list[tuple[str, str]], searched: list[int], version: int
    ) -> None:
        """Redact ``result``'s values at ``searched`` in place; remember those unchanged."""
        values = [result[index][1] for index in searched]
        shown = self.texts(values) if self._regex() is not None else values
        unchanged = []
        for index, before, after in zip(searched, values, shown, strict=True):
            if after is before or after == before:
                unchanged.append(result[index])
            else:
                result[index] = (result[index][0], after)
        with self._lock:  # remembered only if no secret or name arrived meanwhile
            if self.version == version == self._plain_version:
                if len(self._plain_headers) > _PLAIN_HEADERS_KEPT:
                    self._plain_headers.clear()
                self._plain_headers.update(unchanged)

    def texts(self, texts: Sequence[str]) -> list[str]:
        """``text`` of each of ``texts``. They are searched joined, once: when that finds
        no secret and nothing that needs a slower view, none of them changes (a pattern
        has no anchors or lookarounds, so a match inside one text is a match in the
        joined text; a match across two only costs the text-by-text path)."""
        pattern = self._regex()
        if pattern is None:
            return list(texts)
        joined = "\x00".join(texts)
        if _PLAIN.search(joined) is None and pattern.search(joined) is None:
            return list(texts)
        return [self.text(text) for text in texts]

    def url(self, url: str) -> str:
        """``url`` with sensitive query values and any userinfo password blanked. The query
        is found as ``urlsplit`` finds it (after the first ``?``, before the first ``#``),
        without splitting the rest: only a URL with user info needs that."""
        if "@" in url:
            url = _without_password(url)
        rest, hash_mark, fragment = url.partition("#")
        head, question_mark, query = rest.partition("?")
        if query:
            shown = "&".join(self._query_pair(pair) for pair in query.split("&"))
            if shown != query:
                url = f"{head}{question_mark}{shown}{hash_mark}{fragment}"
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
        if not self._patterns and not self.names:  # no secret known: nothing to blank
            return dict(values)
        return {name: self.variable(name, value) for name, value in values.items()}

    def stored(self, values: Mapping[str, Any]) -> Mapping[str, Any]:
        """:meth:`variables` for what is stored on every delivery: ``values`` itself (no
        copy) when nothing in it is blanked, without a walk when nothing could be (no
        secret known, or only numbers, booleans and nulls under names not secret)."""
        if not values or not (self._patterns or self.names):
            return values
        if all(type(v) in _UNREDACTABLE for v in values.values()) and self.names.isdisjoint(values):
            return values
        redacted = self.variables(values)
        return values if redacted == values else redacted

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
    "Redactor",
]
