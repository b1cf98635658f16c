"""`serve`'s deliveries on their way into the journal: one hand-over per turn of the loop.

A delivery must be committed before its 202. Under a flood the event loop takes in tens
of deliveries per turn, and the loop is what limits how many a second `serve` accepts:
handing each delivery to the journal's thread on its own cost the loop an operation, a
queue put (waking the thread), a run id (a system call), its row and its delivery key,
more than all of the intake's own checks. So a delivery only joins a list here; when the
loop's turn ends (``call_soon``) the list goes to the journal's thread as one operation,
which makes the ids, rows and keys, writes them all in one INSERT, and answers every
delivery after the commit. A delivery whose row cannot be written (a bug: storage
failures fail the whole batch, as any write) fails alone: the batch is then retried one
delivery at a time (a failed INSERT writes nothing and leaves the transaction usable).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from runbench.core.journal._backend import Backend
from runbench.core.journal._thread import JournalThread

Admitted = tuple[str | None, bool]
"""(the run's id, True) for a new run; (the first run's id, False) for a repeated delivery
id; (None, False) for a new delivery refused because the queue is full."""


@dataclass(slots=True)
class Delivery:
    """One delivery as `serve` hands it over (made into a row on the journal's thread)."""

    runbook: str
    inputs: Mapping[str, Any]
    context: Mapping[str, Any]
    trigger: str
    delivery_id: str | None
    full: bool
    run_id: str | None = None  # made on the journal's thread when not given


Write = Callable[[Backend, list[Delivery]], list[Admitted]]
"""Writes deliveries in one statement (the journal's ``_admit_many``)."""


class Admissions:
    """Collects the deliveries of each event loop turn and writes them together."""

    def __init__(self, thread: JournalThread, write: Write) -> None:
        self._thread = thread
        self._write = write
        self._pending: dict[asyncio.AbstractEventLoop, list[tuple[Delivery, Any]]] = {}

    def admit(
        self, delivery: Delivery, loop: asyncio.AbstractEventLoop | None = None
    ) -> asyncio.Future[Admitted]:
        """What to await for ``delivery``'s outcome (a future, not a coroutine: one frame
        less to go through when it is settled, for every delivery). ``loop``: the running
        one, if the caller has it at hand (each look-up is a getpid() system call)."""
        loop = loop or asyncio.get_running_loop()
        future: asyncio.Future[Admitted] = loop.create_future()
        pending = self._pending.setdefault(loop, [])
        pending.append((delivery, future))
        if len(pending) == 1:
            loop.call_soon(self._send, loop)
        return future

    def _send(self, loop: asyncio.AbstractEventLoop) -> None:
        items = self._pending.pop(loop, [])
        if not items:
            return
        deliveries = [delivery for delivery, _ in items]
        written = asyncio.ensure_future(
            self._thread.acall(functools.partial(self._write_all, deliveries), writes=True)
        )
        written.add_done_callback(functools.partial(_answer, [future for _, future in items]))

    def _write_all(self, deliveries: list[Delivery], b: Backend) -> list[Admitted | Exception]:
        """All in one statement; if that fails (not the storage: nothing of it is then
        written, see ``Backend.insert_runs``), one at a time, so a bad one fails alone."""
        try:
            return list(self._write(b, deliveries))
        except Exception as exc:
            if b.storage_error(exc) is not None:
                raise
        return [self._write_alone(b, delivery) for delivery in deliveries]

    def _write_alone(self, b: Backend, delivery: Delivery) -> Admitted | Exception:
        try:
            return self._write(b, [delivery])[0]
        except Exception as exc:
            if b.storage_error(exc) is not None:
                raise
            return exc


def _answer(futures: list[asyncio.Future[Admitted]], written: asyncio.Future[Any]) -> None:
    """Settle each delivery's future with its outcome (or the batch's failure)."""
    if written.cancelled():  # the loop is going away: so are its deliveries
        for future in futures:
            future.cancel()
        return
    failure = written.exception()
    outcomes: list[Admitted | BaseException] = (
        [failure] * len(futures) if failure is not None else written.result()
    )
    for future, outcome in zip(futures, outcomes, strict=True):
        if future.done():
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


__all__ = ["Admissions", "Admitted", "Delivery"]
