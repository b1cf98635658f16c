"""Fixtures for every test.

The whole session runs in an empty temporary directory, so a test that names a repository
file relative to the working directory fails wherever pytest is started; tests find the
repository from ``__file__`` instead.

A throwaway PostgreSQL server (one per xdist worker, started on first use) and a fresh
database in it for each test that asks (``postgres_dsn``).

The garbage collector runs much as the workbench runs it (``runbench.tui.idle_gc``): what
collection built (modules, test items) is frozen and the thresholds are raised. With CPython's
defaults a worker spent a fifth of its CPU in full collections, each walking a running app's
widgets and styles again (tests/tui: 16 -> 13 s CPU for test_tui_workbench.py alone). A
worker's thresholds are raised further than the workbench's (``GC_THRESHOLDS``): fewer,
larger collections walk fewer objects in all (what reference counting frees between two of
them is never walked), at the price of longer pauses, which the workbench's thresholds are
set to avoid for a user and a test does not feel. Whole suite, 4 workers, two interleaved
rounds each: time in the collector 19.6, 19.9 s -> 14.9, 12.7 s; wall 85.7, 81.7 s -> 81.0,
79.5 s.

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
from _pytest.unraisableexception import gc_collect_iterations_key
from hypothesis import settings

from ordering import order_items
from postgres import Cluster, binaries, required, start_cluster

GC_THRESHOLDS = (100_000, 50, 100)
"""A worker's automatic collection thresholds (the workbench's: ``idle_gc.THRESHOLDS``)."""
END_COLLECTIONS = 10
"""At most this many collections at the end (pytest's check: 5, "determined experimentally
by the Trio project"); each after the first only runs if the one before freed something."""

settings.register_profile("runbench", deadline=None)
settings.load_profile("runbench")


def pytest_collection_finish() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """The garbage left at the end, collected until a collection frees nothing, so that an
    exception in a finalizer still fails the run (pytest's unraisable-exception check). That
    check always collected five times, and each pass after the first walked a worker's
    ~300,000 live objects again (0.2-0.35 s each), though a second pass sometimes frees as
    much again as the first (objects only a finalized one kept alive). Here the last pass
    freed nothing, so the check's own passes would too: it runs none (its hook still
    reports what these passes found). Measured at the four workers' ends: 2-4 passes,
    0.2-1.7 s, where the check's five took 1.4-2.3 s (and a third pass once freed more
    than the first)."""
    for _ in range(END_COLLECTIONS):
        if gc.collect() == 0:
            break
    session.config.stash[gc_collect_iterations_key] = 0


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
