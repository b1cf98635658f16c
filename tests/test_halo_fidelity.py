"""What Halo's own runbooks rely on: JSON inside strings, spaced names, custom fields,
``!``-stored outputs, Halo's condition idioms, and outputs declared on steps in check."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from runbench.core.engine import Renderer, evaluate_rules
from runbench.core.errors import NoMatchError
from runbench.core.expressions import Context, compile_path, parse_template, stored_value
from runbench.core.workspace import Rule, check_workspace, load_workspace
from test_engine_support import Api, engine, workspace

CHAT = {
    "choices": [
        {"message": {"role": "assistant", "content": '{"category": "Network", "impact": 2}'}}
    ]
}


# ------------------------------------------------------------------ paths into JSON strings


def test_path_continues_into_a_string_holding_json() -> None:
    path = compile_path("response^choices[0]^message^content^category!")
    assert path.evaluate({"response": CHAT}) == "Network"
    assert (
        compile_path("response^choices[0]^message^content^impact").evaluate({"response": CHAT}) == 2
    )


def test_path_into_a_fenced_json_answer_and_into_a_string_array() -> None:
    fenced = {"content": '```json\n{"tags": ["a", "b"]}\n```', "list": '[{"id": 3, "n": "x"}]'}
    assert compile_path("response^content^tags[1]!").evaluate({"response": fenced}) == "b"
    assert compile_path("response^list[id=3]^n!").evaluate({"response": fenced}) == "x"
    assert compile_path("response^list[0]^id").evaluate({"response": fenced}) == 3


def test_a_string_that_is_not_json_still_explains_the_miss() -> None:
    with pytest.raises(NoMatchError) as info:
        compile_path("response^text^field").evaluate({"response": {"text": "plain words"}})
    assert "response^text is a string, not an object" in str(info.value)


# ------------------------------------------------------------------ names with spaces


def test_variable_names_with_spaces_render() -> None:
    template = parse_template('{"type": "<<OpenAITicket Type!>>", "n": <<My Count>>}')
    assert template.variables == {"OpenAITicket Type", "My Count"}
    variables = {"OpenAITicket Type": "Incident", "My Count": 3}
    assert json.loads(template.render(variables, Context.JSON)) == {"type": "Incident", "n": 3}
    assert parse_template("<<Result Set^items[0]>>").render({"Result Set": {"items": [5]}}) == "5"


def test_check_knows_outputs_named_with_spaces(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "ask"
        [runbooks.r.steps.ask]
        kind = "method"
        method = "api.get_user"
        args = { user_id = 1 }
        outputs = { "OpenAITicket Type" = "response^name!" }
        on_success = "done"
        on_failure = "done"
        [runbooks.r.steps.done]
        kind = "end"
        message = "<<OpenAITicket Type>> and <<OpenAITicket Typo>>"
        """,
    )
    warnings = [p.message for p in check_workspace(ws) if not p.is_error]
    assert any("<<OpenAITicket Typo>> is never set" in w for w in warnings), warnings
    assert not any("<<OpenAITicket Type>>" in w for w in warnings), warnings


# ------------------------------------------------------------------ outputs stored with !


@pytest.mark.parametrize(
    ("found", "raw", "stored"),
    [
        ("2", True, 2),
        ("2", False, "2"),
        ("-17", True, -17),
        ("1.5", True, 1.5),
        ("1.50", True, "1.50"),  # would not be written back as the same text
        ("007", True, "007"),
        ("true", True, True),
        ("null", True, None),
        ("Network", True, "Network"),
        (2, True, 2),
    ],
)
def test_stored_value(found: object, raw: bool, stored: object) -> None:
    assert stored_value(found, raw) == stored
    assert type(stored_value(found, raw)) is type(stored)


