"""The runbook engine: runs flowcharts of steps, records them, and lets you debug them.

Import from here: ``Engine``, ``RunHandle``, ``RunResult``, ``StepRecord``, ``Journal``,
``Debugger``, the events, and ``replay``. The modules are split by concern (events,
variables, conditions, retry, steps, runner, engine, journal, debugger, replay, context)
so each stays small enough to read in one sitting.
"""

from runbench.core.engine._conditions import evaluate as evaluate_rules
from runbench.core.engine._context import build_context, load_ticket
from runbench.core.engine._debugger import Debugger
from runbench.core.engine._engine import Engine
from runbench.core.engine._events import (
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
from runbench.core.engine._handle import RunHandle
from runbench.core.engine._replay import replay
from runbench.core.engine._results import RunResult, StepRecord
from runbench.core.engine._retry import backoff, retry_after, retry_reason
from runbench.core.engine._shown import withheld
from runbench.core.engine._sql import BoundQuery
from runbench.core.engine._sql import bind as bind_sql
from runbench.core.engine._variables import Renderer, coerce, parse_cli_value
from runbench.core.journal import ExchangeRow, Journal, QueuedRun, RunRow, StepRow

__all__ = [
    "BoundQuery",
    "Debugger",
    "ExchangeRow",
    "Renderer",
    "backoff",
    "bind_sql",
    "retry_after",
    "retry_reason",
    "build_context",
    "coerce",
    "evaluate_rules",
    "load_ticket",
    "parse_cli_value",
    "replay",
    "Engine",
    "Event",
    "EventStream",
    "Journal",
    "OutputsSet",
    "QueuedRun",
    "RequestSent",
    "ResponseReceived",
    "RetryScheduled",
    "RunFinished",
    "RunHandle",
    "RunPaused",
    "RunQueued",
    "RunResult",
    "RunResumed",
    "RunRow",
    "RunStarted",
    "StepFinished",
    "StepRecord",
    "StepRow",
    "StepStarted",
    "VariableChanged",
    "withheld",
]
