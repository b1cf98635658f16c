"""Every step kind and edge, through the real Executor (HTTP served by httpx.MockTransport)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from runbench.core.engine import (
    OutputsSet,
    RequestSent,
    ResponseReceived,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
    VariableChanged,
)
from runbench.core.errors import RunError
from test_engine_support import Api, FakeTime, engine, workspace


async def test_method_success_sets_outputs_and_renders_args(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "get"
        [runbooks.r.steps.get]
        kind = "method"
        method = "api.get_user"
        args = { user_id = 5 }
        on_success = "note"
        on_failure = "bad"
        [runbooks.r.steps.note]
        kind = "method"
        method = "api.post_note"
        args = { text = "<<greeting>> <<UserName>> \\"quoted\\"" }
        on_success = "done"
        on_failure = "bad"
        [runbooks.r.steps.done]
        kind = "end"
        message = "note <<NoteId>> for <<UserName>>"
        [runbooks.r.steps.bad]
        kind = "end"
        result = "failure"
    """,
    )
    api = Api()
    result = await engine(ws, api).run("r")
    assert result.status == "success", result
    assert result.message == "note 7 for User 5"
    assert api.paths() == ["/users/5", "/notes"]
    assert json.loads(api.seen[1].content) == {"text": 'hello User 5 "quoted"'}
    assert [s.edge for s in result.steps] == ["on_success", "on_success", None]
    assert result.steps[0].outputs == {"UserName": "User 5", "UserAge": "42"}
    assert result.variables["NoteId"] == 7


async def test_method_failure_edge_on_non_2xx_and_missing_failure_edge(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "get"
        [runbooks.r.steps.get]
        kind = "method"
        method = "api.status"
        args = { code = "<<code>>" }
        on_success = "done"
        on_failure = "bad"
        [runbooks.r.steps.done]
        kind = "end"
        [runbooks.r.steps.bad]
        kind = "end"
        result = "failure"
        message = "got <<code>>"
        [runbooks.nofail]
        start = "get"
        [runbooks.nofail.steps.get]
        kind = "method"
        method = "api.status"
        args = { code = 500 }
        on_success = "done"
        [runbooks.nofail.steps.done]
        kind = "end"
    """,
    )
    eng = engine(ws)
    failed = await eng.run("r", variables={"code": 503})
    assert failed.status == "failure"
    assert failed.message == "got 503"
    assert failed.steps[0].edge == "on_failure"
    assert "HTTP 503" in (failed.steps[0].error or "")
    assert (await eng.run("r", variables={"code": 204})).status == "success"
    missing = await eng.run("nofail")
    assert missing.status == "failure"
    assert missing.error is not None
    assert "step 'get' has no 'on_failure' edge" in missing.error


async def test_unresolved_variable_fails_step_without_sending(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "note"
        [runbooks.r.steps.note]
        kind = "method"
        method = "api.post_note"
        args = { text = "<<nope>>" }
        on_success = "done"
        on_failure = "bad"
        [runbooks.r.steps.done]
        kind = "end"
        [runbooks.r.steps.bad]
        kind = "end"
        result = "failure"
    """,
        check=False,
    )
    api = Api()
    result = await engine(ws, api).run("r")
    assert api.seen == []
    assert result.status == "failure"
    assert result.steps[0].edge == "on_failure"
    assert "nope" in (result.steps[0].error or "")


