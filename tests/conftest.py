"""Shared fixtures: a throwaway PostgreSQL server (one per xdist worker, started on
first use) and a fresh database in it for each test that asks (``postgres_dsn``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from postgres import Cluster, binaries, required, start_cluster


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
