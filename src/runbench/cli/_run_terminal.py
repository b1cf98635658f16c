"""The terminal side of `runbench run` and `resume`: one progress line per step, a spinner
on a TTY, and the debugger's plain prompt on stdin ((s)tep, (c)ontinue, (p)rint [NAME],
set NAME=VALUE, (q)uit), so a run can be debugged over SSH or driven by a pipe.

Apart from ``cmd_run`` (arguments, journal, running, the report) because it is what the
events of a run look like in a terminal. Every line is redacted, and on a terminal its
control characters are shown, not obeyed.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from typing import Any, TextIO

from runbench.cli.controls import raw, shown_controls
from runbench.core.engine import (
    Engine,
    EventStream,
    RetryScheduled,
    RunHandle,
    RunPaused,
    StepFinished,
    StepStarted,
    parse_cli_value,
)
from runbench.core.secrets import Redactor

HELP = "commands: s(tep), c(ontinue), p(rint) [NAME], set NAME=VALUE, q(uit)"


class Terminal:
    """Progress lines, a TTY-only spinner, and the debugger prompt on stdin."""

    def __init__(self, out: TextIO, stdin: TextIO, redactor: Redactor) -> None:
        self.out = raw(out)  # its own line clearing goes to the terminal; text is shown
        self.stdin = stdin
        self.redactor = redactor
        self.redact: Callable[[Any], Any] = redactor.value
        self.tty = out.isatty()
        self._spinner: asyncio.Task[None] | None = None

    def line(self, text: str) -> None:
        """``text`` redacted; on a terminal, its control characters shown, not obeyed."""
        self._stop_spinner()
        text = self.redactor.text(text)
        if self.tty:
            text = shown_controls(text)
        self.out.write(("\r\033[K" if self.tty else "") + text + "\n")
        self.out.flush()

    def spin(self, label: str) -> None:
        if self.tty:
            self._stop_spinner()
            spun = self._spin(shown_controls(label))
            self._spinner = asyncio.get_running_loop().create_task(spun)

    async def _spin(self, label: str) -> None:
        for frame in itertools.cycle("|/-\\"):
            self.out.write(f"\r\033[K{frame} {label}")
            self.out.flush()
            await asyncio.sleep(0.1)

    def _stop_spinner(self) -> None:
        if self._spinner is not None:
            self._spinner.cancel()
            self._spinner = None

    async def readline(self, prompt: str) -> str | None:
        self.line(prompt)
        text = await asyncio.get_running_loop().run_in_executor(None, self.stdin.readline)
        return text.strip() if text else None

    async def watch(self, engine: Engine, stream: EventStream) -> None:
        async for event in stream:
            if isinstance(event, StepStarted):
                self.spin(f"{event.step} ({event.kind})")
            elif isinstance(event, StepFinished):
                self.line(step_line(event))
            elif isinstance(event, RetryScheduled):
                self.line(
                    f"  retry {event.step}: attempt {event.attempt} failed ({event.reason}),"
                    f" waiting {event.delay:.2f} s"
                )
            elif isinstance(event, RunPaused):
                handle = engine.handle(event.run_id)
                if handle is not None:
                    await self.prompt(handle, event)
        self._stop_spinner()

    async def prompt(self, handle: RunHandle, event: RunPaused) -> None:
        debugger = handle.debugger
        while True:
            text = await self.readline(f"paused before '{event.step}' ({event.reason}) > ")
            if text is None:  # stdin closed: run to the end without asking again
                debugger.breakpoints.clear()
                debugger.continue_()
                return
            command, _, rest = text.partition(" ")
            if command in ("", "s", "step"):
                debugger.step()
                return
            if command in ("c", "continue"):
                debugger.continue_()
                return
            if command in ("q", "quit"):
                debugger.stop()
                return
            self.command(handle, command, rest.strip())

    def command(self, handle: RunHandle, command: str, rest: str) -> None:
        debugger = handle.debugger
        if command in ("p", "print"):
            values = self.redactor.variables(debugger.variables())
            shown = {rest: values.get(rest, "<not set>")} if rest else values
            for name, value in shown.items():
                self.line(f"  {name} = {json.dumps(value, default=str)}")
        elif command == "set":
            name, sep, value = rest.partition("=")
            if not sep or not name.strip():
                self.line("  usage: set NAME=VALUE")
                return
            debugger.set_variable(name.strip(), parse_cli_value(value.strip()))
            self.line(f"  {name.strip()} set")
        else:
            self.line(f"  unknown command {command!r}; {HELP}")


def step_line(event: StepFinished) -> str:
    edge = event.edge or "end"
    target = f" -> {event.target}" if event.target else ""
    error = f"  ({event.error})" if event.error else ""
    return f"  {event.step:<20} {edge}{target}  {event.duration_ms:.1f} ms{error}"


__all__ = ["HELP", "Terminal", "step_line"]
