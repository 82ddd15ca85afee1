"""Alembic environment: migrations run against the connection handed in by `access.records`."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from access import tables  # noqa: F401  (the tables whose metadata migrations target)
from access.audit import tables as audit_tables  # noqa: F401  (the audit log's tables)

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
