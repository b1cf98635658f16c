"""Control characters kept out of terminals, HTTP field values and log lines (one
definition for every shell; why the three sets differ is in ``_controls``)."""

from runbench.core.controls._controls import (
    TERMINAL_CONTROLS,
    header_control,
    log_safe,
    shown_controls,
    without_controls,
)

__all__ = [
    "TERMINAL_CONTROLS",
    "header_control",
    "log_safe",
    "shown_controls",
    "without_controls",
]
