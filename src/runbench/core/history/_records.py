"""A recorded test back as an ``Exchange``, so the viewer shows an old response like a new one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runbench.core.http import Exchange, RequestRecord, ResponseRecord


def _pairs(headers: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(headers, Mapping):
        return ()
    return tuple((str(k), str(v)) for k, v in headers.items())


def exchange_from_dict(data: Mapping[str, Any]) -> Exchange:
    """The inverse of ``Exchange.to_dict()`` (for what a history entry stores)."""
    request = data.get("request")
    response = data.get("response")
    return Exchange(
        RequestRecord(
            str(request.get("method", "")),
            str(request.get("url", "")),
            _pairs(request.get("headers")),
            str(request.get("body") or ""),
        )
        if isinstance(request, Mapping)
        else None,
        ResponseRecord(
            int(response.get("status") or 0),
            str(response.get("reason", "")),
            _pairs(response.get("headers")),
            str(response.get("body") or ""),
            int(response.get("size") or 0),
            float(response.get("elapsed_ms") or 0.0),
        )
        if isinstance(response, Mapping)
        else None,
        dict(data.get("outputs") or {}),
        {str(k): str(v) for k, v in (data.get("output_errors") or {}).items()},
        data.get("error"),
        data.get("error_kind"),
        float(data.get("elapsed_ms") or 0.0),
        int(data.get("attempts") or 1),
    )


__all__ = ["exchange_from_dict"]
