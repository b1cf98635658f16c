"""The journal as the queue of `serve`: claims, leases, recovery, poison runs (runs come
in through ``_deliveries``).

* A claim takes the oldest runs that may start now, in one write transaction: first
  interrupted `serve` runs (to resume), then queued ones, skipping any runbook already
  running ``max_concurrent`` runs (counted in the journal, so across servers too).
  Waiting runs stay *queued* in the journal; they hold no worker and nothing else
  can claim them twice. An index on (status, created, id) keeps a claim's cost flat
  however long the queue is.
* A claimed run is held under a lease that the journal's thread renews while the
  process lives. A run whose lease expired, or whose owner is certainly dead (see
  ``_owner``), becomes *interrupted* with one more crash counted; after ``max_crashes``
  crashes a claim ends it as failed instead of resuming it again (no poison runs).
* A run whose stored row does not decode (changed outside runbench) is ended as failed
  by the claim that takes it, with a message naming the column, the run and the journal;
  the claim goes on with the others (it never raises for one run, so the queue moves).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from runbench.core.errors import DamagedRowError, RunError
from runbench.core.journal import _history as history
from runbench.core.journal._backend import Backend, Row
from runbench.core.journal._owner import Owner
from runbench.core.journal._rows import ACTIVE, INTERRUPTED_STEP, Claim, ResumePoint, RunRow

if TYPE_CHECKING:
    from pathlib import Path

    from runbench.core.journal._thread import JournalThread
    from runbench.core.journal._values import Tracker

T = TypeVar("T")
DIED = "interrupted: the process running it died (or stopped renewing its lease)"
FREE: Mapping[str, Any] = {"owner": None, "lease_until": None}
"""Nobody holds the run (finished, interrupted, or queued for anyone)."""


class QueueMixin:
    """Queue operations of :class:`runbench.core.journal.Journal`."""

    path: Path
    _where: str
    clock: Callable[[], float]
    lease: float
    owner: Owner
    _owner_text: str
    _tracker: Tracker
    _thread: JournalThread
    readonly: bool

    def _change(self, fn: Callable[[Backend], T], *, atomic: bool = True) -> T:
        raise NotImplementedError  # Journal's

    def _read(self, fn: Callable[[Backend], T]) -> T:
        raise NotImplementedError  # Journal's

    # -- claims -------------------------------------------------------------------------------
    def claim(
        self,
        limit: int = 1,
        *,
        limits: Mapping[str, int] | None = None,
        resume: Sequence[str] = (),
        max_crashes: int = 3,
    ) -> list[Claim]:
        """Hold up to ``limit`` runs that may start now (see the module docstring).

        ``limits``: max_concurrent per runbook (0 or absent: no limit). ``resume``: the
        triggers whose interrupted runs are taken too, resumed at their step."""
        limits = dict(limits or {})

        def claim(b: Backend) -> list[Claim]:
            room = _Room(b, limits)
            found: list[Claim] = []
            if resume and not room.limits:  # most claims: queued runs, in one statement
                found = self._take(b, limit, resume)
                if found or not b.oldest("interrupted", 1, None, resume):
                    return found  # taken, or nothing queued: an idle claim is one look more
            if resume:
                found += self._claim_interrupted(b, limit, room, resume, max_crashes)
            if len(found) < limit:
                found += self._claim_queued(b, limit - len(found), room)
            return found

        return self._change(claim)

    def claim_queued(self, limit: int = 1) -> list[RunRow]:
        """Hold up to ``limit`` queued runs (no concurrency limits, no resumes)."""
        return [found.row for found in self.claim(limit)]

    def _hold(self, b: Backend, run_id: str, statuses: Sequence[str], **extra: Any) -> bool:
        now = self.clock()
        values = {"status": "running", "owner": self._owner_text, "lease_until": now + self.lease}
        return b.update_run(run_id, {**values, **extra}, statuses) == 1

    def _claim_queued(self, b: Backend, limit: int, room: _Room) -> list[Claim]:
        if not room.limits:  # nothing to count: one statement takes them all
            return self._take(b, limit)
        found: list[Claim] = []
        for run_id, _, runbook, _ in room.candidates("queued", limit):
            if len(found) >= limit:
                break
            if room.full(runbook) or not self._hold(b, run_id, ("queued",), started=self.clock()):
                continue
            row = b.run(run_id)
            taken = self._usable(b, [row] if row is not None else [])
            if taken:
                room.take(runbook)
                found += taken
        return found

    def _take(self, b: Backend, limit: int, unless: Sequence[str] = ()) -> list[Claim]:
        """The oldest queued runs, held; none while an interrupted run of the triggers
        ``unless`` waits (see ``Backend.take``)."""
        now = self.clock()
        values = {"status": "running", "owner": self._owner_text, "started": now}
        values["lease_until"] = now + self.lease
        found: list[Claim] = []
        while len(found) < limit:
            rows = b.take("queued", limit - len(found), values, unless)
            rows.sort(key=lambda row: (row[12], row[0]))
            usable = self._usable(b, rows)
            found += usable
            if len(usable) == len(rows):  # none damaged: the take found all there was
                break
        return found

    def _usable(self, b: Backend, rows: list[Row]) -> list[Claim]:
        """Claims of the runs just held in ``rows``; a damaged one is ended as failed."""
        found: list[Claim] = []
        for stored in rows:
            row = history.run_row(stored, self._where)
            if row.damaged is None:
                found.append(Claim(row))
            else:
                self._end_failed(b, row.id, row.damaged, ("running",))
        return found

    def _claim_interrupted(
        self, b: Backend, limit: int, room: _Room, triggers: Sequence[str], max_crashes: int
    ) -> list[Claim]:
        found: list[Claim] = []
        for run_id, _, runbook, crashes in b.oldest("interrupted", limit * 4, None, triggers):
            if len(found) >= limit:
                break
            if crashes > max_crashes:
                why = (
                    f"gave up: the run was interrupted {crashes} times while running "
                    f"(its process died each time; max {max_crashes} resumes)"
                )
                self._give_up(b, run_id, why)
                continue
            if room.full(runbook):
                continue
            try:
                row, point = self._begin_resume(b, run_id)
            except (RunError, DamagedRowError) as exc:  # a value over the cap, a damaged row
                self._give_up(b, run_id, str(exc))
                continue
            room.take(runbook)
            found.append(Claim(row, point))
        return found

    def _give_up(self, b: Backend, run_id: str, why: str) -> None:
        self._end_failed(b, run_id, why, ("interrupted",))

    def _end_failed(self, b: Backend, run_id: str, why: str, statuses: Sequence[str]) -> None:
        values = {"status": "failure", "error": why, "finished": self.clock(), **FREE}
        b.update_run(run_id, values, statuses)

    # -- resume -------------------------------------------------------------------------------
    def begin_resume(self, run_id: str) -> tuple[RunRow, ResumePoint]:
        """Take an interrupted run back: close its unfinished step, hold it (running),
        and return it with where it goes on. RunError if it is not interrupted;
        DamagedRowError if its rows do not decode (it is ended as failed)."""

        def begin(b: Backend) -> tuple[RunRow, ResumePoint] | DamagedRowError:
            try:
                return self._begin_resume(b, run_id)
            except DamagedRowError as exc:  # returned: a raise would undo the give-up
                self._give_up(b, run_id, str(exc))
                return exc

        found = self._change(begin)
        if isinstance(found, DamagedRowError):
            raise found
        return found

    def _begin_resume(self, b: Backend, run_id: str) -> tuple[RunRow, ResumePoint]:
        found = b.run(run_id)
        if found is None:
            raise RunError(f"run '{run_id}' is not in the journal ({self.path})")
        row = history.run_row(found, self._where)
        if row.status != "interrupted":
            raise RunError(
                f"run {row.id} is {row.status}, not interrupted; only interrupted "
                "runs can be resumed (use rerun from a step for finished ones)"
            )
        if row.damaged is not None:
            raise DamagedRowError(row.damaged)
        steps = history.step_rows(b.steps(run_id), self._where)
        point = history.resume_point(run_id, steps)
        if steps and not steps[-1].finished:
            closing = {
                "duration_ms": 0.0,
                "outputs": "{}",
                "error": INTERRUPTED_STEP,
                "finished": 1,
            }
            b.finish_step(run_id, steps[-1].seq, closing)
        self._tracker.forget(run_id)
        if not self._hold(b, run_id, ("interrupted",), error=None):
            raise RunError(f"run {row.id} was taken by another process meanwhile")
        return row, point

    def release(self, run_id: str, why: str) -> None:
        """Give a held run back as interrupted without counting a crash (a clean stop:
        the next claim or `runbench resume` goes on with it)."""
        self._tracker.forget(run_id)
        values = {"status": "interrupted", "error": why, **FREE}
        self._change(lambda b: b.update_run(run_id, values, ACTIVE))

    # -- recovery -------------------------------------------------------------------------------
    def mark_interrupted(self) -> list[str]:
        """Runs held by a dead owner or under an expired lease become interrupted."""
        return self._change(self._expire)

    def _expire(self, b: Backend) -> list[str]:
        """Runs whose holder is gone: running/paused ones become interrupted (a crash
        counted); queued ones (waiting on max_concurrent in that process) anyone's again."""
        now = self.clock()
        dead: list[str] = []
        for run_id, owner_text, lease_until, status, crashes in b.held():
            owner = Owner.parse(owner_text)
            gone = owner is None or self.owner.sees_dead(owner)
            if not gone and not (lease_until is not None and lease_until < now):
                continue
            if status == "queued":
                b.update_run(run_id, FREE, ("queued",))
                continue
            values = {"status": "interrupted", "error": DIED, "crashes": int(crashes) + 1}
            if b.update_run(run_id, {**values, **FREE}, ACTIVE):
                dead.append(run_id)
        return dead

    def recover(self) -> list[str]:
        """Runs to pick up after a restart: queued ones and interrupted ones, oldest first."""
        self.mark_interrupted()

        def pending(b: Backend) -> list[str]:
            rows = b.oldest("queued", 1 << 30) + b.oldest("interrupted", 1 << 30)
            rows.sort(key=lambda row: (row[1], row[0]))
            return [str(row[0]) for row in rows]

        return self._read(pending)

    def _renew(self, b: Backend) -> None:
        """The thread's heartbeat: move the leases of the runs this process holds."""
        b.renew(self._owner_text, self.clock() + self.lease)


