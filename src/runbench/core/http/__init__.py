"""runbench's HTTP side: the Executor that runs integration methods, auth, and the records.

Import from here (``from runbench.core.http import Executor, Exchange``); the submodules
are an implementation detail: request building (``request``), auth and OAuth2 token
caching (``auth``), error classification (``failures``), output coercion (``coerce``).
"""

from runbench.core.http.auth import Credentials, TokenCache, token_lifetime
from runbench.core.http.coerce import CoercionError, coerce
from runbench.core.http.executor import Executor
from runbench.core.http.records import Exchange, RequestRecord, ResponseRecord
from runbench.core.http.request import BuiltRequest, RequestBuilder

ERROR_KINDS = (
    "timeout",
    "connect",
    "dns",
    "tls",
    "too_large",
    "invalid_json",
    "redirects",
    "protocol",
    "render",
    "auth",
)
"""Every ``Exchange.error_kind`` the executor produces."""

__all__ = [
    "ERROR_KINDS",
    "BuiltRequest",
    "CoercionError",
    "Credentials",
    "Exchange",
    "Executor",
    "RequestBuilder",
    "RequestRecord",
    "ResponseRecord",
    "TokenCache",
    "coerce",
    "token_lifetime",
]
