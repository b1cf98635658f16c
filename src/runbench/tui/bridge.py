"""The one place where engine events become Textual messages.

The engine publishes frozen events on an async stream (``Engine.subscribe()``); the
workbench must never read that stream anywhere else, or two widgets could see a run
differently. ``EventBridge.attach(engine)`` subscribes and pumps every event, in order,
into one ``EngineEvent`` message posted to the app (a worker in group "bridge", so the
message pump never waits on the stream). ``Subscription.close()`` ends the pump after
the events already queued, so the last ``RunFinished`` is always delivered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.app import App
from textual.message import Message
from textual.worker import Worker

if TYPE_CHECKING:  # the app declares its handler at start; the engine loads on first run
    from runbench.core.engine import Engine, Event, EventStream


class EngineEvent(Message):
    """An engine event (frozen; ``event.run_id`` says which run)."""

    def __init__(self, event: Event) -> None:
        self.event = event
        super().__init__()


@dataclass
class Subscription:
    """A live pump from one engine's stream into the app."""

    stream: EventStream
    worker: Worker[None]

    def close(self) -> None:
        self.stream.close()


class EventBridge:
    """Turns engine streams into ``EngineEvent`` messages for ``app``."""

    def __init__(self, app: App[object]) -> None:
        self.app = app

    def attach(self, engine: Engine) -> Subscription:
        stream = engine.subscribe()
        worker = self.app.run_worker(
            self._pump(stream), group="bridge", description="engine events", exit_on_error=False
        )
        return Subscription(stream, worker)

    async def _pump(self, stream: EventStream) -> None:
        async for event in stream:
            self.app.post_message(EngineEvent(event))


__all__ = ["EngineEvent", "EventBridge", "Subscription"]
