"""Row inserts of the embedded store's writes: at once, or in the background for bulk loads.

A bulk load spends about as long building rows in Python (JSON props, text tokens, edge
tuples) as SQLite spends inserting them. `BackgroundInserts` overlaps the two: the caller
builds the next batch while a thread inserts the previous one on the same connection, inside
the caller's transaction. Each batch is one `INSERT … SELECT … FROM json_each(?)` statement,
so SQLite holds no Python lock while it runs; with `executemany` the inserting thread would
take the GIL back after every row and wait behind the builder for each of them.

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
from typing import Any, NamedTuple, Protocol

import orjson

QUEUED_BATCHES = 3


class RowInsert(NamedTuple):
    """One insert, as a per-row statement and as a statement over a JSON array of rows."""

    per_row: str
    from_json: str


class Inserts(Protocol):
    """Where a write sends its row inserts."""

    def insert(self, statement: RowInsert, rows: Sequence[Sequence[Any]]) -> None:
        """Insert `rows`, after every batch given before."""
        ...

    def drain(self) -> None:
        """Wait until every batch given so far is inserted; raise the first failure."""
        ...


class ImmediateInserts:
    """Inserts run at once with `executemany` (small writes)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def insert(self, statement: RowInsert, rows: Sequence[Sequence[Any]]) -> None:
        """Insert `rows` now."""
        self._db.executemany(statement.per_row, rows)

    def drain(self) -> None:
        """Nothing is pending."""


class BackgroundInserts:
    """Inserts run in order by one thread on the caller's connection (see module docstring)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._jobs: queue.Queue[tuple[str, str] | None] = queue.Queue(maxsize=QUEUED_BATCHES)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="sqlite-bulk-insert", daemon=True)
        self._thread.start()

    def insert(self, statement: RowInsert, rows: Sequence[Sequence[Any]]) -> None:
        """Queue `rows` (encoded now) for insertion; raise a failure of an earlier batch."""
        if self._error is not None:
            self.drain()
        if rows:
            self._jobs.put((statement.from_json, orjson.dumps(rows).decode()))

    def drain(self) -> None:
        """Wait for the queued batches; raise the first failure."""
        self._jobs.join()
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        """Stop the thread after the queued batches (which are skipped after a failure)."""
        self._jobs.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                if self._error is None:
                    self._db.execute(job[0], (job[1],))
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
    finally:
        inserts.close()
