"""Secret inputs of accepted deliveries, held in this process only, never in the journal.

A webhook input is secret when its name is a secret output's name (``secret = true``: a
name secret in one place is secret everywhere) or its value holds a secret the workspace
knows (a credential it names). The journal stores such inputs blanked, as every other
trace of a secret (see docs/security.md). The run still needs the real value, so `serve`
holds it here, under the run's id from before the commit, until a worker of this process
claims the run.

A run claimed without its held inputs (by another instance on a shared PostgreSQL
journal, or by this one after a restart) fails naming them, rather than sending ``••••``
to an API; the sender delivers it again. Nothing grows without bound: at most ``limit``
runs (the queue size) are held, the oldest let go first.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from runbench.core.engine import withheld
from runbench.core.errors import RunError
from runbench.core.journal import Claim


class HeldInputs:
    """Real inputs and context of queued runs whose stored ones are blanked."""

    def __init__(self, limit: int = 1000) -> None:
        self.limit = max(1, limit)
        self._held: OrderedDict[str, tuple[Mapping[str, Any], Mapping[str, Any]]] = OrderedDict()
        self._arrived = asyncio.Event()

    def hold(self, run_id: str, inputs: Mapping[str, Any], context: Mapping[str, Any]) -> None:
        self._held[run_id] = (inputs, context)
        while len(self._held) > self.limit:
            self._held.popitem(last=False)
        self._arrived.set()

    async def restore_arriving(self, claim: Claim, timeout: float) -> Claim:
        """:meth:`restore`, first waiting up to ``timeout`` seconds for held inputs still on
        their way (`serve`'s worker process gets them over a pipe, which may be read after
        the journal handed it the run)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline and self._missing(claim):  # no look without a wait
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(deadline - loop.time()):
                    await self._arrived.wait()
        return self.restore(claim)

    def _missing(self, claim: Claim) -> bool:
        if claim.resume is not None or claim.row.id in self._held:
            return False
        return bool(withheld({**claim.row.inputs, **claim.row.context}))

    def forget(self, run_id: str) -> None:
        self._held.pop(run_id, None)

    def restore(self, claim: Claim) -> Claim:
        """``claim`` with its real inputs back; RunError naming the blanked ones that
        this process does not hold. A resumed run starts from its journaled variables
        (the engine withholds blanked ones there), so it is left as it is."""
        if claim.resume is not None:
            return claim
        held = self._held.pop(claim.row.id, None)
        if held is not None:
            row = dataclasses.replace(claim.row, inputs=dict(held[0]), context=dict(held[1]))
            return dataclasses.replace(claim, row=row)
        lost = withheld({**claim.row.inputs, **claim.row.context})
        if lost:
            names = ", ".join(f"'{name}'" for name in lost)
            raise RunError(
                f"input {names} held a secret, which the journal does not keep, and the "
                "process that accepted the delivery is not the one running it (another "
                "instance, or a restart since); deliver it again"
            )
        return claim


__all__ = ["HeldInputs"]