async def test_network_error_takes_failure_edge(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "get"
        [runbooks.r.steps.get]
        kind = "method"
        method = "api.slow"
        on_success = "done"
        on_failure = "bad"
        [runbooks.r.steps.done]
        kind = "end"
        [runbooks.r.steps.bad]
        kind = "end"
        result = "failure"
        message = "down"
    """,
    )
    api = Api()
    api.script("/slow", httpx.ConnectError("refused"))
    result = await engine(ws, api).run("r")
    assert result.message == "down"
    assert "connect" in (result.steps[0].error or "")


async def test_output_coercion_failure_is_step_failure(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "get"
        [runbooks.r.steps.get]
        kind = "method"
        method = "api.get_user"
        args = { user_id = 1 }
        outputs = { Age = { path = "response^name", type = "int" } }
        on_success = "done"
        on_failure = "bad"
        [runbooks.r.steps.done]
        kind = "end"
        [runbooks.r.steps.bad]
        kind = "end"
        result = "failure"
    """,
    )
    result = await engine(ws).run("r")
    assert result.status == "failure"
    assert "output 'Age'" in (result.steps[0].error or "")
    assert "Age" not in result.variables


async def test_halo_step_uses_action_and_halo_integration(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "create"
        [runbooks.r.steps.create]
        kind = "halo"
        action = "create_customer"
        args = { name = "Acme \\"Q\\"" }
        outputs = { CustomerId = "response^id" }
        on_success = "custom"
        on_failure = "bad"
        [runbooks.r.steps.custom]
        kind = "halo"
        action = "create_customer"
        body = '[{"name": "<<name!>>-2", "x": <<CustomerId>>}]'
        args = { name = "B" }
        on_success = "done"
        on_failure = "bad"
        [runbooks.r.steps.done]
        kind = "end"
        message = "<<CustomerId>>"
        [runbooks.r.steps.bad]
        kind = "end"
        result = "failure"
    """,
    )
    api = Api()
    result = await engine(ws, api).run("r")
    assert result.status == "success", result
    assert [str(r.url) for r in api.seen] == ["http://halo.test/api/Client"] * 2
    assert json.loads(api.seen[0].content) == [{"name": 'Acme "Q"'}]
    assert json.loads(api.seen[1].content) == [{"name": "B-2", "x": 99}]
    assert result.message == "99"


async def test_condition_edges_and_render_error_fails_run(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "check"
        [runbooks.r.steps.check]
        kind = "condition"
        match = "all"
        rules = [ { left = "<<n>>", op = "greater_than", right = 3 },
                  { left = "<<name>>", op = "equals", right = "ADA" } ]
        on_true = "yes"
        on_false = "no"
        [runbooks.r.steps.yes]
        kind = "end"
        message = "yes"
        [runbooks.r.steps.no]
        kind = "end"
        message = "no"
    """,
        check=False,
    )
    eng = engine(ws)
    assert (await eng.run("r", variables={"n": "10", "name": "ada"})).message == "yes"
    assert (await eng.run("r", variables={"n": 2, "name": "ada"})).message == "no"
    broken = await eng.run("r", variables={"name": "ada"})
    assert broken.status == "failure"
    assert "step 'check'" in (broken.error or "")
    assert "'n'" in (broken.error or "")


