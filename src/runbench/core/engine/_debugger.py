"""The debugger of one run: breakpoints, stepping, stop, and editing variables.

A run checks :meth:`Debugger.gate` before every step. The gate pauses there when the step
has a breakpoint or step mode is on, and waits until someone calls continue_/step/stop.
``step()`` only acts while paused: a second ``step()`` pressed while the step is still
running is a no-op, so a double key press can never run past the next pause. Variables
can be changed only while paused, when no step is reading them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any

from runbench.core.engine._events import Event, RunPaused, RunResumed, VariableChanged
from runbench.core.errors import RunError

STOPPED = "stopped by user"
"""The reason a stopped run ends with unless ``stop`` is given another (a hangup's)."""


class Debugger:
    def __init__(
        self,
        run_id: str,
        variables: MutableMapping[str, Any],
        publish: Callable[[Event], None],
        clock: Callable[[], float],
        *,
        breakpoints: Iterable[str] = (),
        step_mode: bool = False,
        on_pause: Callable[[str | None], None] | None = None,
    ) -> None:
        self.run_id = run_id
        self._variables = variables
        self._publish = publish
        self._clock = clock
        self.on_pause = on_pause
        self.breakpoints: set[str] = set(breakpoints)
        self.step_mode = step_mode
        self._paused_at: str | None = None
        self._resume = asyncio.Event()
        self._paused_event = asyncio.Event()
        self.stop_requested = False
        self.stop_reason = STOPPED
        self._cancel: Callable[[], object] | None = None

    # -- state -----------------------------------------------------------------------
    @property
    def paused_at(self) -> str | None:
        return self._paused_at

    def variables(self) -> dict[str, Any]:
        return dict(self._variables)

    def bind(self, variables: MutableMapping[str, Any], cancel: Callable[[], object]) -> None:
        """Attach to the run's live variables and its way to interrupt a running step."""
        self._variables = variables
        self._cancel = cancel

    # -- commands --------------------------------------------------------------------
    def add_breakpoint(self, step: str) -> None:
        self.breakpoints.add(step)

    def remove_breakpoint(self, step: str) -> None:
        self.breakpoints.discard(step)

    def set_step_mode(self, on: bool) -> None:
        self.step_mode = on

    def continue_(self) -> bool:
        """Run on until the next breakpoint (step mode off). False when not paused."""
        if self._paused_at is None:
            return False
        self.step_mode = False
        self._release()
        return True

    def step(self) -> bool:
        """Run the paused step and pause before the next one. No-op when not paused."""
        if self._paused_at is None:
            return False
        self.step_mode = True
        self._release()
        return True

    def stop(self, reason: str = STOPPED) -> None:
        """End the run as failed, paused or not, with ``reason`` (the first stop's) as the
        journal's and the result's message: "stopped by user" unless the caller knows
        better (the workbench whose terminal hung up says so)."""
        if not self.stop_requested:
            self.stop_reason = reason
        self.stop_requested = True
        if self._paused_at is not None:
            self._release()
        elif self._cancel is not None:
            self._cancel()

    def set_variable(self, name: str, value: Any) -> None:
        if self._paused_at is None:
            raise RunError(f"cannot set '{name}': the run is not paused (pause it first)")
        self._variables[name] = value
        self._publish(VariableChanged(self.run_id, self._clock(), name, value, "user"))

    def _release(self) -> None:
        """Consume the pause now, so a second command before the run wakes is a no-op."""
        self._paused_at = None
        self._paused_event.clear()
        self._resume.set()

    async def wait_paused(self) -> str:
        """The step the run is paused at, once it is."""
        while self._paused_at is None:
            self._paused_event.clear()
            await self._paused_event.wait()
        return self._paused_at

    # -- used by the run -------------------------------------------------------------
    def should_pause(self, step: str) -> str | None:
        if self.stop_requested:
            return None
        if step in self.breakpoints:
            return "breakpoint"
        return "step" if self.step_mode else None

    async def gate(self, step: str) -> None:
        """Pause before ``step`` if asked to; return when the run may go on."""
        reason = self.should_pause(step)
        if reason is None:
            return
        self._paused_at = step
        self._resume.clear()
        if self.on_pause is not None:
            self.on_pause(step)
        self._publish(RunPaused(self.run_id, self._clock(), step, reason))
        self._paused_event.set()
        try:
            await self._resume.wait()
        finally:
            self._paused_at = None
            self._paused_event.clear()
        if self.on_pause is not None:
            self.on_pause(None)
        self._publish(RunResumed(self.run_id, self._clock(), step))


__all__ = ["STOPPED", "Debugger"]
