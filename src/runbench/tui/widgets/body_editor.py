"""The body editor: a plain TextArea that highlights JSON and ``<<variables>>`` itself.

tree-sitter is not a dependency, so ``language=`` is never set. Instead
``_build_highlight_map`` (TextArea's hook, called after every edit) is filled from
pygments tokens and the spans of the template's references: a variable with a value is
teal, one without a test value amber, a malformed reference red from the bad character
on. A custom TextArea theme maps those names to colours.
"""

from __future__ import annotations

from collections.abc import Collection

from textual.widgets import TextArea
from textual.widgets.text_area import TextAreaTheme

from runbench.tui.widgets.highlight import (
    SYNTAX_STYLES,
    Span,
    TemplateReport,
    lexer_spans,
    line_highlights,
    template_spans,
)

HIGHLIGHT_LIMIT = 200_000
"""Bodies longer than this (characters) are not highlighted while typing."""
THEME = TextAreaTheme(name="runbench", syntax_styles=dict(SYNTAX_STYLES))


class TemplateArea(TextArea):
    """A TextArea for ``<<template>>`` text; ``known`` names are variables with values."""

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        self.known: frozenset[str] = frozenset()
        self.json_mode = True
        self.report = TemplateReport((), None, None)
        super().__init__(text, id=id, soft_wrap=True, tab_behavior="focus", show_line_numbers=False)
        self.register_theme(THEME)
        self.theme = "runbench"

    def set_context(self, known: Collection[str], json_mode: bool) -> None:
        """Which variables have values, and whether to highlight JSON; re-highlights."""
        self.known = frozenset(known)
        self.json_mode = json_mode
        self._build_highlight_map()
        self.refresh()

    def _build_highlight_map(self) -> None:
        self._line_cache.clear()
        highlights = self._highlights
        highlights.clear()
        text = self.text
        marks, self.report = template_spans(text, getattr(self, "known", frozenset()))
        if len(text) > HIGHLIGHT_LIMIT:
            return
        spans: list[Span] = []
        if getattr(self, "json_mode", False):
            from pygments.lexers import JsonLexer

            spans.extend(lexer_spans(text, JsonLexer()))
        spans.extend(marks)
        for row, items in line_highlights(text, spans).items():
            highlights[row].extend(items)
