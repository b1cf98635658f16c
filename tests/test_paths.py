"""Output-variable paths: Halo's grammar, our extensions, error messages, rendering."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runbench.core.errors import (
    ExpressionError,
    NoMatchError,
    PathSyntaxError,
    RenderError,
    UnknownVariableError,
)
from runbench.core.expressions import CompiledPath, compile_path, evaluate_text, render

COMPLETION = {
    "id": "cmpl-1",
    "choices": [
        {"index": 0, "text": "first", "finish_reason": "stop"},
        {"index": 1, "text": "second", "finish_reason": "length"},
    ],
}
RESPONSES_API = {
    "output": [
        {"type": "reasoning", "summary": []},
        {"type": "message", "content": [{"type": "output_text", "text": 'hello "there"'}]},
    ]
}
TICKET = {
    "id": 99,
    "customfields": [
        {"id": 1, "name": "CFa", "value": "one"},
        {"id": "246", "name": "CFb", "value": "two"},
        {"id": 5, "name": "CFc", "value": "five"},
    ],
}
TICKET_LIST = [{"Notes": "note 0", "id": 10}, {"Notes": "note 1", "id": 11}]


def ev(text: str, body: Any, **scope: Any) -> Any:
    return compile_path(text).evaluate({"response": body, **scope})


# ------------------------------------------------------------------ Halo's forms


def test_halo_examples() -> None:
    assert ev("response^choices[0]^text!", COMPLETION) == "first"
    assert ev("response^output[type=message]^content[0]^text!", RESPONSES_API) == 'hello "there"'
    assert ev("response^customfields[id=246]^value", TICKET) == "two"
    assert ev("response[0]^Notes!", TICKET_LIST) == "note 0"
    assert ev("response", TICKET) is TICKET


def test_raw_flag_and_root() -> None:
    path = compile_path("response^choices[0]^text!")
    assert (path.text, path.root, path.raw) == ("response^choices[0]^text!", "response", True)
    assert compile_path("response").raw is False


def test_filter_compares_as_text() -> None:
    fields = {"xs": [{"id": "7", "v": "s"}, {"id": 7, "v": "n"}]}
    assert ev("response^xs[id=7]^v", fields) == "s"
    assert ev("response^xs[id=7]^v", {"xs": [{"id": 7, "v": "n"}]}) == "n"
    assert ev("response^xs[id=246]^v", {"xs": [{"id": 246.0, "v": "f"}]}) == "f"


def test_filter_picks_first_match_and_skips_odd_elements() -> None:
    items = {"xs": [None, "str", [1], {"k": "b", "n": 1}, {"k": "b", "n": 2}]}
    assert ev("response^xs[k=b]^n", items) == 1


def test_filter_value_may_contain_spaces_and_equals() -> None:
    assert ev("response[name=Asset Tag]^v", [{"name": "Asset Tag", "v": 1}]) == 1
    assert ev("response[q=a=b]^v", [{"q": "a=b", "v": 2}]) == 2


# ------------------------------------------------------------------ extensions


def test_status_and_headers_roots() -> None:
    scope = {"response": {}, "status": 201, "headers": {"Content-Type": "application/json"}}
    assert compile_path("status").evaluate(scope) == 201
    assert compile_path("headers^content-type!").evaluate(scope) == "application/json"
    assert compile_path("headers^CONTENT-TYPE").evaluate(scope) == "application/json"
    assert compile_path("headers").evaluate(scope) == scope["headers"]


def test_negative_index() -> None:
    assert ev("response^choices[-1]^text", COMPLETION) == "second"
    with pytest.raises(NoMatchError, match=r"index -3 out of range in response\^choices"):
        ev("response^choices[-3]", COMPLETION)


def test_quoted_filter_value_with_escapes() -> None:
    data = [{"name": 'say "hi"]', "v": 1}, {"name": "a=b]", "v": 2}]
    assert ev('response[name="a=b]"]^v', data) == 2
    assert ev(r'response[name="say \"hi\"]"]^v', data) == 1


def test_numeric_and_boolean_filters() -> None:
    data = [{"n": 3.0, "active": False, "k": "x"}, {"n": 3, "active": True, "k": "y"}]
    assert ev("response[n=3]^k", data) == "x"  # 3 matches 3.0
    assert ev("response[active=true]^k", data) == "y"
    assert ev("response[active=false]^k", data) == "x"
    # a bare number never matches a boolean, and true never matches 1
    with pytest.raises(NoMatchError):
        ev("response[active=1]", data)
    with pytest.raises(NoMatchError):
        ev("response[n=true]", [{"n": 1}])
    assert ev("response[x=null]^k", [{"x": 0, "k": 1}, {"x": None, "k": 2}]) == 2


def test_quoted_value_is_text_only() -> None:
    assert ev('response[n="3"]^k', [{"n": 3.0, "k": 1}, {"n": 3, "k": 2}]) == 2
    assert ev('response[id="246"]^k', [{"id": "246", "k": 1}]) == 1


def test_nested_property_filter() -> None:
    data = {"tickets": [{"id": 1, "owner": {"id": 2}}, {"id": 2}, {"id": 3, "owner": {"id": 3}}]}
    assert ev("response^tickets[owner^id=3]^id", data) == 3


def test_quoted_child_names() -> None:
    data = {"odd name": {"a-b": {"x^y": 1}}}
    assert ev('response^"odd name"^a-b^"x^y"', data) == 1


def test_unicode_and_dotted_names() -> None:
    assert ev("response^größe^a.b", {"größe": {"a.b": 4}}) == 4


def test_non_dict_mappings_and_tuples_work() -> None:
    from types import MappingProxyType

    data = MappingProxyType({"xs": ({"id": 1, "v": "t"},)})
    assert ev("response^xs[0]^v", data) == "t"
    assert ev("response^xs[id=1]^v", data) == "t"


# ------------------------------------------------------------------ no match messages


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        (
            "response^customfields[id=7]",
            {"customfields": [{"id": 1}, {"id": 2}, {"id": 5}]},
            r"no element with id=7 in response^customfields (3 elements, ids 1, 2, 5)",
        ),
        (
            "response^choices[0]^texxt",
            COMPLETION,
            "no key 'texxt' in response^choices[0] (keys: index, text, finish_reason; "
            "did you mean 'text'?)",
        ),
        (
            "response^choices[5]",
            COMPLETION,
            "index 5 out of range in response^choices (2 elements)",
        ),
        ("response^a^b", {"a": "s"}, "response^a is a string, not an object"),
        (
            "response^choices^text",
            COMPLETION,
            "response^choices is an array, not an object (pick an item first: "
            "response^choices[0]^text)",
        ),
        (
            "response^choices^0",
            COMPLETION,
            "response^choices is an array, not an object (an item is picked with brackets: "
            "response^choices[0])",
        ),
        ("response^a[0]", {"a": {}}, "response^a is an object, not an array"),
        ("response^a[0]", {"a": "abc"}, "response^a is a string, not an array"),
        ("response^a[0]", {"a": {0: "x"}}, "response^a is an object, not an array"),
        ("response^a[k=v]", {"a": None}, "response^a is null, not an array"),
        ("response[k=v]", [], "no element with k=v in response (an empty array)"),
        ("response[k=v]", [{"x": 1}], "no element with k=v in response (1 element, none has 'k')"),
        ("response^x", {}, "no key 'x' in response (an empty object)"),
    ],
)
def test_no_match_messages(path: str, body: Any, message: str) -> None:
    with pytest.raises(NoMatchError) as info:
        ev(path, body)
    assert str(info.value) == message
    assert info.value.expression == path


def test_no_match_names_the_segment() -> None:
    with pytest.raises(NoMatchError) as info:
        ev("response^choices[0]^nope^deeper", COMPLETION)
    assert info.value.segment == "^nope"


def test_missing_header_lists_headers() -> None:
    path = compile_path("headers^X-Trace")
    with pytest.raises(NoMatchError, match=r"no header 'X-Trace' in headers \(headers: a\)"):
        path.evaluate({"headers": {"a": "1"}})


def test_missing_root_is_unknown_variable() -> None:
    path = compile_path("ticket^id", roots=None)
    with pytest.raises(UnknownVariableError) as info:
        path.evaluate({"tickets": {"id": 1}})
    assert info.value.name == "ticket"
    assert info.value.suggestions == ["tickets"]


# ------------------------------------------------------------------ syntax errors


@pytest.mark.parametrize(
    ("text", "position", "reason"),
    [
        ("", 0, "expected a root (response, status, headers), found nothing"),
        ("responce^a", 0, "did you mean 'response'?"),
        ("response^", 9, "expected a property name after '^'"),
        ("response^a b", 10, "found a space"),
        ("response[abc]", 12, "expected '=' and a value"),
        ("response[x=1", 12, "expected ']' to close the filter"),
        ("response[]", 9, "expected an index [n] or a filter [prop=value]"),
        ('response^"abc', 9, "expected a closing '\"'"),
        ('response[a="b"x]', 14, "expected ']' after the quoted value"),
        ("response!^a", 9, "'!' comes last"),
        ("response^a]", 10, "found ']'"),
        ("status^x", 6, "'status' is the HTTP status code"),
        ("headers[0]", 7, "expected '^' and a header name"),
    ],
)
def test_syntax_errors(text: str, position: int, reason: str) -> None:
    with pytest.raises(PathSyntaxError) as info:
        compile_path(text)
    assert info.value.position == position
    assert reason in info.value.reason
    assert info.value.expression == text
    assert str(info.value).endswith("\n  " + " " * position + "^")


def test_any_root_only_with_roots_none() -> None:
    assert compile_path("ticket^summary!", roots=None).root == "ticket"
    with pytest.raises(PathSyntaxError):
        compile_path("ticket^summary")
    with pytest.raises(PathSyntaxError, match="a letter or '_' first"):
        compile_path("9lives", roots=None)


@settings(max_examples=400)
@given(st.text())
def test_parser_raises_only_syntax_errors_on_any_text(text: str) -> None:
    for roots in (None, ("response", "status", "headers")):
        try:
            compile_path(text, roots=roots)
        except PathSyntaxError:
            pass


@settings(max_examples=400)
@given(st.text(alphabet='response^[]!="\\-0123456789xab =<>tu'))
def test_parser_on_grammar_alphabet(text: str) -> None:
    try:
        path = compile_path(text)
    except PathSyntaxError as exc:
        assert 0 <= exc.position <= len(text)  # noqa: PT017 - a syntax error is one allowed outcome, not the expected one
        return
    try:
        path.evaluate({"response": {"a": [{"x": 1}]}, "status": 200, "headers": {}})
    except ExpressionError:
        pass


# ------------------------------------------------------------------ fast path agrees


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from([1.0, 2.5])
    | st.sampled_from("ab1"),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("ab1"), inner, max_size=3)
    ),
    max_leaves=12,
)
SEGMENTS = st.sampled_from(
    [
        "^a",
        "^b",
        "^1",
        "[0]",
        "[1]",
        "[-1]",
        "[a=1]",
        "[b=a]",
        "[a=true]",
        '[a="1"]',
        "[a^b=2.5]",
        "[b=null]",
    ]
)


def oracle(value: Any, segments: list[str]) -> Any:
    """A slow, independent reading of the grammar for the segments above."""
    for seg in segments:
        if seg.startswith("^"):
            if not isinstance(value, dict) or seg[1:] not in value:
                raise LookupError
            value = value[seg[1:]]
        elif seg[1:-1].lstrip("-").isdigit():
            if not isinstance(value, list):
                raise LookupError
            value = value[int(seg[1:-1])]
        else:
            prop, want = seg[1:-1].split("=")
            if not isinstance(value, list):
                raise LookupError
            value = next(e for e in value if _prop_matches(e, prop.split("^"), want))
    return value


def _prop_matches(element: Any, props: list[str], want: str) -> bool:
    for prop in props:
        if not isinstance(element, dict) or prop not in element:
            return False
        element = element[prop]
    if isinstance(element, dict | list):
        return False
    text = json.dumps(element) if not isinstance(element, str) else element
    if want.startswith('"'):
        return text == want.strip('"')
    number = isinstance(element, int | float) and not isinstance(element, bool)
    return text == want or (number and want[0].isdigit() and element == float(want))


@settings(max_examples=500)
@given(JSON_VALUES, st.lists(SEGMENTS, max_size=4))
def test_compiled_path_matches_oracle(body: Any, segments: list[str]) -> None:
    path = compile_path("response" + "".join(segments))
    try:
        expected = oracle(body, segments)
    except (LookupError, StopIteration):
        with pytest.raises(NoMatchError):
            path.evaluate({"response": body})
        return
    assert path.evaluate({"response": body}) is expected


# ------------------------------------------------------------------ compiled objects, rendering


def test_compiled_path_is_hashable_and_reusable() -> None:
    a, b = compile_path("response^x[id=1]"), compile_path("response^x[id=1]")
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1
    assert isinstance(a, CompiledPath)
    assert a != compile_path("response^x[id=2]")
    with pytest.raises(AttributeError):
        a.text = "other"  # type: ignore[misc]
    for n in range(3):
        assert a.evaluate({"response": {"x": [{"id": 1, "n": n}]}}) == {"id": 1, "n": n}


def test_headers_root_differs_from_a_variable_named_headers() -> None:
    assert compile_path("headers^A") != compile_path("headers^A", roots=None)
    with pytest.raises(NoMatchError):
        compile_path("headers^A", roots=None).evaluate({"headers": {"a": 1}})


@pytest.mark.parametrize(
    ("value", "raw", "text"),
    [
        ("hi", False, '"hi"'),
        ("hi", True, "hi"),
        ("é", False, '"é"'),
        (42, True, "42"),
        (None, False, "null"),
        (None, True, "null"),
        ({"a": 1}, True, '{"a": 1}'),
        ([1, "x"], False, '[1, "x"]'),
        (True, True, "true"),
    ],
)
def test_render(value: Any, raw: bool, text: str) -> None:
    assert render(value, raw) == text


def test_render_refuses_non_json() -> None:
    with pytest.raises(RenderError, match="a Python set"):
        render({1, 2}, False)
    with pytest.raises(RenderError):
        render(float("nan"), False)


def test_evaluate_text() -> None:
    assert evaluate_text("response^a", {"response": {"a": 1}}) == 1
    assert evaluate_text("x^a", {"x": {"a": 2}}, roots=None) == 2


@pytest.mark.parametrize("steps", [64, 65, 5000])
def test_a_very_long_path_is_walked_not_compiled(steps: int) -> None:
    """A generated function binds one argument per step (quadratic in CPython: 16,000 steps
    took 13 s to compile), so long paths are walked; both give the same answers."""
    document: Any = "leaf"
    for _ in range(steps):
        document = {"a": document}
    path = compile_path("response" + "^a" * steps)
    assert path.evaluate({"response": document}) == "leaf"
    with pytest.raises(NoMatchError):
        path.evaluate({"response": {"a": {"b": 1}}})
    assert isinstance(path._fast, functools.partial) == (steps > 64)


def test_a_syntax_error_in_a_long_path_shows_the_part_around_the_caret() -> None:
    # A hostile or generated path can be kilobytes long; the error is printed and drawn
    # whole, so it quotes about a line around the fault, with its caret under the fault.
    expression = "response" + "^b" * 3000 + "[[x"
    with pytest.raises(PathSyntaxError) as info:
        compile_path(expression)
    _, shown, caret = str(info.value).split("\n")
    assert len(shown) < 100
    assert shown.startswith("  ...")
    assert info.value.position == expression.index("[[") + 1
    assert shown[caret.index("^")] == "["
    assert shown[caret.index("^") - 1] == "["
    assert info.value.expression == expression  # the whole text stays on the error


def test_a_short_path_is_quoted_whole_in_its_syntax_error() -> None:
    with pytest.raises(PathSyntaxError) as info:
        compile_path("response^a[[")
    _, shown, caret = str(info.value).split("\n")
    assert shown == "  response^a[["
    assert caret == "  " + " " * 11 + "^"
