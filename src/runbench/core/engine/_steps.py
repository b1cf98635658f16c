"""What each kind of step does, given a run's variables: the step half of the engine.

Every handler returns an :class:`Outcome` — the edge taken and the outputs set, or the
end of the run — and never raises for a problem in the runbook: a missing edge, an
unresolved variable or a bad items list ends the run as failed with a sentence saying
which step and why, instead of Halo's "Next step not found".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from runbench.core.engine import _conditions as conditions
from runbench.core.engine._events import (
    Event,
    OutputsSet,
    RequestSent,
    ResponseReceived,
    RetryScheduled,
    VariableChanged,
)
from runbench.core.engine._retry import backoff, repeats_side_effect, retry_after, retry_reason
from runbench.core.engine._variables import Renderer, element_outputs
from runbench.core.errors import ExpressionError, RunbenchError
from runbench.core.files import load_json_text
from runbench.core.halo import find_action
from runbench.core.secrets import Redactor, Secrets
from runbench.core.workspace import Retry, Runbook, Step, Workspace

if TYPE_CHECKING:
    from runbench.core.engine._results import RunResult
    from runbench.core.http import Exchange, Executor

EDGE_FAIL = "on_failure"


@dataclass(frozen=True)
class End:
    """How an end step (or a stop) finishes the run: status, message, error."""

    status: str
    message: str
    error: str | None


@dataclass
class Outcome:
    """What a step did: the edge and step it goes to, its outputs, error or end."""

    edge: str | None = None
    target: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    end: End | None = None
    loops_changed: bool = False


def first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


class StepKinds:
    """Mixin of step handlers; :class:`runbench.core.engine._runner.Run` supplies the state."""

    run_id: str
    runbook: Runbook
    workspace: Workspace
    variables: MutableMapping[str, Any]
    loops: dict[str, dict[str, Any]]
    renderer: Renderer
    executor: Executor
    seq: int
    clock: Callable[[], float]
    sleep: Callable[[float], Awaitable[None]]
    random: Callable[[], float]
    publish: Callable[[Event], None]
    has_listeners: Callable[[], bool]
    secrets: Secrets
    redactor: Redactor
    record_exchange: Callable[[str, int, Exchange], None]
    flush_journal: Callable[[], None]
    start_child: Callable[[str, Mapping[str, Any]], Awaitable[RunResult]]

    # -- edges -----------------------------------------------------------------------
    def follow(
        self,
        step: Step,
        key: str,
        *,
        outputs: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> Outcome:
        """Take edge ``key`` of ``step``; a missing or dangling edge ends the run as failed."""
        target = step.edge(key)
        if not target:
            why = f"step '{step.id}' has no '{key}' edge"
            if error:
                why += f" (the step failed: {error})"
            return Outcome(key, None, outputs or {}, error, End("failure", "", why))
        if target not in self.runbook.steps:
            why = f"step '{step.id}': '{key}' points at '{target}', which is not a step"
            return Outcome(key, None, outputs or {}, error, End("failure", "", why))
        return Outcome(key, target, outputs or {}, error)

    def fail_run(self, step: Step, reason: str) -> Outcome:
        why = f"step '{step.id}': {reason}"
        return Outcome(None, None, {}, reason, End("failure", "", why))

    def set_outputs(self, step: Step, values: Mapping[str, Any]) -> None:
        if not values:
            return
        secret = self.redactor.names
        for name, value in values.items():
            if name in secret:  # an output declared secret = true: learn its value
                self.secrets.remember_value(value)
        self.variables.update(values)
        if not self.has_listeners():
            return
        now = self.clock()
        for name, value in values.items():
            self.publish(VariableChanged(self.run_id, now, name, value, step.id))
        self.publish(OutputsSet(self.run_id, now, step.id, dict(values)))

    # -- HTTP steps ------------------------------------------------------------------
    async def do_method(self, step: Step) -> Outcome:
        method = self.workspace.method(step.method)
        if method is None:
            return self.follow(step, EDGE_FAIL, error=f"no method '{step.method}' in the workspace")
        executor = self.executor
        return await self.http_step(
            step,
            lambda scope: executor.call(method, scope, extra_outputs=step.outputs),
        )

    async def do_halo(self, step: Step) -> Outcome:
        action = find_action(step.action)
        if action is None:
            number = step.halo.get("auto_action_type")
            why = (
                f"Halo API action number {number} is not one runbench knows; choose an action"
                if not step.action and number is not None
                else f"no Halo API action '{step.action}'"
            )
            return self.follow(step, EDGE_FAIL, error=why)
        if not self.workspace.halo or self.workspace.halo not in self.workspace.integrations:
            return self.follow(
                step,
                EDGE_FAIL,
                error="the workspace has no Halo integration: "
                'set halo = "INTEGRATION" at the top of the file',
            )
        body = step.body if step.body is not None else action.body_template
        executor = self.executor
        return await self.http_step(
            step,
            lambda scope: executor.call_halo(action, body, scope, extra_outputs=step.outputs),
        )

    async def http_step(
        self, step: Step, call: Callable[[Mapping[str, Any]], Awaitable[Exchange]]
    ) -> Outcome:
        try:
            scope = {**self.variables, **self.renderer.args(step.args, self.variables)}
        except ExpressionError as exc:
            return self.follow(step, EDGE_FAIL, error=f"args: {first_line(exc)} (nothing sent)")
        if step.retry is None:  # most steps: one call, awaited here (a frame less per call)
            exchange = await call(scope)
            self.record_exchange(step.id, 1, exchange)
        else:
            exchange = await self.attempts(step, lambda: call(scope))
        if exchange.ok and not exchange.output_errors:
            self.set_outputs(step, exchange.outputs)
            return self.follow(step, "on_success", outputs=dict(exchange.outputs))
        return self.follow(step, EDGE_FAIL, error=describe_failure(exchange, step))

    async def attempts(self, step: Step, call: Callable[[], Awaitable[Exchange]]) -> Exchange:
        attempts = step.retry.attempts if step.retry else 1
        attempt = 1
        while True:
            exchange = await call()
            self.record_exchange(step.id, attempt, exchange)
            reason = retry_reason(exchange, step.retry) if step.retry else None
            if step.retry is None or reason is None or attempt >= attempts:
                return exchange
            asked = retry_after(exchange, self.clock())
            delay = backoff(step.retry, attempt, self.random, asked)
            self.publish(RetryScheduled(self.run_id, self.clock(), step.id, attempt, delay, reason))
            self.flush_journal()  # the attempt is journaled now, not after the back-off
            await self.sleep(delay)
            attempt += 1

    def publish_exchange(self, step: str, exchange: Exchange) -> None:
        if not self.has_listeners():
            return
        now = self.clock()
        if exchange.request is not None:
            self.publish(RequestSent(self.run_id, now, step, exchange.request))
        self.publish(ResponseReceived(self.run_id, now, step, exchange))

    # -- flow steps ------------------------------------------------------------------
    async def do_condition(self, step: Step) -> Outcome:
        try:
            met, _ = conditions.evaluate(step.rules, step.match, self.variables, self.renderer)
        except (ExpressionError, ValueError, TypeError) as exc:
            return self.fail_run(step, f"condition cannot be evaluated: {first_line(exc)}")
        return self.follow(step, "on_true" if met else "on_false")

    async def do_sleep(self, step: Step) -> Outcome:
        await self.sleep(max(0.0, step.seconds))
        return self.follow(step, "next")

    async def do_foreach(self, step: Step) -> Outcome:
        try:
            items = self.renderer.value(step.items, self.variables)
        except ExpressionError as exc:
            return self.fail_run(step, f"items: {first_line(exc)}")
        if isinstance(items, str):
            try:
                items = load_json_text(items)
            except ValueError:  # not JSON, or a number too long to read
                shown = items if len(items) <= 60 else items[:59] + "…"  # the redactor sees …
                return self.fail_run(step, f"items is a string that is not a JSON array: {shown!r}")
        if not isinstance(items, list):
            return self.fail_run(step, f"items must be an array, got {type(items).__name__}")
        if not items:
            self.loops.pop(step.id, None)
            outcome = self.follow(step, "on_empty")
            outcome.loops_changed = True
            return outcome
        self.loops[step.id] = {"items": items, "index": 0}
        return self.enter_item(step, step, items[0], "on_item")

    def enter_item(self, step: Step, loop: Step, element: Any, key: str) -> Outcome:
        values, error = element_outputs(loop.outputs, element)
        if error is not None:
            outcome = self.fail_run(step, error)
        else:
            self.set_outputs(loop, values)
            outcome = self.follow(loop, "on_item", outputs=values)
            outcome.edge = key
        outcome.loops_changed = True
        return outcome

    async def do_next(self, step: Step) -> Outcome:
        name = step.edge("loop")
        if not name:
            return self.follow(step, "loop")
        loop = self.runbook.steps.get(name)
        if loop is None or loop.kind != "foreach":
            return self.fail_run(step, f"loop '{name}' is not a foreach step")
        state = self.loops.get(name)
        if state is None:
            return self.fail_run(step, f"loop '{name}' has not started (run it before '{step.id}')")
        index = int(state["index"]) + 1
        if index < len(state["items"]):
            state["index"] = index
            return self.enter_item(step, loop, state["items"][index], "loop")
        del self.loops[name]
        outcome = self.follow(step, "on_done")
        outcome.loops_changed = True
        return outcome

    async def do_runbook(self, step: Step) -> Outcome:
        if step.runbook not in self.workspace.runbooks:
            return self.fail_run(step, self.workspace.unknown_runbook(step.runbook))
        try:
            inputs = self.renderer.args(step.args, self.variables)
        except ExpressionError as exc:
            return self.fail_run(step, f"args: {first_line(exc)}")
        try:
            result = await self.start_child(step.runbook, inputs)
        except RunbenchError as exc:
            return self.fail_run(step, f"runbook '{step.runbook}' cannot start: {first_line(exc)}")
        error = result.error
        if result.status != "success" and error is None:
            error = f"runbook '{step.runbook}' (run {result.run_id}) failed"
        end = End(result.status, result.message, error)
        return Outcome(None, None, {"run_id": result.run_id}, None if result.ok else error, end)

    async def do_end(self, step: Step) -> Outcome:
        note: str | None = None
        try:
            message = self.renderer.text(step.message, self.variables)
        except ExpressionError as exc:
            note = f"message not rendered: {first_line(exc)}"
            message = f"{step.message} ({note})"
        error = None if step.result == "success" else f"failure end '{step.id}' reached"
        return Outcome(None, None, {}, note, End(step.result, message, error))


def _held_back(exchange: Exchange, retry: Retry) -> bool:
    """Was a retry skipped only because it could repeat a side effect?"""
    if not repeats_side_effect(exchange, retry):
        return False
    return retry_reason(exchange, dataclasses.replace(retry, idempotent=True)) is not None


def describe_failure(exchange: Exchange, step: Step | None = None) -> str:
    if exchange.error is not None:
        text = f"{exchange.error_kind or 'error'}: {exchange.error}"
    elif exchange.output_errors:
        text = "; ".join(f"output '{name}': {why}" for name, why in exchange.output_errors.items())
    elif exchange.response is None:
        text = "no response"
    else:
        text = f"HTTP {exchange.response.status} {exchange.response.reason}".rstrip()
    retry = step.retry if step is not None else None
    if retry is not None and retry.attempts > 1 and _held_back(exchange, retry):
        verb = exchange.request.method if exchange.request is not None else "the request"
        text += (
            f" (not retried: the {verb} may have reached the server, and repeating it could "
            "do its work twice; set idempotent = true in the step's retry if that is safe)"
        )
    return text


__all__ = ["End", "Outcome", "StepKinds", "describe_failure"]
