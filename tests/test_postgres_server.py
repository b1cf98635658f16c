"""The throwaway PostgreSQL server the journal tests use: it starts, answers, and gives
each test its own database (so tests on two xdist workers never see each other's rows)."""

from __future__ import annotations

import psycopg

from postgres import Cluster


def test_each_test_gets_an_empty_database_of_its_own(
    postgres_cluster: Cluster, postgres_dsn: str
) -> None:
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE marker (id int)")
        version = conn.execute("SHOW server_version_num").fetchone()
    assert version is not None
    assert int(version[0]) >= 150000
    other = postgres_cluster.create_database()
    with psycopg.connect(other) as conn:
        found = conn.execute("SELECT count(*) FROM pg_tables WHERE tablename = 'marker'")
        assert found.fetchone() == (0,)