async def test_output_stored_with_bang_is_sent_unquoted(tmp_path: Path) -> None:
    """Halo: ``response^impact!`` over ``{"impact": "2"}`` stores the text 2, so
    ``"impact": <<Impact>>`` sends 2. Without ``!`` the string "2" stays quoted."""
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "get"
        [runbooks.r.steps.get]
        kind = "method"
        method = "api.status"
        args = { code = 200 }
        outputs = { Impact = "response^impact!", Quoted = "response^impact" }
        on_success = "send"
        on_failure = "bad"
        [runbooks.r.steps.send]
        kind = "halo"
        action = "update_ticket"
        body = '[{"id": 1, "impact": <<Impact>>, "quoted": <<Quoted>>}]'
        on_success = "done"
        on_failure = "bad"
        [runbooks.r.steps.done]
        kind = "end"
        [runbooks.r.steps.bad]
        kind = "end"
        result = "failure"
        """,
    )
    api = Api()
    api.script("/status/200", httpx.Response(200, json={"impact": "2"}))
    result = await engine(ws, api).run("r")
    assert result.status == "success", result
    assert json.loads(api.seen[1].content) == [{"id": 1, "impact": 2, "quoted": "2"}]


# ------------------------------------------------------------------ Halo condition idioms


@pytest.mark.parametrize(
    ("value", "met"),
    [([], False), ([1], True), ("[]", False), ('[{"a": 1}]', True), (3, True), (0, False)],
)
def test_greater_than_zero_on_an_array_means_has_elements(value: object, met: bool) -> None:
    rules = (Rule("<<List>>", "greater_than", 0),)
    assert evaluate_rules(rules, "all", {"List": value}, Renderer())[0] is met


def test_to_any_value_is_always_met() -> None:
    rules = (Rule("<<Missing>>", "any_value"),)
    assert evaluate_rules(rules, "all", {}, Renderer())[0] is True
    assert evaluate_rules(rules, "all", {"Missing": ""}, Renderer())[0] is True


# ------------------------------------------------------------------ ticket custom fields


async def test_ticket_custom_fields_are_variables(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "done"
        [runbooks.r.steps.done]
        kind = "end"
        message = "why: <<CFPriorityReason>>"
        """,
    )
    ticket = {"id": 1, "customfields": [{"id": 246, "name": "CFPriorityReason", "value": "VIP"}]}
    result = await engine(ws).run("r", context={"ticket": ticket})
    assert result.message == "why: VIP"
    assert not [p for p in check_workspace(ws) if "CFPriorityReason" in p.message]


def test_custom_fields_in_a_public_runbook_warn(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        """
        [runbooks.r]
        start = "done"
        public = true
        [runbooks.r.steps.done]
        kind = "end"
        message = "why: <<CFPriorityReason>>"
        """,
    )
    found = [p for p in check_workspace(ws) if "CFPriorityReason" in p.message]
    assert len(found) == 1
    assert "public" in found[0].message
    assert not found[0].is_error


# ------------------------------------------------------------------ check: outputs on steps


@pytest.mark.parametrize(
    ("kind_lines", "path"),
    [
        ('kind = "method"\nmethod = "api.get_user"\nargs = { user_id = 1 }', "response^a b"),
        ('kind = "halo"\naction = "get_control"', "responce^x"),
        ('kind = "foreach"\nitems = "[1]"', "status"),
    ],
)
def test_check_reports_bad_output_paths_declared_on_steps(
    tmp_path: Path, kind_lines: str, path: str
) -> None:
    text = (
        'name = "t"\nhalo = "halo"\n[integrations.halo]\nbase_url = "http://h"\n'
        '[integrations.api]\nbase_url = "http://a"\n[integrations.api.methods.get_user]\n'
        'path = "/u/<<user_id>>"\n[runbooks.r]\nstart = "s"\n[runbooks.r.steps.s]\n'
        f"{kind_lines}\n"
        f'outputs = {{ Out = "{path}" }}\n'
        'on_success = "e"\non_failure = "e"\non_item = "e"\non_empty = "e"\n'
        '[runbooks.r.steps.e]\nkind = "end"\n'
    )
    file = tmp_path / "ws.toml"
    file.write_text(text)
    errors = [p for p in check_workspace(load_workspace(file)) if p.is_error]
    assert len(errors) == 1, errors
    assert "outputs.Out: bad output path" in errors[0].message
    assert errors[0].line == text.splitlines().index(f'outputs = {{ Out = "{path}" }}') + 1
