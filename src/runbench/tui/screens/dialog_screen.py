"""The base of every modal dialog of the workbench: a ``ModalScreen`` styled once as it opens
(``StyledOnce``) and laid out once per change (``LaidOutOnce``), as the workbench's own
screen is. Each dialog used to list both mixins before ``ModalScreen`` itself; a dialog that
forgot one paid a second styling pass, or two more layouts (each drawing the workbench
behind it again), every time it opened."""

from __future__ import annotations

from textual.screen import ModalScreen, ScreenResultType

from runbench.tui.screens.laid_out_once import LaidOutOnce
from runbench.tui.screens.styled_once import StyledOnce


class DialogScreen(StyledOnce, LaidOutOnce, ModalScreen[ScreenResultType]):
    """``class FormDialog(DialogScreen[dict[str, str] | None])``: see the module docstring."""
