"""Debugger commands: breakpoints, step mode, step/continue/stop, set_variable, run from step."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from runbench.core.engine import Journal, RunPaused, RunResumed, VariableChanged
from runbench.core.errors import RunError
from test_engine_support import Api, engine, run_row, workspace

FLOW = """
    [runbooks.r]
    start = "a"
    [runbooks.r.steps.a]
    kind = "method"
    method = "api.post_note"
    args = { text = "<<greeting>>" }
    on_success = "b"
    [runbooks.r.steps.b]
    kind = "method"
    method = "api.post_note"
    args = { text = "b <<greeting>>" }
    on_success = "c"
    [runbooks.r.steps.c]
    kind = "method"
    method = "api.post_note"
    args = { text = "c <<greeting>>" }
    on_success = "done"
    [runbooks.r.steps.done]
    kind = "end"
    message = "<<greeting>>"
"""


def texts(api: Api) -> list[str]:
    return [json.loads(r.content)["text"] for r in api.seen]


async def test_breakpoint_pause_set_variable_continue(tmp_path: Path) -> None:
    api = Api()
    eng = engine(workspace(tmp_path, FLOW), api)
    stream = eng.subscribe()
    handle = eng.start("r", breakpoints=["b"])
    assert await handle.debugger.wait_paused() == "b"
    assert handle.debugger.paused_at == "b"
    assert texts(api) == ["hello"]
    assert handle.debugger.variables()["greeting"] == "hello"
    handle.debugger.set_variable("greeting", "changed")
    assert handle.debugger.continue_() is True
    result = await handle.result()
    assert texts(api) == ["hello", "b changed", "c changed"]
    assert result.message == "changed"
    events = stream.drain()
    paused = [e for e in events if isinstance(e, RunPaused)]
    assert [(e.step, e.reason) for e in paused] == [("b", "breakpoint")]
    assert any(isinstance(e, RunResumed) and e.step == "b" for e in events)
    user = [e for e in events if isinstance(e, VariableChanged) and e.source == "user"]
    assert [(e.name, e.value) for e in user] == [("greeting", "changed")]


async def test_step_mode_runs_one_step_per_command(tmp_path: Path) -> None:
    api = Api()
    eng = engine(workspace(tmp_path, FLOW), api)
    handle = eng.start("r", step_mode=True)
    order = []
    for expected_sent in range(4):
        order.append(await handle.debugger.wait_paused())
        assert len(api.seen) == expected_sent
        assert handle.debugger.step() is True
    result = await handle.result()
    assert order == ["a", "b", "c", "done"]
    assert result.status == "success"


async def test_double_step_never_skips_a_pause(tmp_path: Path) -> None:
    api = Api(gate=asyncio.Event())
    ws = workspace(
        tmp_path,
        FLOW.replace(
            'method = "api.post_note"\n    args = { text = "<<greeting>>" }', 'method = "api.slow"'
        ),
    )
    eng = engine(ws, api)
    handle = eng.start("r", step_mode=True)
    assert await handle.debugger.wait_paused() == "a"
    assert handle.debugger.step() is True
    assert handle.debugger.step() is False  # not paused (a is running): a no-op
    api.release()
    assert await handle.debugger.wait_paused() == "b"
    assert len(api.seen) == 1  # b has not run: the second step() did not skip the pause
    handle.debugger.continue_()
    assert (await handle.result()).status == "success"


async def test_commands_when_not_paused(tmp_path: Path) -> None:
    api = Api(gate=asyncio.Event())
    ws = workspace(
        tmp_path,
        FLOW.replace(
            'method = "api.post_note"\n    args = { text = "<<greeting>>" }', 'method = "api.slow"'
        ),
    )
    handle = engine(ws, api).start("r")
    while not api.seen:
        await asyncio.sleep(0)
    assert handle.debugger.paused_at is None
    assert handle.debugger.continue_() is False
    with pytest.raises(RunError, match="not paused"):
        handle.debugger.set_variable("greeting", "x")
    api.release()
    assert (await handle.result()).message == "hello"


async def test_add_and_remove_breakpoints_while_running(tmp_path: Path) -> None:
    api = Api()
    eng = engine(workspace(tmp_path, FLOW), api)
    handle = eng.start("r", breakpoints=["a", "b"])
    assert await handle.debugger.wait_paused() == "a"
    handle.debugger.remove_breakpoint("b")
    handle.debugger.add_breakpoint("c")
    handle.debugger.continue_()
    assert await handle.debugger.wait_paused() == "c"
    assert texts(api) == ["hello", "b hello"]
    handle.debugger.set_step_mode(True)
    handle.debugger.continue_()  # continue turns step mode off again
    assert (await handle.result()).status == "success"


async def running_in_a_slow_call(tmp_path: Path) -> tuple[Any, Journal]:
    """A journaled run of FLOW whose first step's call has been sent and is not answered."""
    slow = Api(gate=asyncio.Event())
    ws = workspace(
        tmp_path,
        FLOW.replace(
            'method = "api.post_note"\n    args = { text = "<<greeting>>" }', 'method = "api.slow"'
        ),
    )
    journal = Journal(tmp_path / "runs.db")
    running = engine(ws, slow, journal=journal).start("r")
    while not slow.seen:
        await asyncio.sleep(0)
    return running, journal


