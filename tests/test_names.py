"""Names in src/ that pytest, or a reader, would take for tests.

pytest collects a class whose name starts with ``Test`` from any test module that imports
it (``python_classes``' default), and a reader looking for a test finds production code:
the history of method tests was ``TestHistory``, its dialog ``TestHistoryScreen`` in
``screens/test_history.py``, each kept out of collection by ``__test__ = False``.
"""

from __future__ import annotations

import re
from pathlib import Path

import runbench

SRC = Path(runbench.__file__).parent
TEST_CLASS = re.compile(r"^\s*class (Test\w*)", re.MULTILINE)


def test_no_production_class_is_named_like_a_test() -> None:
    named = [
        f"{path.relative_to(SRC)}: {name}"
        for path in SRC.rglob("*.py")
        for name in TEST_CLASS.findall(path.read_text(encoding="utf-8"))
    ]
    assert named == []


def test_no_production_module_is_named_like_a_test() -> None:
    named = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.name.startswith("test_")  # cmd_test.py is the `test` command's, as cmd_run.py
    ]
    assert named == []
