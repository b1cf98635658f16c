"""`GET /metrics`: what an operator graphs and alerts on, in Prometheus' text format.

Counted per instance (Prometheus sums the replicas): requests refused by status,
deliveries accepted per runbook (``rate()`` of it is the intake rate), runs finished per
runbook and status, and a histogram of step durations per runbook and step kind. The
queue depth is read when scraped. Run and step numbers come from the engine's event
stream (the one way the engine speaks), requests from an ASGI middleware that sees
only the path and the status, never a header or a body.

Each app has its own registry (no module-level state): two apps in one process, as in
the tests, never share numbers.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runbench.core.engine import EventStream, RunFinished, RunStarted, StepFinished

STEP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
RUNBOOK_PATH = "/runbooks/"
Entry = tuple[str, str, str, Any]
"""("step", runbook, kind, seconds), ("run", runbook, status, count), or as
:func:`batched` sends them: ("steps", runbook, kind, [seconds, ...])."""


def batched(entries: Sequence[Entry]) -> list[Entry]:
    """``entries`` grouped by what they count: a run count and one list of step durations
    per label pair (the worker's 0.1 s report; the server looks each labelled instrument up
    once per group, not once per step and run)."""
    steps: dict[tuple[str, str], list[float]] = {}
    runs: dict[tuple[str, str], int] = {}
    for what, runbook, label, value in entries:
        if what == "step":
            steps.setdefault((runbook, label), []).append(value)
        elif what == "run":
            runs[runbook, label] = runs.get((runbook, label), 0) + int(value)
    found: list[Entry] = [("steps", rb, kind, values) for (rb, kind), values in steps.items()]
    return found + [("run", rb, status, count) for (rb, status), count in runs.items()]


class ServeMetrics:
    """The instruments of one app, in a registry of its own."""

    def __init__(self, runbooks: frozenset[str]) -> None:
        self.runbooks = runbooks
        self.registry = CollectorRegistry(auto_describe=True)
        self.accepted = Counter(
            "runbench_intake_accepted",
            "Deliveries answered 202 (queued, or a repeat of a delivery id), per runbook",
            ["runbook"],
            registry=self.registry,
        )
        self.rejected = Counter(
            "runbench_requests_rejected",
            "Requests answered 4xx or 5xx, per status",
            ["status"],
            registry=self.registry,
        )
        self.runs = Counter(
            "runbench_runs_finished",
            "Runs this instance finished, per runbook and status",
            ["runbook", "status"],
            registry=self.registry,
        )
        self.steps = Histogram(
            "runbench_step_duration_seconds",
            "How long steps took, per runbook and step kind",
            ["runbook", "kind"],
            buckets=STEP_BUCKETS,
            registry=self.registry,
        )
        self.queue = Gauge(
            "runbench_queue_depth", "Runs queued and not yet claimed", registry=self.registry
        )
        self._runbook_of: dict[str, str] = {}
        self._accepted_of: dict[str, Any] = {}  # path -> accepted counter of its runbook
        self._accepted_total: dict[str, int] = {}  # path -> 202s (written by the loop only)
        self._accepted_told: dict[str, int] = {}  # path -> of those, added to its counter
        self._telling = threading.Lock()  # a scrape and exposition() may meet
        self._labelled: dict[tuple[Any, str, str], Any] = {}  # family, labels -> child

    def watch_queue(self, depth: Callable[[], float]) -> None:
        self.queue.set_function(depth)

    def request(self, path: str, status: int) -> None:
        """Count a request. Each delivery's 202 is a plain count per path, added to its
        runbook's counter when the numbers are read (:meth:`tell_accepted`): the counter's
        ``inc()`` takes a lock, and ``labels()`` cost as much as a fifth of the JSON parse."""
        if status >= 400:
            self.rejected.labels(str(status)).inc()
        elif status == 202:
            totals = self._accepted_total
            totals[path] = totals.get(path, 0) + 1

    def tell_accepted(self) -> None:
        """Add the 202s counted since the last call to their runbooks' counters (a path
        that is not a public runbook's gets no label: a crafted path cannot add one)."""
        with self._telling:
            for path, total in list(self._accepted_total.items()):
                told = self._accepted_told.get(path, 0)
                if total == told:
                    continue
                self._accepted_told[path] = total
                counter = self._accepted_of.get(path)
                if counter is None:
                    runbook = path.removeprefix(RUNBOOK_PATH)
                    if not path.startswith(RUNBOOK_PATH) or runbook not in self.runbooks:
                        continue
                    counter = self._accepted_of[path] = self.accepted.labels(runbook)
                counter.inc(total - told)

    def event(self, event: object) -> None:
        entry = self.entry(event)
        if entry is not None:
            self.apply(entry)

    def entry(self, event: object) -> Entry | None:
        """What ``event`` adds to the numbers, as data (`serve`'s worker process sends
        these to the server, which applies them)."""
        if isinstance(event, RunStarted):
            self._runbook_of[event.run_id] = event.runbook
        elif isinstance(event, StepFinished):
            runbook = self._runbook_of.get(event.run_id, "")
            return ("step", runbook, event.kind, event.duration_ms / 1000)
        elif isinstance(event, RunFinished):
            runbook = self._runbook_of.pop(event.run_id, "")
            return ("run", runbook, event.status or "unknown", 1)
        return None

    def apply(self, entry: Sequence[Any]) -> None:
        """Count an :meth:`entry` (from this process, or batched from the worker's report)."""
        if len(entry) != 4 or not all(isinstance(text, str) for text in entry[:3]):
            return
        what, runbook, label, value = entry
        if what == "steps" and isinstance(value, list):
            observe = self._instrument(self.steps, runbook, label).observe
            for seconds in value:
                if isinstance(seconds, int | float):
                    observe(seconds)
        elif what == "step" and isinstance(value, int | float):
            self._instrument(self.steps, runbook, label).observe(value)
        elif what == "run" and isinstance(value, int) and value > 0:
            self._instrument(self.runs, runbook, label).inc(value)

    def _instrument(self, family: Any, runbook: str, label: str) -> Any:
        """The labelled child of ``family`` (``labels()`` once per family and label pair;
        a step's duration, sent alone or in a list, is one child of ``steps``)."""
        key = (family, runbook, label)
        found = self._labelled.get(key)
        if found is None:
            found = self._labelled[key] = family.labels(runbook, label)
        return found

    async def follow(self, events: EventStream) -> None:
        """Count the engine's events until cancelled (a task of the app's lifespan)."""
        try:
            async for event in events:
                self.event(event)
        finally:
            events.close()

    async def endpoint(self, _request: Request) -> Response:
        self.tell_accepted()
        body = await asyncio.to_thread(generate_latest, self.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    def exposition(self) -> Mapping[str, float]:
        """Every sample as ``name{labels}`` -> value (for tests and the TUI)."""
        found: dict[str, float] = {}
        self.tell_accepted()
        for family in self.registry.collect():
            for sample in family.samples:
                labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
                found[f"{sample.name}{{{labels}}}"] = sample.value
        return found


class CountRequests:
    """ASGI middleware: every HTTP response's status, with its path, into the metrics."""

    def __init__(self, app: ASGIApp, metrics: ServeMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = [500]

        async def keep_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, keep_status)
        finally:
            with contextlib.suppress(Exception):
                self.metrics.request(str(scope.get("path", "")), status[0])


__all__ = ["CountRequests", "ServeMetrics"]