class _Room:
    """How many more runs each runbook may start (``max_concurrent``), during one claim."""

    def __init__(self, b: Backend, limits: Mapping[str, int]) -> None:
        self.b = b
        self.known = list(limits)  # every runbook the claimer runs (0: no limit)
        self.limits = {name: n for name, n in limits.items() if n > 0}
        self.active = b.active_counts(ACTIVE) if self.limits else {}

    def full(self, runbook: str) -> bool:
        limit = self.limits.get(runbook)
        return limit is not None and self.active.get(runbook, 0) >= limit

    def take(self, runbook: str) -> None:
        self.active[runbook] = self.active.get(runbook, 0) + 1

    def candidates(self, status: str, limit: int) -> list[Row]:
        """The oldest runs that may start, without scanning past runbooks that are full."""
        full = [name for name in self.limits if self.full(name)]
        if not full:
            return self.b.oldest(status, limit)
        rows: list[Row] = []
        for name in self.known:
            if not self.full(name):
                rows += self.b.oldest(status, limit, name)
        known = set(self.known)
        rows += [row for row in self.b.oldest(status, limit) if row[2] not in known]
        rows.sort(key=lambda row: (row[1], row[0]))
        return rows[:limit]


__all__ = ["DIED", "INTERRUPTED_STEP", "QueueMixin"]
