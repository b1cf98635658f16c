"""Fixtures for every test.

The whole session runs in an empty temporary directory, so a test that names a repository
file relative to the working directory fails wherever pytest is started; tests find the
repository from ``__file__`` instead.

A throwaway PostgreSQL server (one per xdist worker, started on first use) and a fresh
database in it for each test that asks (``postgres_dsn``).

The garbage collector runs as the workbench runs it (``runbench.tui.idle_gc``): what
collection built (modules, test items) is frozen and the thresholds are raised. With CPython's
defaults a worker spent a fifth of its CPU in full collections, each walking a running app's
widgets and styles again (tests/tui: 16 -> 13 s CPU for test_tui_workbench.py alone).

The longest tests run first (``ordering.py``: recorded costs, ``--dist load``), so the suite
does not end with one long test running while the other workers wait.

Hypothesis runs without its per-example deadline: a deadline is a timed assertion, and on a
shared 2-core machine an example that takes 300 ms under load is not a failure.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

from ordering import order_items
from postgres import Cluster, binaries, required, start_cluster
from runbench.tui.idle_gc import THRESHOLDS

settings.register_profile("runbench", deadline=None)
settings.load_profile("runbench")


def pytest_collection_finish() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items[:] = order_items(items)


@pytest.fixture(scope="session", autouse=True)
def _empty_working_directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    before = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("cwd"))
    try:
        yield
    finally:
        os.chdir(before)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    if binaries() is None:
        if required():
            pytest.fail("RUNBENCH_REQUIRE_POSTGRES is set but no PostgreSQL server is installed")
        pytest.skip("no PostgreSQL server installed (set RUNBENCH_REQUIRE_POSTGRES=1 to fail)")
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgres_dsn(postgres_cluster: Cluster) -> str:
    """A new, empty database on the session's server."""
    return postgres_cluster.create_database()
