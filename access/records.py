"""The records database (SQLModel): SQLite by default, PostgreSQL in production."""

from __future__ import annotations

from pathlib import Path

import orjson
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel, create_engine

from access import tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from access.audit import tables as audit_tables  # noqa: F401  (the audit log's tables)
from access.elicenses import tables as elicense_tables  # noqa: F401


def records_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get WAL and a busy timeout for several writers."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            # JSON columns are decoded on every licensed call (a grant's fields and matters);
            # orjson reads the same documents ~10x faster than the json module
            json_deserializer=orjson.loads,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = FULL")
            cur.execute("PRAGMA busy_timeout = 30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = "SELECT pg_advisory_xact_lock(727570)"  # any fixed number, ours alone


def _alembic(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, *, revision: str = "head") -> None:
    """Bring the records schema to `revision` (SQLite and PostgreSQL alike)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":  # replicas starting together migrate once
            connection.exec_driver_sql(MIGRATION_LOCK)
        command.upgrade(_alembic(connection), revision)


def downgrade(engine: Engine, *, revision: str = "base") -> None:
    """Take the records schema back to `revision` (tests and rollbacks)."""
    with engine.begin() as connection:
        command.downgrade(_alembic(connection), revision)


def pending_changes(engine: Engine) -> list[object]:
    """Differences between the live schema and the SQLModel tables (empty when in sync)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))
