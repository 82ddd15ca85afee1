"""Shared fixtures: graph stores for the contract suite, services and an authenticated client.

Backends that need a server (Neo4j, PostgreSQL, OPA) are selected by IRS_TEST_* URLs; outside
CI a missing one skips its tests, in CI (CI=true) it fails them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from api.settings import Settings
from graph.port import GraphStore
from graph.sqlite_store import SqliteGraphStore

IN_CI = os.environ.get("CI", "").lower() == "true"
GRAPH_BACKENDS = ["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)]
NEO4J_USER = "neo4j"


def require_service(name: str, env: str) -> str:
    """The URL of a test service, or skip (fail in CI) when it is not configured."""
    url = os.environ.get(env, "")
    if not url:
        message = f"{name} not configured: set {env}"
        if IN_CI:
            pytest.fail(f"{message} (CI must start it)")
        pytest.skip(message)
    return url


@pytest.fixture(params=GRAPH_BACKENDS)
def graph_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """Every graph adapter, each empty."""
    store: GraphStore
    if request.param == "embedded":
        store = SqliteGraphStore(tmp_path / "graph.db")
    else:
        store = empty_neo4j_store()
    yield store
    store.close()


def wiped_neo4j() -> tuple[str, str]:
    """URL and password of the test Neo4j, emptied first (the test server is ours alone)."""
    from neo4j import GraphDatabase

    url = require_service("Neo4j", "IRS_TEST_NEO4J_URL")
    password = os.environ.get("IRS_TEST_NEO4J_PASSWORD", "irs-dev-password")
    with (
        GraphDatabase.driver(url, auth=(NEO4J_USER, password)) as driver,
        driver.session() as session,
    ):
        session.run(
            "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
        ).consume()
    return url, password


def empty_neo4j_store() -> GraphStore:
    """A Neo4jGraphStore on the wiped test server."""
    from graph.neo4j_store import Neo4jGraphStore

    url, password = wiped_neo4j()
    return Neo4jGraphStore(url, user=NEO4J_USER, password=password)


RECORD_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database on the test server, dropped afterwards."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(require_service("PostgreSQL", "IRS_TEST_POSTGRES_URL"))
    name = f"irs_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=RECORD_BACKENDS)
def records_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty records database on every records backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'records.db'}"
        return
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(params=GRAPH_BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings of an empty IRS on every graph backend (records in a temporary SQLite)."""
    if request.param == "embedded":
        return Settings(data_dir=tmp_path)
    url, password = wiped_neo4j()
    return Settings(data_dir=tmp_path, graph_url=url, neo4j_password=password)
