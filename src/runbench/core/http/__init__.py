"""runbench's HTTP side: the Executor that runs integration methods, auth, and the records.

Import from here (``from runbench.core.http import Executor, Exchange``); the submodules
are an implementation detail: request building, auth and OAuth2 token
caching, error classification, output coercion, and evaluating outputs of a big body in a
child process.

``call_method`` (one method on its own: `runbench test`, the workbench's ctrl+t) and its
``MethodCall``/``MethodTestRecorder`` are imported on first use (module ``__getattr__``): a run
calls methods through the ``Executor`` and never loads them.
"""

from typing import TYPE_CHECKING, Any

from runbench.core.http._auth import Credentials, TokenCache, token_lifetime
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

if TYPE_CHECKING:
    from runbench.core.http._call import MethodCall, MethodTestRecorder, call_method


def __getattr__(name: str) -> Any:
    """``call_method``, ``MethodCall`` and ``MethodTestRecorder``, imported when first asked for."""
    if name in ("MethodCall", "MethodTestRecorder", "call_method"):
        from runbench.core.http import _call

        return getattr(_call, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ERROR_KINDS",
    "OFFLOAD_THRESHOLD",
    "ClientPool",
    "TlsContexts",
    "MethodCall",
    "MethodTestRecorder",
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