async def test_sleep_uses_injected_sleep(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "nap"
        [runbooks.r.steps.nap]
        kind = "sleep"
        seconds = 30
        next = "done"
        [runbooks.r.steps.done]
        kind = "end"
    """,
    )
    fake = FakeTime()
    result = await engine(ws, time=fake).run("r")
    assert result.status == "success"
    assert fake.slept == [30.0]
    assert result.steps[0].edge == "next"


FOREACH = """
    [runbooks.r]
    start = "each"
    [runbooks.r.inputs]
    users = { type = "array", default = [] }
    [runbooks.r.steps.each]
    kind = "foreach"
    items = "<<users>>"
    outputs = { Name = "response^name!", Age = { path = "response^age", type = "int" } }
    on_item = "note"
    on_empty = "empty"
    [runbooks.r.steps.note]
    kind = "method"
    method = "api.post_note"
    args = { text = "<<Name>>:<<Age>>" }
    on_success = "next"
    on_failure = "bad"
    [runbooks.r.steps.next]
    kind = "next"
    loop = "each"
    on_done = "done"
    [runbooks.r.steps.done]
    kind = "end"
    message = "last <<Name>>"
    [runbooks.r.steps.empty]
    kind = "end"
    message = "nothing"
    [runbooks.r.steps.bad]
    kind = "end"
    result = "failure"
"""


async def test_foreach_and_next_iterate_with_typed_outputs(tmp_path: Path) -> None:
    ws = workspace(tmp_path, FOREACH)
    api = Api()
    users = [{"name": "A", "age": "3"}, {"name": "B", "age": 4}]
    result = await engine(ws, api).run("r", inputs={"users": users})
    assert result.status == "success"
    assert result.message == "last B"
    assert [json.loads(r.content)["text"] for r in api.seen] == ["A:3", "B:4"]
    assert [s.edge for s in result.steps] == [
        "on_item",
        "on_success",
        "loop",
        "on_success",
        "on_done",
        None,
    ]
    assert result.steps[0].outputs == {"Name": "A", "Age": 3}


async def test_foreach_json_string_items_empty_and_bad_items(tmp_path: Path) -> None:
    ws = workspace(tmp_path, FOREACH)
    eng = engine(ws)
    as_text = await eng.run("r", inputs={"users": json.dumps([{"name": "Z", "age": 1}])})
    assert as_text.message == "last Z"
    assert (await eng.run("r")).message == "nothing"
    bad_age = await eng.run("r", inputs={"users": [{"name": "Q", "age": "old"}]})
    assert bad_age.status == "failure"
    assert "output 'Age'" in (bad_age.error or "")


async def test_foreach_items_not_array_fails_run(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "each"
        [runbooks.r.steps.each]
        kind = "foreach"
        items = "<<greeting>>"
        on_item = "done"
        [runbooks.r.steps.done]
        kind = "end"
    """,
    )
    result = await engine(ws).run("r")
    assert result.status == "failure"
    assert "not a JSON array" in (result.error or "")


async def test_next_without_started_loop_fails(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "next"
        [runbooks.r.steps.each]
        kind = "foreach"
        items = "[1]"
        on_item = "next"
        [runbooks.r.steps.next]
        kind = "next"
        loop = "each"
        on_done = "done"
        [runbooks.r.steps.done]
        kind = "end"
    """,
        check=False,
    )
    result = await engine(ws).run("r")
    assert result.status == "failure"
    assert "has not started" in (result.error or "")


async def test_runbook_step_runs_child_inline_and_ends_with_its_result(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.parent]
        start = "call"
        [runbooks.parent.steps.call]
        kind = "runbook"
        runbook = "child"
        args = { who = "<<greeting>>", n = "<<count>>" }
        [runbooks.child]
        start = "check"
        [runbooks.child.inputs]
        who = { type = "string" }
        n = { type = "int" }
        [runbooks.child.steps.check]
        kind = "condition"
        rules = [ { left = "<<n>>", op = "greater_or_equal", right = 2 } ]
        on_true = "ok"
        on_false = "ko"
        [runbooks.child.steps.ok]
        kind = "end"
        message = "child says <<who>> <<n>>"
        [runbooks.child.steps.ko]
        kind = "end"
        result = "failure"
        message = "too small"
    """,
        check=False,
    )
    eng = engine(ws)
    stream = eng.subscribe()
    result = await eng.run("parent", variables={"count": "2"})
    assert result.status == "success"
    assert result.message == "child says hello 2"
    child_id = result.steps[0].outputs["run_id"]
    started = [e for e in stream.drain() if isinstance(e, RunStarted)]
    assert [(e.run_id, e.parent_id) for e in started] == [
        (result.run_id, None),
        (child_id, result.run_id),
    ]
    failed = await eng.run("parent", variables={"count": 1})
    assert failed.status == "failure"
    assert failed.message == "too small"


