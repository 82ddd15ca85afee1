"""Migrations create, downgrade and upgrade the records schema on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect

from access.clients import ClientRegistry
from access.records import downgrade, migrate, pending_changes, records_engine
from catalog.principal import Role


def test_migrations_match_the_models_and_go_both_ways(records_url: str) -> None:
    engine = records_engine(records_url)
    migrate(engine)
    assert pending_changes(engine) == []
    assert "clients" in inspect(engine).get_table_names()
    migrate(engine)  # idempotent
    downgrade(engine)
    assert "clients" not in inspect(engine).get_table_names()
    migrate(engine)
    issued = ClientRegistry(engine=engine).create(name="审计", role=Role.AUDITOR)
    assert ClientRegistry(engine=engine).authenticate(issued.token) is not None
    engine.dispose()
