"""Statements run on the driver's cursor give exactly what SQLAlchemy gives (both databases)."""

# The licensed-call tests' fixtures are imported, so their names are parameters here too.
# ruff: noqa: F811

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from access.driver_sql import DriverStatements
from access.elicenses.call_facts import CODE_WITH_CONSENT, GRANTS_WITH_USAGE, HOLDER_LICENSES
from access.elicenses.committer import COUNT_CALL, UNCOUNT_CALL
from access.elicenses.consent import code_digest
from catalog.model import HolderKind
from tests.elicense_fixtures import PERSON, RESIDENCE, World
from tests.integration.test_licensed_calls import (  # noqa: F401  (fixtures)
    consent_code,
    services,
    world,
)


def through_sqlalchemy(
    engine: Engine, statement: Any, values: dict[str, Any]
) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(statement, values)]


def test_reads_match_sqlalchemy_value_for_value(world: World) -> None:
    services = world.services
    statements = DriverStatements(services.records)
    holder = services.elicenses.holder_index(HolderKind.PERSON, PERSON)
    cases: list[tuple[Any, dict[str, Any]]] = [
        (GRANTS_WITH_USAGE, {"day": datetime.now(UTC).date(),
                             "caller": world.integrator.client_id, "type_code": RESIDENCE}),
        (CODE_WITH_CONSENT, {"digest": code_digest(consent_code(world))}),
        (HOLDER_LICENSES, {"holder_index": holder, "type_code": RESIDENCE}),
    ]  # fmt: skip
    for statement, values in cases:
        with statements.cursor() as cursor:
            mine = statements[statement].rows(cursor, values)
        assert mine and [tuple(r) for r in mine] == through_sqlalchemy(
            services.records, statement, values
        )
    with statements.cursor() as cursor:
        (row,) = statements[HOLDER_LICENSES].rows(cursor, cases[2][1])
    assert isinstance(row.valid_from, datetime) and row.holder_index == holder


def test_writes_count_rows_inside_the_callers_transaction(world: World) -> None:
    engine = world.services.records
    statements = DriverStatements(engine)
    with statements.cursor() as cursor:
        (grant, *_) = statements[GRANTS_WITH_USAGE].rows(
            cursor,
            {"day": datetime.now(UTC).date(), "caller": world.integrator.client_id,
             "type_code": RESIDENCE},
        )  # fmt: skip
    keys = {"grant_id": grant.id, "day": datetime.now(UTC).date() + timedelta(days=3)}
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        assert statements[COUNT_CALL].execute(cursor, {**keys, "quota": 1}) == 1
        assert statements[COUNT_CALL].execute(cursor, {**keys, "quota": 1}) == 0  # used up
        cursor.close()
        connection.rollback()  # nothing of it stays
    finally:
        connection.close()
    with statements.cursor() as cursor:
        assert statements[UNCOUNT_CALL].execute(cursor, keys) == 0


def test_a_driver_error_surfaces_as_sqlalchemys_own(world: World) -> None:
    statements = DriverStatements(world.services.records)
    with pytest.raises(DBAPIError), statements.cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM grants")


def test_reads_keep_sqlite_connections_and_take_a_server_databases_from_the_pool(
    world: World,
) -> None:
    engine = world.services.records
    statements = DriverStatements(engine)
    if engine.dialect.name != "sqlite":  # a server database reads through SQLAlchemy's pool
        with statements.cursor() as cursor:
            cursor.execute("SELECT 1")
        assert statements._idle == []
        return
    with statements.cursor() as cursor:
        first = cursor.connection
    with statements.cursor() as cursor:
        assert cursor.connection is first  # kept, not opened again
        with statements.cursor() as inner:  # a read while another is open gets its own
            assert inner.connection is not first
    assert len(statements._idle) == 2
    with pytest.raises(DBAPIError), statements.cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM grants")
    assert len(statements._idle) == 1  # the connection that failed is not reused
    statements.close()
    assert statements._idle == []
    with statements.cursor() as cursor:  # a read after close opens a new one
        assert cursor.execute("SELECT 1").fetchall() == [(1,)]
    statements.close()
