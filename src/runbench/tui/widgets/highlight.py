"""Syntax highlighting without tree-sitter: pygments tokens and ``<<variable>>`` marks.

``TextArea(language=...)`` needs tree-sitter, which runbench does not depend on. The body
editor instead fills TextArea's highlight map itself from pygments tokens (JSON) plus the
spans of every ``<<reference>>`` that ``parse_template`` reports, so a variable without a
test value or a malformed reference stands out while typing. The response viewer uses the
same style names per visible line, so both panes look alike and huge bodies are only ever
highlighted where they are on screen.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pygments.token import Token, _TokenType, is_token_subtype
from rich.style import Style

from runbench.core.errors import ExpressionError
from runbench.core.expressions import parse_template

if TYPE_CHECKING:
    from pygments.lexer import Lexer

Span = tuple[int, int, str]
"""(start, end, style name) in characters of the whole text."""

VARIABLE = "rb.variable"
VARIABLE_UNSET = "rb.variable.unset"
TEMPLATE_ERROR = "rb.error"

SYNTAX_STYLES: dict[str, Style] = {
    "json.label": Style(color="#569cd6", bold=True),
    "string": Style(color="#ce9178"),
    "number": Style(color="#b5cea8"),
    "boolean": Style(color="#7daf9c"),
    "json.null": Style(color="#7daf9c", italic=True),
    "punctuation.bracket": Style(color="#a0a0a0"),
    "tag": Style(color="#efcb43"),
    "comment": Style(color="#6a9955"),
    "keyword": Style(color="#c586c0"),
    VARIABLE: Style(color="#111111", bgcolor="#4ec9b0", bold=True),
    VARIABLE_UNSET: Style(color="#111111", bgcolor="#e5c07b", bold=True),
    TEMPLATE_ERROR: Style(color="#ffffff", bgcolor="#c0392b", bold=True, underline=True),
}

_TOKEN_NAMES: tuple[tuple[_TokenType, str], ...] = (
    (Token.Name.Tag, "json.label"),
    (Token.Literal.String, "string"),
    (Token.Literal.Number, "number"),
    (Token.Keyword.Constant, "boolean"),
    (Token.Keyword, "keyword"),
    (Token.Punctuation, "punctuation.bracket"),
    (Token.Name.Attribute, "json.label"),
    (Token.Name.Builtin, "tag"),
    (Token.Comment, "comment"),
)


def token_name(token: _TokenType) -> str | None:
    """The style name of a pygments token type, or None for plain text."""
    for parent, name in _TOKEN_NAMES:
        if is_token_subtype(token, parent):
            return name
    return None


def lexer_for(content_type: str, sample: str) -> Lexer | None:
    """A lexer for a body: by content type, else JSON when it looks like JSON."""
    # pygments' lexers are imported on first use: not on the way to the first frame
    from pygments.lexers import get_lexer_for_mimetype
    from pygments.lexers.data import JsonLexer
    from pygments.util import ClassNotFound

    mime = content_type.split(";")[0].strip().lower()
    if mime.endswith("json") or mime.endswith("+json"):
        return JsonLexer()
    if mime:
        try:
            by_mime: Lexer = get_lexer_for_mimetype(mime)
        except ClassNotFound:
            pass
        else:
            return by_mime
    if sample.lstrip()[:1] in ("{", "["):
        return JsonLexer()
    return None


def lexer_spans(text: str, lexer: Lexer) -> Iterator[Span]:
    for start, token, value in lexer.get_tokens_unprocessed(text):
        name = token_name(token)
        if name and value.strip():
            if name == "boolean" and value == "null":
                name = "json.null"
            yield start, start + len(value), name


@dataclass(frozen=True)
class TemplateReport:
    """What the body editor shows under a template: its variables, and an error if any."""

    variables: tuple[str, ...]
    error: str | None
    error_position: int | None


def template_spans(text: str, known: Collection[str]) -> tuple[list[Span], TemplateReport]:
    """Spans of every ``<<reference>>`` (unset ones marked) and the template's report."""
    try:
        template = parse_template(text)
    except ExpressionError as exc:
        position = getattr(exc, "position", None)
        spans: list[Span] = []
        if isinstance(position, int):
            end = text.find("\n", position)
            spans.append(
                (position, len(text) if end < 0 else max(end, position + 1), TEMPLATE_ERROR)
            )
        reason = getattr(exc, "reason", None) or str(exc).splitlines()[0]
        return spans, TemplateReport((), reason, position)
    spans = [
        (ref.start, ref.end, VARIABLE if ref.name in known else VARIABLE_UNSET)
        for ref in template.refs
    ]
    names = tuple(dict.fromkeys(ref.name for ref in template.refs))
    return spans, TemplateReport(names, None, None)


def line_highlights(
    text: str, spans: Iterable[Span]
) -> dict[int, list[tuple[int, int | None, str]]]:
    """Spans as TextArea wants them: per line, UTF-8 byte offsets (end None = line end)."""
    lines = text.split("\n")
    starts: list[int] = []
    offset = 0
    for line in lines:
        starts.append(offset)
        offset += len(line) + 1
    result: dict[int, list[tuple[int, int | None, str]]] = defaultdict(list)
    for start, end, name in spans:
        row = _row_of(starts, start)
        while row < len(lines) and starts[row] < end:
            line = lines[row]
            first = max(start - starts[row], 0)
            last = min(end - starts[row], len(line))
            if last > first:
                result[row].append((_bytes(line, first), _bytes(line, last), name))
            row += 1
    return result


def _row_of(starts: list[int], offset: int) -> int:
    low, high = 0, len(starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if starts[middle] <= offset:
            low = middle
        else:
            high = middle - 1
    return low


def _bytes(line: str, column: int) -> int:
    head = line[:column]
    return len(head) if head.isascii() else len(head.encode("utf-8"))
