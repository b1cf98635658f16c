"""Parsed templates by their text: the one cache the executor, its auth and the engine share.

A loop renders the same few templates thousands of times, and parsing is most of the cost
of a render. The cache belongs to an owner (an engine, or an executor used alone), never to
the module, so nothing leaks between runs or tests. It is bounded: past ``limit`` distinct
texts it starts over, which only costs re-parsing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runbench.core.expressions._templates import Context, Template, parse_template


class TemplateCache:
    """``get(text)`` parses once; ``render`` skips parsing for text without ``<<``."""

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self._parsed: dict[str, Template] = {}

    def get(self, text: str) -> Template:
        found = self._parsed.get(text)
        if found is None:
            if len(self._parsed) >= self.limit:
                self._parsed.clear()
            found = self._parsed[text] = parse_template(text)
        return found

    def render(self, text: str, variables: Mapping[str, Any], context: Context) -> str:
        """``text`` rendered in ``context``; text without a ``<<`` comes back as it is."""
        if "<<" not in text:
            return text
        return self.get(text).render(variables, context)
