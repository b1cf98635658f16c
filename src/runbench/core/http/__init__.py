"""runbench's HTTP side: the Executor that runs integration methods, auth, and the records.

Import from here (``from runbench.core.http import Executor, Exchange``); the submodules
are an implementation detail: request building, auth and OAuth2 token
caching, error classification, output coercion, and evaluating outputs of a big body in a
child process.
"""

from runbench.core.http._auth import Credentials, TokenCache, token_lifetime
from runbench.core.http._call import MethodCall, TestRecorder, call_method
from runbench.core.http._clients import ClientPool, TlsContexts
from runbench.core.http._coerce import CoercionError, OutputEvaluator, coerce
from runbench.core.http._executor import Executor
from runbench.core.http._offload import (
    OFFLOAD_THRESHOLD,
    Evaluated,
    OffloadPolicy,
    evaluate_here,
    evaluate_in_child,
)
from runbench.core.http._records import (
    Exchange,
    Headers,
    RequestRecord,
    ResponseRecord,
    output_scope,
)
from runbench.core.http._request import BuiltRequest, RequestBuilder

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
    "OFFLOAD_THRESHOLD",
    "ClientPool",
    "TlsContexts",
    "MethodCall",
    "TestRecorder",
    "call_method",
    "Headers",
    "Evaluated",
    "OffloadPolicy",
    "OutputEvaluator",
    "evaluate_here",
    "evaluate_in_child",
    "output_scope",
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
