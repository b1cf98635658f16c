"""The response filter (``f``): what the user types, as an output path, and what it found.

The filter speaks runbench's output paths (``response^items[status=open]^name``), the
language the method's outputs use, so a filter that works can become an output. People
coming from jq type ``.items[0].name``; a path that starts with ``.`` is read as that
small jq subset (member names, ``["quoted names"]`` and ``[index]``) and rewritten, and
anything jq-only (pipes, ``select``, ``[]``) is pointed at with a caret. Widget-free:
:func:`outcome` says what to show, as text.
"""

from __future__ import annotations

import re

from rich.text import Text

from runbench.core.errors import ExpressionError, PathSyntaxError
from runbench.tui.state.response_scope import Checked

_JQ_STEP = re.compile(r'\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\.?\["((?:[^"\\]|\\.)*)"\]')


def to_output_path(text: str) -> str:
    """``text`` as an output path; a ``.jq.path`` is rewritten (PathSyntaxError if it is
    not in the subset), anything else is taken as it is."""
    text = text.strip()
    if not text.startswith("."):
        return text
    if text == ".":
        return "response"
    parts = ["response"]
    position = 0
    while position < len(text):
        found = _JQ_STEP.match(text, position)
        if found is None:
            raise PathSyntaxError(
                'this jq is not supported here (use member names, ["names"] and [index],'
                " or an output path like response^items[id=3])",
                expression=text,
                position=position,
            )
        name, index, quoted = found.groups()
        if index is not None:
            parts[-1] += f"[{index}]"
        else:
            parts.append(name if name is not None else quoted.replace('\\"', '"'))
        position = found.end()
    return "^".join(parts)


def syntax_error(text: str) -> Text | None:
    """The caret under the first bad character of ``text`` (None when it compiles)."""
    from runbench.core.expressions import compile_path

    try:
        compile_path(to_output_path(text))
    except PathSyntaxError as exc:
        return caret(exc.position, exc.reason, exc.expression)
    except ExpressionError as exc:
        return Text(str(exc), style="red")
    return None


def caret(position: int, reason: str, expression: str) -> Text:
    result = Text(f"{expression}\n", style="bold")
    result.append(" " * position + "^ ", style="bold red")
    result.append(f"{reason} (position {position + 1})", style="red")
    return result


def outcome(checked: Checked) -> tuple[str | None, Text | None]:
    """(the text to show in place of the body, or None; the error to show, or None)."""
    if checked.kind == "value":
        more = f"\n… {checked.more} more characters not shown" if checked.more else ""
        return checked.shown + more, None
    if checked.kind == "syntax":
        return None, caret(checked.position, checked.reason, checked.expression)
    if checked.kind == "no_match":
        where = f" (stopped at {checked.segment})" if checked.segment else ""
        return None, Text(f"no match: {checked.message}{where}", style="yellow")
    return None, Text(checked.message or "no response to filter", style="red")


__all__ = ["caret", "outcome", "syntax_error", "to_output_path"]
