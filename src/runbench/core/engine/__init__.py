"""The runbook engine: runs flowcharts of steps, records them, and lets you debug them.

Import from here: ``Engine``, ``RunHandle``, ``RunResult``, ``StepRecord``, ``Journal``,
``Debugger``, the events, and ``replay``. The modules are split by concern (events,
variables, conditions, retry, steps, runner, engine, journal, debugger, replay, context)
so each stays small enough to read in one sitting.
"""

from runbench.core.engine.debugger import Debugger
from runbench.core.engine.engine import Engine, RunHandle
from runbench.core.engine.events import (
    Event,
    EventStream,
    OutputsSet,
    RequestSent,
    ResponseReceived,
    RetryScheduled,
    RunFinished,
    RunPaused,
    RunQueued,
    RunResumed,
    RunStarted,
    StepFinished,
    StepStarted,
    VariableChanged,
)
from runbench.core.engine.journal import Journal, QueuedRun, RunRow, StepRow
from runbench.core.engine.results import RunResult, StepRecord

__all__ = [
    "Debugger", "Engine", "Event", "EventStream", "Journal", "OutputsSet", "QueuedRun",
    "RequestSent", "ResponseReceived", "RetryScheduled", "RunFinished", "RunHandle",
    "RunPaused", "RunQueued", "RunResult", "RunResumed", "RunRow", "RunStarted", "StepFinished",
    "StepRecord", "StepRow", "StepStarted", "VariableChanged",
]
