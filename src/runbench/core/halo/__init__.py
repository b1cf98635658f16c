"""What runbench knows of Halo's API: the catalogue of Halo API actions a runbook step
can call (``ACTIONS``, ``find_action``), each with its verb, path and outputs.
"""

from runbench.core.halo._actions import (
    ACTIONS,
    HaloAction,
    action_ids,
    find_action,
)

__all__ = [
    "ACTIONS",
    "HaloAction",
    "action_ids",
    "find_action",
]
