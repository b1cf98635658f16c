"""The end-of-session collection (``conftest.pytest_sessionfinish``) still lets pytest's
unraisable-exception check fail a run, even for garbage that only becomes collectable
once another object's finalizer has run (the second pass that a single collection misses,
and the hardest case for the check). A pytest run of its own, in a child process, with that
hook and nothing else of this folder's conftest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CONFTEST = Path(__file__).with_name("conftest.py")

HOOK = f"""
import importlib.util, sys
sys.path.insert(0, {str(CONFTEST.parent)!r})
spec = importlib.util.spec_from_file_location("suite_conftest", {str(CONFTEST)!r})
suite = importlib.util.module_from_spec(spec)
spec.loader.exec_module(suite)
pytest_sessionfinish = suite.pytest_sessionfinish
"""

AS_THE_SUITE = ("-o", "filterwarnings=error")
"""pyproject's: a warning (the check's report of an unraisable exception) fails the run."""

LEAVES_GARBAGE = """
class Raises:
    def __init__(self):
        self.me = self

    def __del__(self):
        raise RuntimeError("finalizer failed")


class Keeper:
    # while it lives, a Raises is reachable (from the class); its finalizer lets go
    kept = []

    def __init__(self):
        self.me = self
        Keeper.kept.append(Raises())

    def __del__(self):
        Keeper.kept.clear()


def test_leaves_garbage():
    Keeper()
"""


def test_a_finalizer_error_freed_on_the_second_pass_still_fails_the_run(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(HOOK, encoding="utf-8")
    (tmp_path / "test_left.py").write_text(LEAVES_GARBAGE, encoding="utf-8")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            *AS_THE_SUITE,
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode != 0, output
    assert "finalizer failed" in output
    assert "1 passed" in output  # the test itself passed: the check failed the run
