"""`<<variable>>` templates: parse once, render for the place the text is going.

Halo pastes values into bodies, URLs and headers verbatim, so a quote or a newline in a ticket
summary breaks a JSON body and CR/LF in a value can smuggle a header. A `Template` knows where
each reference sits (inside a JSON string, as a bare JSON value, in a URL path, a query, a
form, a header) and escapes the value for that place. References keep their spans so the
workbench can highlight them and `runbench check` can point at typos before anything runs.

Syntax decisions (see docs/expressions.md):
* `<<` followed by a letter or `_` starts a reference and must be a valid path closed by `>>`;
  a typo is a PathSyntaxError at parse time, not a literal sent to an API. Any other `<<`
  (`a << b`, `<<<`, `<<1`) is plain text.
* `<<<<>>` writes a literal `<<` (needed only before a letter: `<<<<>>name>>` -> `<<name>>`).
  A backslash escape was rejected because `\\` already means something inside JSON strings.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus

from runbench.core.errors import NoMatchError, RenderError, UnknownVariableError
from runbench.core.expressions._paths import CompiledPath, compile_path_at
from runbench.core.expressions._values import render, to_text

LITERAL_OPEN = "<<<<>>"
"""How a template writes a literal `<<`."""


class Context(enum.Enum):
    """Where the rendered text goes; decides how values are escaped."""

    JSON = "json"  # a JSON document: string-aware escaping
    PATH = "path"  # one URL path segment: percent-encoded, '/' included
    QUERY = "query"  # a query-string value: urlencoded (space -> '+')
    HEADER = "header"  # a header value: as is, CR/LF refused
    FORM = "form"  # a form-urlencoded value: urlencoded (space -> '+')
    TEXT = "text"  # plain text: strings raw, other values as JSON


@dataclass(frozen=True)
class VarRef:
    """One `<<...>>` reference; `start`/`end` span it (brackets included) in the template."""

    name: str
    path: CompiledPath
    start: int
    end: int


@dataclass(frozen=True)
class Template:
    """A parsed template; build with `parse_template`. Immutable and reusable."""

    text: str
    parts: tuple[str | VarRef, ...]
    refs: tuple[VarRef, ...] = field(init=False, repr=False, compare=False)
    variables: frozenset[str] = field(init=False, repr=False, compare=False)
    is_single_ref: bool = field(init=False, repr=False, compare=False)
    _in_string: tuple[bool, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        refs = tuple(p for p in self.parts if isinstance(p, VarRef))
        object.__setattr__(self, "refs", refs)
        object.__setattr__(self, "variables", frozenset(r.name for r in refs))
        object.__setattr__(self, "is_single_ref", len(self.parts) == 1 and len(refs) == 1)
        object.__setattr__(self, "_in_string", _json_string_flags(self.parts))

    def render(self, variables: Mapping[str, Any], context: Context = Context.TEXT) -> str:
        """The text with every reference replaced, escaped for `context`.

        Raises UnknownVariableError, NoMatchError (path inside a variable) or RenderError."""
        if self.is_single_ref:  # "<<id>>": a path segment, a query value, a header
            ref = self.refs[0]
            return self._insert(ref, self._value(ref, variables), context, self._in_string[0])
        out: list[str] = []
        for part, in_string in zip(self.parts, self._in_string, strict=True):
            if isinstance(part, str):
                out.append(part)
            else:
                out.append(self._insert(part, self._value(part, variables), context, in_string))
        return "".join(out)

    def render_value(self, variables: Mapping[str, Any]) -> Any:
        """A lone `<<x>>` gives x's typed value (a number stays a number); else TEXT render."""
        if self.is_single_ref:
            return self._value(self.refs[0], variables)
        return self.render(variables, Context.TEXT)

    def _value(self, ref: VarRef, variables: Mapping[str, Any]) -> Any:
        if ref.name not in variables:
            raise UnknownVariableError(
                ref.name, template=self.text, position=ref.start, known=variables.keys()
            )
        try:
            return ref.path.evaluate(variables)
        except NoMatchError as exc:
            where = f"{self.text[ref.start : ref.end]} at position {ref.start + 1}"
            raise NoMatchError(
                f"{exc} (in {where} of template {_excerpt(self.text)})",
                expression=exc.expression,
                segment=exc.segment,
            ) from None

    def _insert(self, ref: VarRef, value: Any, context: Context, in_string: bool) -> str:
        try:
            if context is Context.JSON:
                if not in_string:
                    return render(value, ref.path.raw)
                text = value if isinstance(value, str) else to_text(value)
                return json.dumps(text, ensure_ascii=False)[1:-1]
            text = value if isinstance(value, str) else to_text(value)
        except RenderError as exc:
            raise RenderError(f"variable '{ref.name}' at position {ref.start + 1}: {exc}") from None
        if context is Context.PATH:
            return quote(text, safe="")
        if context is Context.QUERY or context is Context.FORM:
            return quote_plus(text, safe="")
        if context is Context.HEADER and ("\r" in text or "\n" in text):
            raise RenderError(
                f"header injection refused: variable '{ref.name}' (position {ref.start + 1})"
                " contains a line break; remove CR/LF from the value before using it in a header"
            )
        return text


def parse_template(text: str) -> Template:
    """Split `text` into literal parts and references. Raises PathSyntaxError on a malformed
    reference, with the position in `text`."""
    parts: list[str | VarRef] = []
    literal: list[str] = []
    pos = scan = 0
    while (found := text.find("<<", scan)) >= 0:
        if text.startswith(LITERAL_OPEN, found):
            literal += [text[pos:found], "<<"]
            pos = scan = found + len(LITERAL_OPEN)
            continue
        after = text[found + 2 : found + 3]
        if not (after.isalpha() or after == "_"):
            scan = found + 1
            continue
        path, close = compile_path_at(text, found + 2, roots=None, stop=">>")
        literal.append(text[pos:found])
        if "".join(literal):
            parts.append("".join(literal))
        literal = []
        parts.append(VarRef(path.root, path, found, close + 2))
        pos = scan = close + 2
    literal.append(text[pos:])
    if "".join(literal):
        parts.append("".join(literal))
    return Template(text, tuple(parts))


def _json_string_flags(parts: tuple[str | VarRef, ...]) -> tuple[bool, ...]:
    """For each part: is it inside a JSON string literal? Tracked over the literal text only
    (inserted values are escaped, so they never open or close a string)."""
    flags: list[bool] = []
    in_string = False
    for part in parts:
        if isinstance(part, VarRef):
            flags.append(in_string)
            continue
        flags.append(False)
        escaped = False
        for char in part:
            if escaped:
                escaped = False
            elif in_string and char == "\\":
                escaped = True
            elif char == '"':
                in_string = not in_string
    return tuple(flags)


def _excerpt(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
