"""A run's steps and HTTP exchanges in the journal: the writes the engine makes per step.

Split from ``_journal`` (the runs, waiting, reading) because this is the path every step
takes: a step's start (the variables it begins from, as changes since the journal last
recorded the run: see ``_values``), its end, and each HTTP attempt. The start is the
step barrier (committed before the step runs, see ``begin_step``); the end and the
exchanges are held and go with the next start, or with the run's end for the step
that ends the run (``step_end`` builds it, ``Journal.finish_run`` writes it). The
exchanges are deferred past the barriers (on SQLite: see ``_thread``): resume needs the
steps, not the request/response records, so those are written apart, batched, at the
latest with the run's end.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from runbench.core.journal import _history as history
from runbench.core.journal._backend import Backend
from runbench.core.journal._rows import ExchangeRow, StepRow
from runbench.core.journal._values import (
    Redacts,
    Tracker,
    capped_map,
    dumps,
    redacted_loops,
    redacted_map,
)

if TYPE_CHECKING:
    from runbench.core.journal._thread import JournalThread

T = TypeVar("T")
StepEnd = Callable[[Backend], None]
"""A step's end, built and not yet written (see :meth:`StepsMixin.step_end`)."""


class StepsMixin:
    """Step and exchange writes of :class:`runbench.core.journal.Journal`."""

    clock: Callable[[], float]
    value_cap: int
    _where: str
    _tracker: Tracker
    _thread: JournalThread

    def _write(
        self,
        fn: Callable[[Backend], Any],
        run_id: str | None = None,
        *,
        later: bool = False,
        deferred: bool = False,
        size: int = 0,
    ) -> None:
        raise NotImplementedError  # Journal's

    def _read(self, fn: Callable[[Backend], T]) -> T:
        raise NotImplementedError  # Journal's

    def _raise_failure(self, run_id: str | None) -> None:
        raise NotImplementedError  # Journal's

    def start_step(
        self,
        run_id: str,
        seq: int,
        step: str,
        kind: str,
        variables: Mapping[str, Any],
        loops: Mapping[str, Any],
        *,
        redact: Redacts | None = None,
        later: bool = False,
    ) -> None:
        """Record that ``step`` starts, with the variables it starts from (as changes).

        ``redact`` blanks secrets in what is stored; pass the run's *real* variables and
        loops: changes are found by identity, and only the changed values are redacted
        (redacting the whole map first would copy every value at every step). ``later``
        as for :meth:`finish_step`."""
        row = self._step_row(run_id, seq, step, kind, variables, loops, redact)
        self._write(row, run_id, later=later)

    async def begin_step(
        self,
        run_id: str,
        seq: int,
        step: str,
        kind: str,
        variables: Mapping[str, Any],
        loops: Mapping[str, Any],
        *,
        redact: Redacts | None = None,
    ) -> None:
        """:meth:`start_step`, then wait until it (and all before it) is committed: one
        trip to the journal's thread instead of two (the engine's step barrier), or none
        when no other run is being written (see ``_thread``: a lone run's commit is
        quicker here than a hand-over)."""
        insert = self._step_row(run_id, seq, step, kind, variables, loops, redact)
        now = self._tracker.runs <= 1  # deferred exchanges wait: not what resume needs
        await self._thread.acall(insert, writes=True, now=now, deferred=False)
        self._raise_failure(run_id)

    def _step_row(
        self,
        run_id: str,
        seq: int,
        step: str,
        kind: str,
        variables: Mapping[str, Any],
        loops: Mapping[str, Any],
        redact: Redacts | None,
    ) -> Callable[[Backend], None]:
        change = self._tracker.step_started(run_id, variables, loops)
        now = self.clock()
        cap = self.value_cap

        def insert(b: Backend) -> None:  # redacted here, off the event loop
            variables: Mapping[str, Any] = change.variables
            loops: Mapping[str, Any] = change.loops
            if redact is not None:
                variables = redacted_map(variables, redact) if variables else variables
                loops = redacted_loops(loops, redact) if loops else loops
            unset = dumps(change.unset) if change.unset else None
            b.insert_step(
                (
                    run_id,
                    seq,
                    step,
                    kind,
                    int(change.base),
                    capped_map(variables, cap),
                    unset,
                    _capped_loops(loops, cap) if loops else "{}",
                    now,
                )
            )

        return insert

    def finish_step(self, run_id: str, seq: int, *, later: bool = False, **end: Any) -> None:
        """Record how step ``seq`` ended: :meth:`step_end`'s arguments (``end``), written
        now. A run's current step is derived from its last step row, so this is the only
        write a step end needs. ``later``: hand it over with the next journal operation (a
        wait for a commit follows: see ``_thread``)."""
        self.write_step_end(run_id, self.step_end(run_id, seq, **end), later=later)

    def write_step_end(self, run_id: str, end: StepEnd, *, later: bool = False) -> None:
        """Write a step's end built by :meth:`step_end` (``later`` as for finish_step)."""
        self._write(end, run_id, later=later)

    def step_end(
        self,
        run_id: str,
        seq: int,
        *,
        edge: str | None,
        target: str | None,
        duration_ms: float,
        outputs: Mapping[str, Any],
        error: str | None,
        loops: Mapping[str, Any] | None = None,
        redact: Redacts | None = None,
        redacted: Mapping[str, Any] | None = None,
    ) -> StepEnd:
        """A step's end, not written yet (real ``outputs`` and ``loops``, as for
        :meth:`start_step`; ``redacted``: the outputs as ``redact`` blanks them, if the
        caller made that already): :meth:`finish_step` writes it; for the step that ends a
        run it goes with the run's end (see :meth:`finish_run`). The run's change tracker takes
        the step in now, as the write is built; a run whose end then fails to be written
        is abandoned (``finish_run`` forgets its tracker), so that loses nothing."""
        outputs = dict(outputs)
        loops_delta: Mapping[str, Any] | None = self._tracker.step_finished(run_id, outputs, loops)
        cap = self.value_cap
        stored: Mapping[str, Any] = outputs
        if redact is not None:  # outputs are few: redacted now (unless they were already)
            stored = redacted if redacted is not None else redacted_map(outputs, redact)
            if loops_delta is not None:
                loops_delta = redacted_loops(loops_delta, redact)

        def update(b: Backend) -> None:
            b.finish_step(
                run_id,
                seq,
                {
                    "edge": edge,
                    "target": target,
                    "duration_ms": duration_ms,
                    "outputs": capped_map(stored, cap),
                    "error": error,
                    "loops_after": None if loops_delta is None else _capped_loops(loops_delta, cap),
                    "finished": 1,
                },
            )

        return update

    def steps(self, run_id: str) -> list[StepRow]:
        return history.step_rows(self._read(lambda b: b.steps(run_id)), self._where)

    def add_exchange(
        self,
        run_id: str,
        step_seq: int,
        step: str,
        attempt: int,
        record: Mapping[str, Any] | Callable[[], Mapping[str, Any]],
        *,
        deferred: bool = False,
        size: int = 0,
    ) -> None:
        """One HTTP attempt; ``record`` is Exchange.to_dict() (already redacted), or what
        makes it (``Exchange.stored``: then made where it is written, off the event loop,
        from the frozen records). ``deferred``: diagnostics, not what resume reads (see
        ``_thread``), written apart from the step barriers that follow, at the latest
        with the run's end; ``size``: the bytes of bodies it keeps until then."""
        cap = self.value_cap

        def insert(b: Backend) -> None:
            made = record() if callable(record) else record
            request, response = made.get("request"), made.get("response")
            error, elapsed = made.get("error"), made.get("elapsed_ms")
            b.insert_exchange(
                (
                    run_id,
                    step_seq,
                    step,
                    attempt,
                    dumps(_capped_body(request, cap)),
                    dumps(_capped_body(response, cap)),
                    error,
                    elapsed,
                )
            )

        self._write(insert, run_id, deferred=deferred, size=size)

    def exchanges(self, run_id: str) -> list[ExchangeRow]:
        rows = self._read(lambda b: b.exchanges(run_id))
        return [history.exchange_row(row, self._where) for row in rows]


def _capped_loops(loops: Mapping[str, Any], cap: int) -> str:
    """Loop states (or their changes) with each value capped; None: the loop ended."""
    parts = [
        f"{dumps(str(name))}:{'null' if state is None else capped_map(state, cap)}"
        for name, state in loops.items()
    ]
    return "{" + ",".join(parts) + "}"


def _capped_body(part: Any, cap: int) -> Any:
    """A request/response record with its body cut at ``cap`` (and the original size)."""
    if not isinstance(part, dict) and not isinstance(part, Mapping):  # dict: no ABC check
        return part
    body = part.get("body")
    if not isinstance(body, str) or len(body) <= cap:
        return part
    return {**part, "body": body[:cap], "body_truncated": len(body)}


__all__ = ["StepEnd", "StepsMixin"]
