"""The workbench's main screen: Textual's ``Screen`` without a full repaint per focus move,
without styling every widget twice at start-up (``StyledOnce``, shared with every dialog:
``Screen.focused`` repainted the whole screen on each Tab, and the first ``ScreenResume``
restyled the ~70 widgets each styled as it mounted a moment before) and without laying out
twice per change or once per resize that changes no size (``LaidOutOnce``, shared too).
"""

from __future__ import annotations

from textual.screen import Screen

from runbench.tui.screens.laid_out_once import LaidOutOnce
from runbench.tui.screens.styled_once import StyledOnce


class WorkbenchScreen(StyledOnce, LaidOutOnce, Screen[None]):
    """The default screen of ``RunbenchApp``; see the module docstring."""
