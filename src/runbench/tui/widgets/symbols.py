"""The few non-ASCII marks the workbench draws, and their ``--ascii`` stand-ins.

Over some SSH sessions and serial consoles only ASCII renders; ``runbench tui --ascii``
swaps these (and the tree guides, and borders via the ``-ascii`` screen class).
Widgets read the set from ``app.symbols`` so there is one switch, not a global.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Symbols:
    mask: str = "••••"
    ok: str = "✓"
    dot: str = "·"
    start: str = "▶"
    ellipsis: str = "…"


UNICODE = Symbols()
ASCII = Symbols(mask="****", ok="ok", dot="|", start=">", ellipsis="...")


def symbols_of(widget: Any) -> Symbols:
    """The app's symbol set (UNICODE when the widget is not in a runbench app)."""
    try:
        found = getattr(widget.app, "symbols", UNICODE)
    except Exception:  # no active app (e.g. rendering in a unit test)
        return UNICODE
    return found if isinstance(found, Symbols) else UNICODE
