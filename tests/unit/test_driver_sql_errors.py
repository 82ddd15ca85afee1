"""A database that cannot be reached refuses through SQLAlchemy's own error family, so the
callers' 'database down: refuse' paths see it (the token check, a call's reads)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError

from access.clients import ClientRegistry
from access.driver_sql import DriverStatements


def test_a_database_that_cannot_be_opened_raises_dbapi_error(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'records.db'}")
    try:
        with pytest.raises(DBAPIError), DriverStatements(engine).cursor():
            pass
        with pytest.raises(DBAPIError):
            ClientRegistry(engine=engine).authenticate("irs_someone_abcdefghijkl")
    finally:
        engine.dispose()
