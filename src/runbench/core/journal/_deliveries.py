"""The journal as the way into `serve`'s queue: deliveries become queued runs.

* A delivery id is unique per runbook and compared whole: the row keeps a SHA-256 of
  (runbook, id), so an open runbook cannot pre-claim a signed one's ids; a repeated
  delivery is answered with the first run's id.
* ``enqueue`` writes one run at once; ``admit`` (for `serve`, on the event loop) hands the
  deliveries of one turn of the loop to the journal's thread together (``_admissions``),
  which writes them in one INSERT (``_admit_rows``).
* Apart from ``_queue`` (claims, leases, recovery): runs come in here and go out there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from runbench.core.journal._admissions import Delivery
from runbench.core.journal._backend import Backend
from runbench.core.journal._sqlite_schema import delivery_key

if TYPE_CHECKING:
    from runbench.core.journal._admissions import Admissions
    from runbench.core.journal._ids import RunIds

T = TypeVar("T")


class DeliveriesMixin:
    """Delivery operations of :class:`runbench.core.journal.Journal`."""

    clock: Callable[[], float]
    _ids: RunIds
    _admissions: Admissions

    def _change(self, fn: Callable[[Backend], T], *, atomic: bool = True) -> T:
        raise NotImplementedError  # Journal's

    def _read(self, fn: Callable[[Backend], T]) -> T:
        raise NotImplementedError  # Journal's

    def _new_run(self, *args: Any) -> Callable[[], dict[str, Any]]:
        raise NotImplementedError  # Journal's

    def _run_row(self, *args: Any) -> dict[str, Any]:
        raise NotImplementedError  # Journal's

    def enqueue(
        self,
        runbook: str,
        inputs: Mapping[str, Any],
        context: Mapping[str, Any] | None = None,
        trigger: str = "serve",
        delivery_id: str | None = None,
        *,
        full: bool = False,
    ) -> tuple[str | None, bool]:
        """A queued run, committed when this returns: (its id, True). A delivery id this
        runbook saw before: (that run's id, False). ``full`` and new: (None, False)."""
        run_id = self._ids.new()
        values = self._new_run(
            run_id, runbook, trigger, inputs, context, None, None, "queued", delivery_id
        )
        key = delivery_key(runbook, delivery_id) if delivery_id else None

        def enqueue(b: Backend) -> tuple[str | None, bool]:
            if not full and b.insert_run(values()):  # one statement in the common case
                return run_id, True
            seen = b.delivery(key) if key else None
            return (seen, False) if seen is not None else (None, False)

        return self._change(enqueue, atomic=False)

    async def admit(
        self,
        runbook: str,
        inputs: Mapping[str, Any],
        context: Mapping[str, Any] | None = None,
        trigger: str = "serve",
        delivery_id: str | None = None,
        *,
        full: bool = False,
        run_id: str | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> tuple[str | None, bool]:
        """:meth:`enqueue` for `serve`: awaited on the event loop; the deliveries of one
        turn of the loop go to the journal's thread together and into one INSERT (see
        ``_admissions``). ``run_id``: the id a new run gets (from :meth:`next_run_id`),
        for a caller that must know it before the commit; else one is made. ``loop``: the
        running loop, if the caller has it (looking it up is a getpid() system call)."""
        delivery = Delivery(runbook, inputs, context or {}, trigger, delivery_id, full, run_id)
        return await self._admissions.admit(delivery, loop)

    def next_run_id(self) -> str:
        """A new run id (sortable by creation time)."""
        return self._ids.new()

    def _admit_rows(self, b: Backend, deliveries: list[Delivery]) -> list[tuple[str | None, bool]]:
        """On the journal's thread: ids, rows and keys of ``deliveries``, written at once
        (encoded here and now: no copies of the inputs to encode later, one clock reading
        and one take of new ids for the lot)."""
        now = self.clock()
        ids = iter(self._ids.many(sum(1 for item in deliveries if item.run_id is None), now))
        rows = []
        for item in deliveries:
            run_id = item.run_id or next(ids)
            row = self._run_row(
                run_id,
                item.runbook,
                item.trigger,
                item.inputs,
                item.context,
                _EMPTY,
                None,
                "queued",
                item.delivery_id,
                now,
            )
            rows.append(_Delivery(run_id, row, row["delivery_key"], item.full))
        return _admit_many(b, rows)

    def find_delivery(self, runbook: str, delivery_id: str) -> str | None:
        """The id of the run a delivery id started on ``runbook``, if it was seen before."""
        key = delivery_key(runbook, delivery_id)
        return self._read(lambda b: b.delivery(key))

    def count_queued(self) -> int:
        return self._read(lambda b: b.count("queued"))


_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(slots=True)
class _Delivery:
    """One delivery to admit: its run row's values, its delivery key, and ``full`` (no
    room in the queue: only a delivery seen before is answered)."""

    run_id: str
    values: dict[str, Any]
    key: str | None
    full: bool


def _admit_many(b: Backend, deliveries: list[_Delivery]) -> list[tuple[str | None, bool]]:
    """Deliveries in one INSERT; the repeated ones answered with their first run."""
    fresh = [item for item in deliveries if not item.full]
    inserted = set(b.insert_runs([item.values for item in fresh])) if fresh else set()
    keys = [item.key for item in deliveries if item.key and item.run_id not in inserted]
    seen = b.deliveries(keys) if keys else {}
    found: list[tuple[str | None, bool]] = []
    for item in deliveries:
        if item.run_id in inserted:
            found.append((item.run_id, True))
        else:
            found.append((seen.get(item.key) if item.key else None, False))
    return found


__all__ = ["DeliveriesMixin"]
