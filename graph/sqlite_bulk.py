"""Row writes of the embedded store's change sets: at once, or in the background for bulk loads.

A bulk load spends about as long building rows in Python (JSON props, text tokens, edge
tuples) as SQLite spends writing them. `BackgroundInserts` overlaps the two: the caller
builds the next batch while a thread writes the previous one on the same connection, inside
the caller's transaction. Each batch is a few statements of thousands of rows each (one
`VALUES` row per written row, up to SQLite's limit on parameters), so SQLite holds no Python
lock while a statement runs: the thread takes the GIL only to bind a statement's parameters.
With `executemany` it would take the GIL back after every row and wait behind the builder for
each of them; with rows passed as one JSON array SQLite parses that JSON again (measured on a
100k-resource load: node rows cost twice as much as bound rows, edge rows 1.3 times).

Batches run in the order given. `drain` waits for every submitted batch and raises the first
error; the caller must drain before it uses the connection itself, and must close the writer
(the context manager does) before it commits or rolls back.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from itertools import chain
from typing import Any, NamedTuple, Protocol

# Batches queued for the writing thread. Enough that the builder need not wait for it while
# it is ahead (a 100k-resource load queues ~60 batches of ~5 MB or less); a bound on memory.
QUEUED_BATCHES = 32
# Parameters bound to one statement, at most: fewer statements, fewer times the writing
# thread waits to take the GIL back after one (~25 ms each on a busy machine). SQLite's
# own limit is lower on some builds (32,766 by default since 3.32); it is asked.
MAX_PARAMETERS = 262_144


class RowInsert(NamedTuple):
    """One statement over rows: `head`, then `row` (the placeholders of one row) once per row,
    separated by commas, then `tail`. For example an insert ("INSERT INTO t (a, b) VALUES ",
    "(?, ?)") or a delete ("DELETE FROM t WHERE a IN (SELECT column1 FROM (VALUES ", "(?)",
    "))"). Only placeholders are repeated: values are always bound."""

    head: str
    row: str
    tail: str = ""

    @property
    def per_row(self) -> str:
        """The statement for one row."""
        return self.for_rows(1)

    def for_rows(self, count: int) -> str:
        """The statement for `count` rows (SQLite prepares each size once per connection, in
        ~3 ms per 1,000 rows, so callers keep to a few sizes)."""
        return _statement(self, count)

    @property
    def parameters_per_row(self) -> int:
        """How many parameters one row binds."""
        return max(1, self.row.count("?"))


@lru_cache(maxsize=64)
def _statement(insert: RowInsert, count: int) -> str:
    return insert.head + ", ".join([insert.row] * count) + insert.tail


class Inserts(Protocol):
    """Where a write sends its row statements."""

    def insert(self, statement: RowInsert, rows: Sequence[Sequence[Any]]) -> None:
        """Run `statement` over `rows`, after every batch given before."""
        ...

    def drain(self) -> None:
        """Wait until every batch given so far is written; raise the first failure."""
        ...

    def rows_per_statement(self, statement: RowInsert) -> int:
        """How many rows of `statement` one statement writes: a batch of a multiple of it
        is written by statements of one size."""
        ...


class ImmediateInserts:
    """Rows written at once with `executemany` (small writes)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def insert(self, statement: RowInsert, rows: Sequence[Sequence[Any]]) -> None:
        """Write `rows` now."""
        self._db.executemany(statement.per_row, rows)

    def drain(self) -> None:
        """Nothing is pending."""

    def rows_per_statement(self, statement: RowInsert) -> int:
        """One: rows are written one by one."""
        return 1


class BackgroundInserts:
    """Rows written in order by one thread on the caller's connection (see module docstring)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._jobs: queue.Queue[list[tuple[str, list[Any]]] | None] = queue.Queue(
            maxsize=QUEUED_BATCHES
        )
        self._error: BaseException | None = None
        self._skip = False
        limit = db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self._max_parameters = min(MAX_PARAMETERS, limit)
        self._thread = threading.Thread(target=self._run, name="sqlite-bulk-insert", daemon=True)
        self._thread.start()

    def insert(self, statement: RowInsert, rows: Sequence[Sequence[Any]]) -> None:
        """Queue `rows` (their parameters flattened now) for writing; raise a failure of an
        earlier batch."""
        if self._error is not None:
            self.drain()
        if not rows:
            return
        step = self.rows_per_statement(statement)
        job = [
            (
                statement.for_rows(len(part)),
                list(chain.from_iterable(part)),
            )
            for part in (rows[start : start + step] for start in range(0, len(rows), step))
        ]
        self._jobs.put(job)

    def rows_per_statement(self, statement: RowInsert) -> int:
        """As many rows as SQLite binds parameters to one statement (up to `MAX_PARAMETERS`)."""
        return max(1, self._max_parameters // statement.parameters_per_row)

    def drain(self) -> None:
        """Wait for the queued batches; raise the first failure."""
        self._jobs.join()
        if self._error is not None:
            raise self._error

    def close(self, *, skip_queued: bool = False) -> None:
        """Stop the thread after the queued batches (which are skipped after a failure, or
        with `skip_queued`: the caller failed and will roll back)."""
        if skip_queued:
            self._skip = True
        self._jobs.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                for sql, parameters in job:
                    if self._error is None and not self._skip:
                        self._db.execute(sql, parameters)
            except BaseException as exc:  # handed to the caller by drain()
                self._error = exc
            finally:
                self._jobs.task_done()


@contextmanager
def background_inserts(db: sqlite3.Connection) -> Iterator[BackgroundInserts]:
    """A `BackgroundInserts` on `db` whose thread is stopped when the block exits, so the
    caller may then commit or roll back; a normal exit drains it first."""
    inserts = BackgroundInserts(db)
    try:
        yield inserts
        inserts.drain()
    except BaseException:
        inserts.close(skip_queued=True)
        raise
    else:
        inserts.close()
