"""What a Screen mixin (``StyledOnce``, ``LaidOutOnce``) derives from: ``Screen`` for the type
checker, so the mixin may call and override the screen's methods, and ``object`` at run time,
so the mixin sits before the real Screen class in the MRO without a second copy of it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.screen import Screen

    ScreenMixinBase = Screen[Any]
else:
    ScreenMixinBase = object