async def test_runbook_recursion_is_capped(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.loop]
        start = "again"
        [runbooks.loop.steps.again]
        kind = "runbook"
        runbook = "loop"
    """,
    )
    result = await engine(ws, max_depth=3).run("loop")
    assert result.status == "failure"
    assert "nested deeper than 3" in (result.error or "")


async def test_end_message_render_error_still_ends(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "done"
        [runbooks.r.steps.done]
        kind = "end"
        message = "id <<Missing>>"
    """,
        check=False,
    )
    result = await engine(ws).run("r")
    assert result.status == "success"
    assert result.message.startswith("id <<Missing>>")
    assert "Missing" in (result.steps[0].error or "")


async def test_dangling_edge_and_unknown_method(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "get"
        [runbooks.r.steps.get]
        kind = "method"
        method = "api.nothing"
        on_success = "done"
        on_failure = "nowhere"
        [runbooks.r.steps.done]
        kind = "end"
    """,
        check=False,
    )
    result = await engine(ws).run("r")
    assert result.status == "failure"
    assert "no method 'api.nothing'" in (result.steps[0].error or "")
    assert "'nowhere', which is not a step" in (result.error or "")


async def test_inputs_are_typed_and_required(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "done"
        [runbooks.r.inputs]
        n = { type = "int" }
        flag = { type = "bool", default = "yes" }
        obj = { type = "object", default = '{"a": 1}' }
        [runbooks.r.steps.done]
        kind = "end"
    """,
    )
    eng = engine(ws)
    result = await eng.run("r", inputs={"n": "12"})
    assert (result.variables["n"], result.variables["flag"], result.variables["obj"]) == (
        12,
        True,
        {"a": 1},
    )
    with pytest.raises(RunError, match="missing required input.*n"):
        eng.start("r")
    with pytest.raises(RunError, match="input 'n' must be int"):
        eng.start("r", inputs={"n": "twelve"})


async def test_variable_precedence_and_context(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "done"
        [runbooks.r.inputs]
        greeting = { type = "string", default = "input wins" }
        [runbooks.r.steps.done]
        kind = "end"
        message = "<<greeting>> <<base>> <<ticket^id>> <<halo_url>>"
    """,
    )
    result = await engine(ws).run(
        "r", variables={"base": "override"}, context={"ticket": {"id": 12}}
    )
    assert result.message == "input wins override 12 http://halo.test"


async def test_event_sequence_for_one_method_step(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "get"
        [runbooks.r.steps.get]
        kind = "method"
        method = "api.get_user"
        args = { user_id = 1 }
        on_success = "done"
        [runbooks.r.steps.done]
        kind = "end"
    """,
    )
    eng = engine(ws)
    first, second = eng.subscribe(), eng.subscribe()
    result = await eng.run("r")
    events = first.drain()
    assert events == second.drain()
    assert [type(e) for e in events] == [
        RunStarted,
        StepStarted,
        RequestSent,
        ResponseReceived,
        VariableChanged,
        VariableChanged,
        OutputsSet,
        StepFinished,
        StepStarted,
        StepFinished,
        RunFinished,
    ]
    assert all(e.run_id == result.run_id and e.at == 1_000_000.0 for e in events)
    finished = events[-1]
    assert isinstance(finished, RunFinished)
    assert finished.status == "success"
    first.close()
    assert eng.bus.subscribers == 1


async def test_many_runs_at_once_keep_their_own_variables(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "get"
        [runbooks.r.inputs]
        uid = { type = "int" }
        [runbooks.r.steps.get]
        kind = "method"
        method = "api.get_user"
        args = { user_id = "<<uid>>" }
        on_success = "done"
        [runbooks.r.steps.done]
        kind = "end"
        message = "<<UserName>>"
    """,
    )
    eng = engine(ws)
    handles = [eng.start("r", inputs={"uid": n}) for n in range(50)]
    results = await asyncio.gather(*(h.result() for h in handles))
    assert [r.message for r in results] == [f"User {n}" for n in range(50)]
