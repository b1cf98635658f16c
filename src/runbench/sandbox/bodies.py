"""The request bodies the sandbox reads: capped, timed, and parsed with every failure an answer.

The sandbox answers whatever a runbook under test sends it, and must outlive it: a body
could take its memory (``await request.body()`` read a 5 GB Content-Length whole), its
stack (JSON nested 100,000 deep: a RecursionError, a 500 and a traceback in its log), its
time (200,000 tickets in one save kept its one event loop busy for hours; see
``store.MAX_SAVE_ITEMS``) or a connection for good (a Content-Length, then a byte now and
then: the headers guard never closes a connection in the middle of a request). Here a body
is read up to ``MAX_BODY_BYTES`` within the app's body deadline (``Deadlines``, as serve
keeps them) and parsed; a failure is a ``BodyError`` with the HTTP status to answer and a
message to show.

A body holding ``NaN``, ``Infinity`` or a number too big for a float (``1e999``, an integer
of 309 digits or more) is refused with 400, as Halo's JSON reader refuses it: the sandbox
saved such a ticket, then could not write its answer (a 500 and a traceback in its log).
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from starlette.requests import Request

from runbench.core.files import json_error_text, load_json_text
from runbench.webguards import Deadlines

_MAYBE_NOT_FINITE = re.compile(r"NaN|Infinity|[eE]\+?[0-9]{3}|[0-9]{309}")
"""Text that may hold a number JSON has no value for (a false alarm costs one ``dumps``)."""
MAX_BODY_BYTES = 8 * 1024 * 1024
"""The largest request body the sandbox reads (a Halo record or a prompt is far smaller)."""


class BodyError(Exception):
    """A body the sandbox will not use: answer ``status`` with the message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body, at most ``limit`` bytes (413 past that, whatever Content-Length says), in
    within the app's body deadline (408 past it)."""
    too_large = BodyError(413, f"the body is over {limit} bytes; send less")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    deadlines: Deadlines = request.app.state.body_deadlines
    loop = asyncio.get_running_loop()
    task = asyncio.current_task(loop)
    assert task is not None  # an ASGI app runs in a task
    deadlines.start(task, loop)
    try:
        return await _read_capped(request, limit, too_large)
    except asyncio.CancelledError:
        if not deadlines.expired(task):
            raise
        raise BodyError(
            408,
            f"the body did not arrive within {deadlines.timeout:g} s of its headers; "
            "send it whole, at once",
        ) from None
    finally:
        deadlines.stop(task)


async def _read_capped(request: Request, limit: int, too_large: BodyError) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, limit: int = MAX_BODY_BYTES) -> Any:
    """The body parsed as JSON; BodyError (400, 408, 413) saying why not."""
    body = await read_body(request, limit)
    try:  # decoded as json.loads decodes bytes: UTF-8 (with or without a BOM), -16 or -32
        text = body.decode(json.detect_encoding(body))
        value = load_json_text(text)
        if _MAYBE_NOT_FINITE.search(text):
            json.dumps(value, allow_nan=False)  # ValueError for NaN or an infinity
        return value
    except RecursionError:
        raise BodyError(400, "the body is nested too deeply to read; flatten it") from None
    except json.JSONDecodeError as exc:
        raise BodyError(400, f"the body is not valid JSON ({json_error_text(exc)})") from None
    except UnicodeDecodeError as exc:
        raise BodyError(400, f"the body is not valid JSON ({exc})") from None
    except ValueError:  # from the dumps above: the only ValueError left
        raise BodyError(
            400,
            "the body holds NaN, Infinity or a number too big for a float (such as 1e999);"
            " JSON numbers are finite: send the value as a string",
        ) from None
