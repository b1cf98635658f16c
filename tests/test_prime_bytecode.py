"""tests/prime_bytecode.py writes the bytecode pytest and Python read back: a test module's
rewritten asserts under pytest's own name and header (so a pytest release that moves them
fails here rather than silently priming nothing), a helper's plain bytecode, and nothing
again while the sources are unchanged."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from _pytest.assertion.rewrite import PYC_TAIL, _read_pyc

from prime_bytecode import PYTEST_PYC, prime

TEST_MODULE = "def test_sum():\n    assert 1 + 1 == 2\n"


def test_the_name_is_pytests() -> None:
    assert PYTEST_PYC == PYC_TAIL


def rewritten(source: Path) -> Path:
    return source.parent / "__pycache__" / (source.stem + PYC_TAIL)


def test_a_test_module_gets_the_rewritten_bytecode_pytest_reads(tmp_path: Path) -> None:
    source = tmp_path / "test_sample.py"
    source.write_text(TEST_MODULE, encoding="utf-8")
    assert prime([tmp_path]) == 1
    code = _read_pyc(source, rewritten(source))
    assert code is not None
    functions = [const for const in code.co_consts if hasattr(const, "co_varnames")]
    assert any(name.startswith("@py_assert") for name in functions[0].co_varnames)


def test_a_helper_gets_plain_bytecode_and_no_rewritten_one(tmp_path: Path) -> None:
    helper = tmp_path / "servers.py"
    helper.write_text("VALUE = 1\n", encoding="utf-8")
    assert prime([tmp_path]) == 1
    assert prime([tmp_path]) == 0
    assert Path(importlib.util.cache_from_source(str(helper))).is_file()
    assert not rewritten(helper).exists()


def test_nothing_is_rewritten_again_until_the_source_changes(tmp_path: Path) -> None:
    source = tmp_path / "sub" / "conftest.py"
    source.parent.mkdir()
    source.write_text("X = 1\n", encoding="utf-8")
    assert prime([tmp_path]) == 1
    assert prime([tmp_path]) == 0
    source.write_text("X = 12\n", encoding="utf-8")
    os.utime(source, (1_000_000, 1_000_000))  # an mtime no earlier write had
    assert prime([tmp_path]) == 1
    assert _read_pyc(source, rewritten(source)) is not None
