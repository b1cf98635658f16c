"""The journal's JSON: its fast encoder must write exactly what json's own encoder writes
(same options), for every JSON-like value and for values JSON cannot hold (``str()``)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runbench.core.journal import dumps

REFERENCE = json.JSONEncoder(default=str, separators=(",", ":")).encode


class Opaque:
    def __str__(self) -> str:
        return "opaque \u00e9"


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.just(Opaque()),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=20,
)


@given(values)
def test_dumps_writes_what_the_json_module_writes(value: Any) -> None:
    assert dumps(value) == REFERENCE(value)


@pytest.mark.parametrize("value", [math.nan, '\u2028\x00"\\', (1, "t"), {1: "int key"}, b"b"])
def test_dumps_edge_values(value: Any) -> None:
    assert dumps(value) == REFERENCE(value)


def test_dumps_refuses_a_circular_value_every_time() -> None:
    loop: list[Any] = []
    loop.append(loop)
    for _ in range(2):  # nothing is left behind by the first failure
        with pytest.raises(ValueError, match="Circular"):
            dumps(loop)
    assert dumps([loop[:0]]) == "[[]]"
