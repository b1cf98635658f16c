"""What a run may show or store: its events and journal rows with every secret blanked.

A run holds real values (a step may need the token an earlier step fetched), but nothing
that leaves the run may: the event stream feeds the CLI's progress lines and the
workbench, the journal is a file on disk. So the engine passes each event through
:func:`shown_event` before any subscriber sees it, and the runner passes variables,
outputs, loop state, errors and messages through the run's Redactor before each journal
write. Variables declared secret (``secret = true`` outputs) are blanked by name whatever
they hold; everything else is searched for every known secret value in all its spellings.

A resumed run starts from journaled variables, so a blanked one comes back as ``••••``:
:func:`withheld` names those, and the engine drops them rather than send ``••••`` to an API
(a step that needs one fails naming it; rerunning from the step that set it fetches it
again).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from runbench.core.engine._events import (
    Event,
    OutputsSet,
    ResponseReceived,
    RetryScheduled,
    RunFinished,
    RunQueued,
    StepFinished,
    VariableChanged,
)
from runbench.core.secrets import REDACTED, Redactor


def shown_event(event: Event, redactor: Redactor) -> Event:
    """``event`` as subscribers may see it."""
    if isinstance(event, StepFinished):
        return dataclasses.replace(
            event, outputs=redactor.variables(event.outputs), error=_text(redactor, event.error)
        )
    if isinstance(event, OutputsSet):
        return dataclasses.replace(event, values=redactor.variables(event.values))
    if isinstance(event, VariableChanged):
        return dataclasses.replace(event, value=redactor.variable(event.name, event.value))
    if isinstance(event, RunFinished):
        return dataclasses.replace(
            event, error=_text(redactor, event.error), message=redactor.text(event.message)
        )
    if isinstance(event, ResponseReceived) and event.exchange is not None:
        return dataclasses.replace(event, exchange=event.exchange.shown())
    if isinstance(event, (RetryScheduled, RunQueued)):
        return dataclasses.replace(event, reason=redactor.text(event.reason))
    return event


def _text(redactor: Redactor, text: str | None) -> str | None:
    return None if text is None else redactor.text(text)


def withheld(variables: Mapping[str, Any]) -> list[str]:
    """Names of journaled variables whose value was blanked (wholly or in part)."""
    return [name for name, value in variables.items() if _holds_blank(value)]


def _holds_blank(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if REDACTED in item:
                return True
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return False


__all__ = ["shown_event", "withheld"]
