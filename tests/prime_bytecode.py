"""Write the bytecode the test workers read, once, before they start (``make test``).

From a clean clone (CI, a fresh checkout) there is no bytecode yet, and the three xdist
workers start together: each one rewrote the asserts of every test module (pytest's
rewritten ``.pyc``, about 4.7 s of CPU for tests/) and compiled ``src/`` (0.6 s), at the
same time, because none found the others' files yet. Measured: a worker's start-up
(``pytest --collect-only``, one process) 10.7 s of CPU without any bytecode against 3.3 s
with it; without only the tests' rewritten bytecode, 8.6 s. Done here once, serially, the
workers find it all; when nothing changed this costs a stat and a 16-byte header read per
file (about 0.1 s).

The rewritten files are pytest's own: its name (``PYC_TAIL``), folder, header and rewrite
(``_rewrite_test`` with pytest's defaults: this suite sets no ``enable_assertion_pass_hook``),
and a file counts as fresh by the header checks pytest's ``_read_pyc`` makes, so pytest
reads back what it would have written. Should a pytest release move those helpers, this
prints one line and the workers rewrite as before; ``tests/test_prime_bytecode.py`` reads
the result back with pytest's ``_read_pyc`` and fails on such a release.

Usage: ``python tests/prime_bytecode.py [FOLDER...]`` (default: src and tests beside this
file).
"""

from __future__ import annotations

import importlib.util
import os
import py_compile
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import _pytest

ROOT = Path(__file__).resolve().parents[1]
PYTEST_PYC = f".{sys.implementation.cache_tag}-pytest-{_pytest.__version__}.pyc"
"""pytest's ``PYC_TAIL`` (its rewrite module costs 0.15 s to import: only when needed)."""


def is_rewritten(path: Path) -> bool:
    """Whether pytest rewrites this file's asserts: a test module or a conftest (the
    default ``python_files``, which pyproject.toml does not change)."""
    name = path.name
    return name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py")


def rewritten_pyc(path: Path) -> Path:
    return path.parent / "__pycache__" / (path.name[:-3] + PYTEST_PYC)


def fresh(source: Path, pyc: Path) -> bool:
    """The checks of the 16-byte header that Python and pytest make (magic number, no
    flags, the source's mtime and size), without loading the code after it: a warm tree
    costs a stat and a short read per file."""
    try:
        with pyc.open("rb") as file:
            header = file.read(16)
        stat = source.stat()
    except OSError:
        return False
    return (
        header[:8] == importlib.util.MAGIC_NUMBER + bytes(4)
        and int.from_bytes(header[8:12], "little") == int(stat.st_mtime) & 0xFFFFFFFF
        and int.from_bytes(header[12:16], "little") == stat.st_size & 0xFFFFFFFF
    )


def sources(folders: Iterable[Path]) -> Iterator[Path]:
    for folder in folders:
        yield from sorted(folder.rglob("*.py"))


def write_rewritten(path: Path, pyc: Path) -> None:
    """pytest's rewritten bytecode of ``path``, written atomically (workers may be reading)."""
    from _pytest.assertion.rewrite import _rewrite_test, _write_pyc_fp

    stat, code = _rewrite_test(path, None)  # type: ignore[arg-type]  # None: pytest's defaults
    pyc.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=pyc.parent, prefix=f".{pyc.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            _write_pyc_fp(out, stat, code)
        os.replace(temporary, pyc)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def prime(folders: Iterable[Path]) -> int:
    """Compile what Python imports and rewrite what pytest rewrites, where the bytecode is
    missing or stale; how many files were written."""
    written = 0
    for path in sources(folders):
        if is_rewritten(path):
            pyc = rewritten_pyc(path)
            if not fresh(path, pyc):
                write_rewritten(path, pyc)
                written += 1
        elif not fresh(path, Path(importlib.util.cache_from_source(str(path)))):
            try:
                py_compile.compile(str(path), doraise=True)
            except py_compile.PyCompileError:
                continue  # not Python: the import that needs it reports it
            written += 1
    return written


def main(argv: list[str]) -> int:
    folders = [Path(arg) for arg in argv] or [ROOT / "src", ROOT / "tests"]
    try:
        prime(folders)
    except (ImportError, OSError, SyntaxError) as exc:
        # an optimisation only: the workers compile what is missing, as without it
        print(f"prime_bytecode: skipped ({type(exc).__name__}: {exc})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
