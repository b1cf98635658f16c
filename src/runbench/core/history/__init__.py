"""Request history: every test of a method, redacted, in ``.runbench/history.db``.

Import from here. ``MethodTestHistory`` records and lists tests; ``exchange_from_dict`` turns a
recorded one back into an ``Exchange`` for the viewer; ``body_diff`` compares two bodies.
"""

from runbench.core.history._diff import body_diff
from runbench.core.history._records import exchange_from_dict
from runbench.core.history._store import (
    BODY_CAP,
    DB_NAME,
    HistoryEntry,
    HistoryError,
    MethodTestHistory,
)

__all__ = [
    "BODY_CAP",
    "DB_NAME",
    "HistoryEntry",
    "HistoryError",
    "MethodTestHistory",
    "body_diff",
    "exchange_from_dict",
]