async def test_stop_while_paused_and_while_running(tmp_path: Path) -> None:
    api = Api()
    eng = engine(workspace(tmp_path, FLOW), api)
    handle = eng.start("r", breakpoints=["b"])
    await handle.debugger.wait_paused()
    handle.debugger.stop()
    result = await handle.result()
    assert result.status == "failure"
    assert result.error == "stopped by user at step 'b'"
    assert len(api.seen) == 1

    running, journal = await running_in_a_slow_call(tmp_path)
    running.debugger.stop()
    stopped = await running.result()
    assert stopped.status == "failure"
    assert stopped.error == "stopped by user at step 'a'"
    assert run_row(journal, running.run_id).status == "failure"
    [step] = journal.steps(running.run_id)
    assert (step.step, step.finished, step.error) == ("a", True, "stopped by user")


async def test_stop_with_a_reason_is_recorded_as_given(tmp_path: Path) -> None:
    """A caller that knows why (the workbench whose terminal hung up) says so: the run's
    error and its interrupted step's end carry that reason, not "stopped by user"; a
    second stop does not change what the first said."""
    running, journal = await running_in_a_slow_call(tmp_path)
    running.debugger.stop("stopped: the terminal hung up")
    running.debugger.stop()
    stopped = await running.result()
    assert stopped.error == "stopped: the terminal hung up at step 'a'"
    assert run_row(journal, running.run_id).error == stopped.error
    [step] = journal.steps(running.run_id)
    assert step.error == "stopped: the terminal hung up"


async def test_stop_while_queued(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        FLOW.replace('start = "a"', 'start = "a"\n    max_concurrent = 1').replace(
            'method = "api.post_note"\n    args = { text = "<<greeting>>" }', 'method = "api.slow"'
        ),
    )
    api = Api(gate=asyncio.Event())
    eng = engine(ws, api)
    first, second = eng.start("r"), eng.start("r")
    while not api.seen:
        await asyncio.sleep(0)
    second.debugger.stop()
    api.release()
    assert (await first.result()).status == "success"
    stopped = await second.result()
    assert stopped.status == "failure"
    assert stopped.steps == []
    assert stopped.error == "stopped by user at step 'a'"
    assert api.paths().count("/slow") == 1  # only the first run called it


async def test_rerun_from_step_uses_recorded_variables(tmp_path: Path) -> None:
    ws = workspace(tmp_path, FLOW)
    api = Api()
    journal = Journal(tmp_path / "runs.db")
    eng = engine(ws, api, journal=journal)
    first = await eng.run("r", variables={"greeting": "first"})
    api.seen.clear()
    again = await eng.rerun_from(first.run_id, "c").result()
    assert texts(api) == ["c first"]
    assert [s.step for s in again.steps] == ["c", "done"]
    assert again.message == "first"
    assert again.run_id != first.run_id
    direct = await eng.run("r", from_step="b", base_variables={"greeting": "base"})
    assert direct.message == "base"
    with pytest.raises(RunError, match="never reached step"):
        eng.rerun_from(first.run_id, "nowhere")
    with pytest.raises(RunError, match="has no step 'zz'"):
        eng.start("r", from_step="zz")
