"""Core statements run on the database driver's own cursor, for the few statements every
licensed call runs.

Why: SQLAlchemy spends ~40 µs of Python around each execution (context, compiled-cache lookup,
result set-up) on statements that take ~7 µs in SQLite. A `DriverStatement` is the same Core
statement compiled once per dialect — SQL text in the driver's paramstyle, the bind and result
processors of its column types — so the values going in and coming out are exactly the ones
SQLAlchemy would give (SQLite's text datetimes parsed, JSON decoded, UTC attached), without the
per-execution machinery. Everything else keeps using SQLAlchemy.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Engine
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement, Select, TextClause


@dataclass(frozen=True)
class DriverStatement:
    """One statement compiled for one dialect (see the module docstring)."""

    sql: str
    positions: tuple[str, ...] | None  # bind names in order for positional paramstyles
    defaults: dict[str, Any]  # values of literal binds compiled into the statement
    binds: dict[str, Callable[[Any], Any]]  # bind processors that do something
    results: tuple[tuple[int, Callable[[Any], Any]], ...]  # result processors that do something
    row: type[tuple[Any, ...]] | None  # a named tuple of the selected columns

    @classmethod
    def compile(cls, statement: ClauseElement, dialect: Dialect) -> DriverStatement:
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        binds: dict[str, Callable[[Any], Any]] = {}
        for bind, name in compiled.bind_names.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                binds[name] = processor
        results: list[tuple[int, Callable[[Any], Any]]] = []
        named: type[tuple[Any, ...]] | None = None
        if isinstance(statement, Select | TextClause) and hasattr(statement, "selected_columns"):
            columns = list(statement.selected_columns)
            for position, column in enumerate(columns):
                processor = column.type.dialect_impl(dialect).result_processor(dialect, None)
                if processor is not None:
                    results.append((position, processor))
            names = [str(column.key) for column in columns]
            named = collections.namedtuple("Row", names, rename=True)  # type: ignore[misc,no-redef]
        positions = compiled.positiontup  # None for named paramstyles
        return cls(
            sql=compiled.string,
            positions=tuple(positions) if positions is not None else None,
            defaults={
                name: bind.effective_value
                for bind, name in compiled.bind_names.items()
                if not bind.required
            },
            binds=binds,
            results=tuple(results),
            row=named,
        )

    def parameters(self, values: Mapping[str, Any]) -> Any:
        """The driver's parameters for `values` (plus the statement's literal binds)."""
        merged = {**self.defaults, **values}
        for name, processor in self.binds.items():
            if name in merged:
                merged[name] = processor(merged[name])
        if self.positions is not None:
            return tuple(merged[name] for name in self.positions)
        return merged

    def rows(self, cursor: Any, values: Mapping[str, Any]) -> list[Any]:
        """Execute and return every row as a named tuple of processed values."""
        cursor.execute(self.sql, self.parameters(values))
        fetched = cursor.fetchall()
        assert self.row is not None, "rows() needs a statement that selects columns"
        make = self.row._make  # type: ignore[attr-defined]
        if not self.results:
            return [make(r) for r in fetched]
        out = []
        for raw in fetched:
            values_list = list(raw)
            for position, processor in self.results:
                values_list[position] = processor(values_list[position])
            out.append(make(values_list))
        return out

    def execute(self, cursor: Any, values: Mapping[str, Any]) -> int:
        """Execute a statement that returns no rows; the driver's row count."""
        cursor.execute(self.sql, self.parameters(values))
        return int(cursor.rowcount)


class DriverStatements:
    """Statements compiled on first use for the engine's dialect (thread-safe). Meant for
    module-level constants: each statement object is compiled once and kept.

    On SQLite, `cursor()` reads on connections of its own, kept between uses (at most
    `MAX_IDLE` idle): the pool's checkout and return cost more Python than the two or three
    indexed reads a licensed call or a token check makes. A server database keeps SQLAlchemy's
    pool, whose pre-ping reconnects after the server restarts."""

    MAX_IDLE = 8

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._compiled: dict[ClauseElement, DriverStatement] = {}
        self._lock = threading.Lock()
        self._own_connections = engine.dialect.name == "sqlite"
        self._idle: list[Any] = []  # driver connections (SQLite only), last used on top

    def __getitem__(self, statement: ClauseElement) -> DriverStatement:
        found = self._compiled.get(statement)
        if found is None:
            with self._lock:
                found = DriverStatement.compile(statement, self._engine.dialect)
                self._compiled[statement] = found
        return found

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        """A cursor for reads; the connection is rolled back (a read leaves nothing open) and
        kept or returned to the pool when the block ends. A driver error inside the block is
        raised as SQLAlchemy's own (`DBAPIError` and its kinds), so callers catch one family
        of database errors whichever way a statement ran."""
        if not self._own_connections:
            with self._pooled_cursor() as cursor:
                yield cursor
            return
        try:
            connection = self._idle.pop()
        except IndexError:
            with driver_errors_as_sqlalchemy(self._engine):  # connecting fails like a statement
                pooled = self._engine.raw_connection()
                pooled.detach()  # ours from now on: closing it closes it
                connection = pooled.dbapi_connection
        broken = True
        try:
            with driver_errors_as_sqlalchemy(self._engine):
                cursor = connection.cursor()
                try:
                    yield cursor
                finally:
                    cursor.close()
                connection.rollback()
            broken = False
        finally:
            if broken or len(self._idle) >= self.MAX_IDLE:
                connection.close()
            else:
                self._idle.append(connection)

    @contextmanager
    def _pooled_cursor(self) -> Iterator[Any]:
        with driver_errors_as_sqlalchemy(self._engine):  # connecting fails like a statement
            connection = self._engine.raw_connection()
        try:
            with driver_errors_as_sqlalchemy(self._engine, connection):
                cursor = connection.cursor()
                try:
                    yield cursor
                finally:
                    cursor.close()
        finally:
            connection.close()

    def close(self) -> None:
        """Close the connections kept for reads (a later read opens new ones)."""
        while self._idle:
            self._idle.pop().close()


@contextmanager
def driver_errors_as_sqlalchemy(engine: Engine, connection: Any = None) -> Iterator[None]:
    """Raise a driver error from the block as SQLAlchemy's `DBAPIError` (of the matching
    kind), as SQLAlchemy itself would; a pooled `connection` that the error shows to be
    disconnected is invalidated, so the pool does not hand it out again."""
    dialect = engine.dialect
    driver_error = dialect.loaded_dbapi.Error
    try:
        yield
    except driver_error as exc:
        lost = False
        if connection is not None:
            lost = bool(dialect.is_disconnect(exc, connection.dbapi_connection, None))
            if lost:
                connection.invalidate(exc)
        raise DBAPIError.instance(
            None, None, exc, driver_error, connection_invalidated=lost, dialect=dialect
        ) from exc
