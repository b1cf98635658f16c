"""The request bodies the sandbox reads: capped, and parsed with every failure an answer.

The sandbox answers whatever a runbook under test sends it, and must outlive it: a body
could take its memory (``await request.body()`` read a 5 GB Content-Length whole), its
stack (JSON nested 100,000 deep: a RecursionError, a 500 and a traceback in its log) or
its time (200,000 tickets in one save kept its one event loop busy for hours; see
``store.MAX_SAVE_ITEMS``). Here a body is read up to ``MAX_BODY_BYTES`` and parsed; a
failure is a ``BodyError`` with the HTTP status to answer and a message to show.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from runbench.core.files import json_error_text

MAX_BODY_BYTES = 8 * 1024 * 1024
"""The largest request body the sandbox reads (a Halo record or a prompt is far smaller)."""


class BodyError(Exception):
    """A body the sandbox will not use: answer ``status`` with the message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body, at most ``limit`` bytes (413 past that, whatever Content-Length says)."""
    too_large = BodyError(413, f"the body is over {limit} bytes; send less")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, limit: int = MAX_BODY_BYTES) -> Any:
    """The body parsed as JSON; BodyError (400, 413) saying why not."""
    body = await read_body(request, limit)
    try:
        return json.loads(body)
    except RecursionError:
        raise BodyError(400, "the body is nested too deeply to read; flatten it") from None
    except json.JSONDecodeError as exc:
        raise BodyError(400, f"the body is not valid JSON ({json_error_text(exc)})") from None
    except ValueError as exc:  # not UTF-8, or a number too long to convert
        raise BodyError(400, f"the body is not valid JSON ({exc})") from None
