"""Which headers and query parameters carry a credential, by name.

Redaction by *place*: what such a header or parameter holds is blanked whatever it is,
so a value too short to search for, or not known to be secret, is still hidden. Split
from the Redactor, which searches text for known values: these are fixed rules.
"""

from __future__ import annotations

import re
from functools import lru_cache

SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "apikey",
        "x-auth-token",
        "private-token",
        "x-access-token",
        "x-csrf-token",
        "x-xsrf-token",
        "x-amz-security-token",
        "x-goog-api-key",
        "ocp-apim-subscription-key",
        "x-vault-token",
        "x-session-token",
        "x-hub-signature",
        "x-hub-signature-256",
    }
)
"""Header names that always carry a credential (lower case); see ``is_sensitive_header``."""

_SENSITIVE_WORDS = re.compile(
    r"(?:^|[-_.])(?:auth|authorization|token|secret|password|passwd|pwd|apikey|api-?key|"
    r"key|session|cookie|signature|credentials?|bearer)(?:$|[-_.])"
)
_NOT_SENSITIVE = frozenset(
    {"idempotency-key", "x-idempotency-key", "sec-websocket-key", "x-request-id"}
)
SENSITIVE_QUERY = frozenset(
    {
        "api_key",
        "apikey",
        "api-key",
        "key",
        "access_token",
        "token",
        "client_secret",
        "password",
        "secret",
        "signature",
        "sig",
        "auth",
        "session",
    }
)
"""Query parameter names whose values are blanked in every URL shown (lower case)."""


@lru_cache(maxsize=4096)
def is_sensitive_header(name: str) -> bool:
    """Does a header called ``name`` carry a credential? (The known names, plus any name
    made of words such as key, token, secret, auth, session, signature.)"""
    lowered = name.strip().lower()
    if lowered in SENSITIVE_HEADERS:
        return True
    if lowered in _NOT_SENSITIVE:
        return False
    return _SENSITIVE_WORDS.search(lowered) is not None


def is_sensitive_query(name: str) -> bool:
    """Does a query parameter called ``name`` carry a credential?"""
    lowered = name.strip().lower()
    return lowered in SENSITIVE_QUERY or (
        lowered not in _NOT_SENSITIVE and _SENSITIVE_WORDS.search(lowered) is not None
    )


__all__ = ["SENSITIVE_HEADERS", "SENSITIVE_QUERY", "is_sensitive_header", "is_sensitive_query"]
