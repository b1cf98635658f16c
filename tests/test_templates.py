"""`<<variable>>` templates: parsing, spans, context-aware rendering, errors."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runbench.core.errors import (
    NoMatchError,
    PathSyntaxError,
    RenderError,
    UnknownVariableError,
)
from runbench.core.expressions import Context, Template, VarRef, parse_template

TICKET = {"id": 42, "summary": 'Printer "HP" on fire\nsend help', "client_id": 7}
VARS: dict[str, Any] = {
    "ticket": TICKET,
    "ResponseText": "Have you tried turning it off?",
    "Result": {"items": [{"id": 9}, {"id": 10}]},
    "count": 3,
}


# ------------------------------------------------------------------ parsing


def test_refs_spans_and_variables() -> None:
    text = "id=<<ticket^id>> text=<<ResponseText!>> first=<<Result^items[0]^id>>"
    template = parse_template(text)
    names = [r.name for r in template.refs]
    assert names == ["ticket", "ResponseText", "Result"]
    assert [text[r.start : r.end] for r in template.refs] == [
        "<<ticket^id>>",
        "<<ResponseText!>>",
        "<<Result^items[0]^id>>",
    ]
    assert template.variables == frozenset({"ticket", "ResponseText", "Result"})
    assert template.refs[1].path.raw
    assert not template.refs[0].path.raw
    assert template.refs[2].path.text == "Result^items[0]^id"
    assert not template.is_single_ref


def test_single_ref() -> None:
    assert parse_template("<<count>>").is_single_ref
    assert parse_template("<<count!>>").is_single_ref
    assert not parse_template(" <<count>>").is_single_ref
    assert not parse_template("<<count>><<count>>").is_single_ref
    assert not parse_template("plain").is_single_ref


def test_template_is_frozen_and_hashable() -> None:
    a, b = parse_template("x <<y>>"), parse_template("x <<y>>")
    assert a == b
    assert hash(a) == hash(b)
    assert isinstance(a.refs[0], VarRef)
    assert isinstance(a, Template)


def test_literal_open_escape() -> None:
    template = parse_template("<<<<>>ticket>> is literal, <<ticket^id>> is not")
    assert template.render(VARS) == "<<ticket>> is literal, 42 is not"
    assert [r.name for r in template.refs] == ["ticket"]


@pytest.mark.parametrize("text", ["a << b", "x<<1", "<<", "<< name>>", "<<<", 'if (a<<"b")'])
def test_other_double_angles_are_text(text: str) -> None:
    template = parse_template(text)
    assert template.refs == ()
    assert template.render({}) == text


def test_angle_before_reference() -> None:
    assert parse_template("<<<count>>").render(VARS) == "<3"


@pytest.mark.parametrize(
    ("text", "position", "reason"),
    [
        ("hi <<ticket^id x>>", 14, "found a space"),
        ("hi <<ticket >>", 11, "found a space"),
        ("hi <<ticket^id", 14, "expected '>>' to close the reference"),
        ("<<ticket^id>", 11, "found '>'"),
        ("<<ticket^>>", 9, "expected a property name"),
        ("<<x!y>>", 4, "'!' comes last"),
    ],
)
def test_malformed_reference_is_an_error(text: str, position: int, reason: str) -> None:
    with pytest.raises(PathSyntaxError) as info:
        parse_template(text)
    assert info.value.position == position
    assert reason in info.value.reason
    assert info.value.expression == text


# ------------------------------------------------------------------ contexts


def test_text_context() -> None:
    template = parse_template("#<<ticket^id>> <<ticket^summary>> / <<Result^items>>")
    rendered = template.render(VARS)
    assert rendered == f'#42 {TICKET["summary"]} / [{{"id": 9}}, {{"id": 10}}]'


def test_json_context_strings_and_values() -> None:
    body = (
        '{"note": "<<ticket^summary!>>", "plain": "<<ticket^summary>>", '
        '"id": <<ticket^id>>, "who": <<ResponseText>>, "n": "#<<count>>", "obj": "<<Result>>"}'
    )
    decoded = json.loads(parse_template(body).render(VARS, Context.JSON))
    assert decoded["note"] == TICKET["summary"]
    assert decoded["plain"] == TICKET["summary"]
    assert decoded["id"] == 42
    assert decoded["who"] == VARS["ResponseText"]
    assert decoded["n"] == "#3"
    assert json.loads(decoded["obj"]) == VARS["Result"]


def test_json_context_escaped_quote_in_literal_keeps_string_state() -> None:
    body = r'{"a": "say \"<<ResponseText>>\" ok", "b": <<count>>}'
    decoded = json.loads(parse_template(body).render(VARS, Context.JSON))
    assert decoded == {"a": f'say "{VARS["ResponseText"]}" ok', "b": 3}


def test_json_raw_outside_quotes_inserts_raw_text() -> None:
    # Halo behaviour: a pre-built JSON fragment held as a string goes in unquoted
    out = parse_template('{"x": <<frag!>>}').render({"frag": "[1, 2]"}, Context.JSON)
    assert out == '{"x": [1, 2]}'


def test_json_keys_are_strings_too() -> None:
    out = parse_template('{"<<k>>": 1}').render({"k": 'a"b'}, Context.JSON)
    assert json.loads(out) == {'a"b': 1}


def test_path_context_percent_encodes_everything() -> None:
    out = parse_template("/api/Tickets/<<id>>").render({"id": "a/b c?d#é"}, Context.PATH)
    assert out == "/api/Tickets/a%2Fb%20c%3Fd%23%C3%A9"
    assert unquote(out.rsplit("/", 1)[1]) == "a/b c?d#é"
    assert parse_template("/x/<<n>>").render({"n": 5}, Context.PATH) == "/x/5"


@pytest.mark.parametrize("context", [Context.QUERY, Context.FORM])
def test_query_and_form_urlencode(context: Context) -> None:
    out = parse_template("q=<<q>>&n=<<n>>").render({"q": "a b&c=d+é", "n": None}, context)
    assert out == "q=a+b%26c%3Dd%2B%C3%A9&n=null"
    assert parse_qs(out) == {"q": ["a b&c=d+é"], "n": ["null"]}


def test_header_context() -> None:
    template = parse_template("Bearer <<token>>")
    assert template.render({"token": "abc"}, Context.HEADER) == "Bearer abc"
    for bad in ("abc\r\nX-Evil: 1", "abc\nX", "abc\r"):
        with pytest.raises(RenderError, match="header injection refused: variable 'token'"):
            template.render({"token": bad}, Context.HEADER)


def test_render_value_keeps_types() -> None:
    assert parse_template("<<count>>").render_value(VARS) == 3
    assert parse_template("<<Result^items[-1]>>").render_value(VARS) == {"id": 10}
    assert parse_template("n=<<count>>").render_value(VARS) == "n=3"
    assert parse_template("plain").render_value({}) == "plain"


# ------------------------------------------------------------------ errors


def test_unknown_variable_suggests() -> None:
    template = parse_template("x <<Responsetext!>>")
    with pytest.raises(UnknownVariableError) as info:
        template.render(VARS)
    assert info.value.name == "Responsetext"
    assert info.value.position == 2
    assert info.value.suggestions == ["ResponseText"]
    assert "did you mean 'ResponseText'" in str(info.value)


def test_no_match_inside_variable_mentions_template() -> None:
    template = parse_template("id: <<Result^items[id=11]^id>>")
    with pytest.raises(NoMatchError) as info:
        template.render(VARS)
    message = str(info.value)
    assert message.startswith("no element with id=11 in Result^items (2 elements, ids 9, 10)")
    assert "<<Result^items[id=11]^id>> at position 5" in message
    assert "id: <<Result" in message
    assert info.value.segment == "[id=11]"


def test_unserialisable_value_names_variable() -> None:
    with pytest.raises(RenderError, match="variable 'when'"):
        parse_template("<<when>>").render({"when": object()})


# ------------------------------------------------------------------ properties


JSON_LIKE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
BODY = parse_template(
    '{"a": "<<x!>>", "b": <<x>>, "c": "pre <<x>> post", "k:<<x>>": "\\"<<x>>\\""}'
)


@settings(max_examples=300)
@given(st.text())
def test_json_render_is_valid_for_any_string(value: str) -> None:
    decoded = json.loads(BODY.render({"x": value}, Context.JSON))
    assert decoded["a"] == value
    assert decoded["b"] == value
    assert decoded["c"] == f"pre {value} post"
    assert decoded[f"k:{value}"] == f'"{value}"'


@settings(max_examples=200)
@given(JSON_LIKE)
def test_json_render_is_valid_for_any_value(value: Any) -> None:
    decoded = json.loads(BODY.render({"x": value}, Context.JSON))
    expected_text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    assert decoded["a"] == expected_text
    assert decoded["b"] == value


@settings(max_examples=300)
@given(st.text())
def test_parse_template_raises_only_syntax_errors(text: str) -> None:
    try:
        template = parse_template(text)
    except PathSyntaxError:
        return
    for ref in template.refs:
        assert text[ref.start : ref.start + 2] == "<<"
        assert text[ref.end - 2 : ref.end] == ">>"


@settings(max_examples=200)
@given(st.text(alphabet='<>ab!^[]="x \\'))
def test_parse_template_on_angle_soup(text: str) -> None:
    try:
        template = parse_template(text)
    except PathSyntaxError as exc:
        assert 0 <= exc.position <= len(text)  # noqa: PT017 - a syntax error is one allowed outcome, not the expected one
        return
    variables = dict.fromkeys(template.variables, "v")
    try:
        template.render(variables, Context.TEXT)
    except NoMatchError:
        pass


@settings(max_examples=200)
@given(st.text())
def test_header_render_never_contains_line_breaks(value: str) -> None:
    try:
        out = parse_template("v=<<x>>").render({"x": value}, Context.HEADER)
    except RenderError:
        assert "\r" in value or "\n" in value
        return
    assert "\r" not in out
    assert "\n" not in out
