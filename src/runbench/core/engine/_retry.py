"""When to try an HTTP step again, and how long to wait first.

Retries live in the engine, not the executor, so each attempt is its own journal row and
its own RetryScheduled event: a user can see that attempt 2 got a 503 and attempt 3
worked. Jitter takes an injected ``random`` so tests pin the delays exactly.

A retry must not repeat a side effect: once a POST or PATCH may have reached the server
(any answer, a read timeout, a dropped connection), it is sent again only when the step
says that is safe (``retry.idempotent = true``). A failure to connect proves nothing was
sent, so it is retried whatever the verb. ``Retry-After`` is read strictly (ASCII digits
or an HTTP date); anything else is ignored rather than trusted.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Callable
from typing import Any

from runbench.core.workspace import Retry

NETWORK_KINDS = frozenset({"timeout", "connect", "dns", "tls", "protocol"})
UNSAFE_VERBS = frozenset({"POST", "PATCH"})
_SECONDS = re.compile(r"[0-9]{1,9}")


def repeats_side_effect(exchange: Any, retry: Retry) -> bool:
    """Would sending ``exchange``'s request again risk doing its work twice?"""
    request = exchange.request
    verb = request.method.upper() if request is not None else ""
    return verb in UNSAFE_VERBS and bool(getattr(exchange, "sent", True)) and not retry.idempotent


def retry_reason(exchange: Any, retry: Retry) -> str | None:
    """Why ``exchange`` deserves another attempt under ``retry``, or None."""
    if repeats_side_effect(exchange, retry):
        return None
    if exchange.error is not None:
        if retry.network_errors and exchange.error_kind in NETWORK_KINDS:
            return f"{exchange.error_kind}: {exchange.error}"
        return None
    status = exchange.status
    if status is not None and status in retry.on:
        return f"HTTP {status}"
    return None


def retry_after(exchange: Any, now: float) -> float | None:
    """Seconds the server asked us to wait (Retry-After: seconds or an HTTP date)."""
    response = exchange.response
    if response is None:
        return None
    value = response.header("Retry-After")
    if not value:
        return None
    value = value.strip()
    if _SECONDS.fullmatch(value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - now)
    except (TypeError, ValueError, IndexError, OverflowError, OSError):
        return None


def backoff(
    retry: Retry, attempt: int, random: Callable[[], float], asked: float | None = None
) -> float:
    """The wait after failed ``attempt`` (1-based), capped by ``retry.max_delay``.

    A server's Retry-After wins over the schedule; otherwise the base delay (fixed, or
    doubling per attempt) gets equal jitter: half of it fixed, half random.
    """
    if asked is not None:
        return min(asked, retry.max_delay)
    base = retry.delay if retry.backoff == "fixed" else retry.delay * (2 ** (attempt - 1))
    base = min(base, retry.max_delay)
    return base / 2 + random() * base / 2


__all__ = ["NETWORK_KINDS", "backoff", "repeats_side_effect", "retry_after", "retry_reason"]
