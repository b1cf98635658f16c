"""Paths with numbers past what Python converts (an int of more than 4,300 digits raises
ValueError): an index, a filter value, and a raw (``!``) output whose text is such a
number. Each gave a traceback (``runbench eval``, the expression checker, a run's
outputs); now the index finds nothing and says so, the filter compares as text, and the
raw output stays the string it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runbench.cli.main import main
from runbench.core.errors import NoMatchError
from runbench.core.expressions import compile_path, stored_value

HUGE = "9" * 5000


@pytest.mark.parametrize("index", [HUGE, f"-{HUGE}", "9" * 30])
def test_an_index_too_large_for_any_array_finds_nothing(index: str) -> None:
    path = compile_path(f"response^a[{index}]")
    with pytest.raises(NoMatchError) as caught:
        path.evaluate({"response": {"a": [1, 2, 3]}})
    assert "out of range" in str(caught.value)
    assert index[:30] in str(caught.value)


def test_a_filter_value_too_large_for_a_number_compares_as_text() -> None:
    path = compile_path(f"response^a[n={HUGE}]^name!")
    assert path.evaluate({"response": {"a": [{"n": 1}, {"n": HUGE, "name": "x"}]}}) == "x"
    with pytest.raises(NoMatchError):
        path.evaluate({"response": {"a": [{"n": 1}]}})


def test_a_raw_output_too_large_for_a_number_stays_text() -> None:
    assert stored_value(HUGE, raw=True) == HUGE
    assert stored_value(f"-{HUGE}", raw=True) == f"-{HUGE}"
    assert stored_value("12", raw=True) == 12  # as before


@pytest.mark.parametrize(
    ("expression", "code"),
    [(f"response[{HUGE}]", 1), (f"response[x={HUGE}]", 1), ("response^x!", 0)],
)
def test_runbench_eval_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], expression: str, code: int
) -> None:
    doc = tmp_path / "doc.json"
    doc.write_text(json.dumps({"x": HUGE}))
    assert main(["eval", expression, "--data", str(doc)]) == code
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert out.strip() == (HUGE if code == 0 else "")
