"""Whether the CLI may colour what it prints: one rule for every command.

Colour only goes to a terminal, and never when ``NO_COLOR`` is set to anything
non-empty (https://no-color.org) or the terminal is ``TERM=dumb``. ``FORCE_COLOR``
(non-empty) colours even a pipe, for pagers like ``less -R``. The workbench follows the
same variable through Textual, and `serve`/`sandbox` through uvicorn's log colours.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TextIO


def colour_wanted(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    if env.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or fake stream
        return False
