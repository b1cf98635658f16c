"""What a public runbook endpoint accepts: auth (Basic, HMAC signatures), payload parsing
(JSON, forms, Halo webhooks) and the inputs a run starts with. UI- and server-free, so
``serve`` stays a thin Starlette shell over it.
"""

from runbench.core.intake._auth import check_basic
from runbench.core.intake._intake import (
    UNAUTHORIZED,
    Gate,
    Refusal,
    Submission,
    flatten_form_collection,
    halo_context,
    parse_payload,
)

__all__ = [
    "Gate",
    "Refusal",
    "Submission",
    "UNAUTHORIZED",
    "check_basic",
    "flatten_form_collection",
    "halo_context",
    "parse_payload",
]
