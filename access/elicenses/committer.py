"""Group commit for licensed calls: many concurrent calls, one transaction, one fsync.

Why: every call must be durable before it answers (its audit record, the one-time code used
up, the call counted against the grant's quota). A durable commit costs a disk flush —
milliseconds — while the work of a call is a fraction of that; committing calls one by one
caps the hub at a few hundred calls a second whatever the CPU. Calls that arrive while a
commit is running wait and are committed together by the next one (the leader/follower
pattern: the first waiting thread does the commit for everyone queued, no background thread).

Each write keeps its own outcome: a code that another call used first, or a quota that the
batch exhausted, refuses that call alone (its denial is recorded instead). If the commit
fails, every call in the batch fails (closed): none of them answers with data.
"""

from __future__ import annotations

import asyncio
import dataclasses
import fcntl
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Date, DateTime, Engine, Integer, bindparam, text
from sqlalchemy.engine import Connection

from access.audit.log import AuditLog
from access.audit.records import AuditDecision, AuditDraft, AuditRecord
from access.driver_sql import DriverStatements, driver_errors_as_sqlalchemy

MAX_BATCH: Final = 512

USE_CODE: Final = text(
    "UPDATE consent_codes SET used_at = :now WHERE code_sha256 = :digest AND used_at IS NULL"
).bindparams(bindparam("now", type_=DateTime(timezone=True)))
COUNT_CALL: Final = text(
    "INSERT INTO grant_usage (grant_id, day, calls) VALUES (:grant_id, :day, 1) "
    "ON CONFLICT (grant_id, day) DO UPDATE SET calls = grant_usage.calls + 1 "
    "WHERE grant_usage.calls < :quota"
).bindparams(bindparam("day", type_=Date), bindparam("quota", type_=Integer))
# PostgreSQL: a batch first locks its usage rows (made if missing) in one order, the same in
# every replica, so that two replicas committing calls on the same grants cannot deadlock by
# each locking them in its own queue order.
LOCK_USAGE: Final = text(
    "INSERT INTO grant_usage (grant_id, day, calls) VALUES (:grant_id, :day, 0) "
    "ON CONFLICT (grant_id, day) DO UPDATE SET calls = grant_usage.calls"
).bindparams(bindparam("day", type_=Date))
UNCOUNT_CALL: Final = text(
    "UPDATE grant_usage SET calls = calls - 1 WHERE grant_id = :grant_id AND day = :day"
).bindparams(bindparam("day", type_=Date))


@dataclass(frozen=True)
class CallWrite:
    """What one call must make durable. `grant_id` None: a denial (only its record)."""

    draft: AuditDraft
    grant_id: str | None = None
    day: date | None = None
    quota: int = 0
    code_digest: str | None = None
    now: datetime | None = None

    def __post_init__(self) -> None:
        if self.code_digest is not None and self.now is None:  # used_at would stay null
            raise ValueError("a write that uses up a consent code needs the call's time")


@dataclass(frozen=True)
class Committed:
    """The record written for a call; `refused` names why an allowed call was refused at
    commit (its record is then the denial)."""

    record: AuditRecord
    refused: str | None = None


@dataclass(slots=True)
class _Waiter:
    """A write, its record (validated before it joins a batch, so a bad record fails only its
    own call and the log does not check it again), and how its caller waits: a thread on
    `done`, or a coroutine on `future`."""

    write: CallWrite
    record: AuditRecord
    done: threading.Event | None = None
    future: asyncio.Future[Committed] | None = None
    loop: asyncio.AbstractEventLoop | None = None
    result: Committed | None = None
    error: BaseException | None = None

    def resolve(self) -> None:
        assert self.future is not None
        if self.future.done():  # the caller went away (cancelled)
            return
        if self.error is not None:
            self.future.set_exception(self.error)
        else:
            assert self.result is not None
            self.future.set_result(self.result)


def _settle(batch: Sequence[_Waiter]) -> None:
    """Wake the callers of a finished batch: threads one by one, coroutines with one callback
    per event loop (each thread-safe callback writes to the loop's wake-up pipe: one write
    wakes the loop for the whole batch)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Waiter]] = {}
    for waiter in batch:
        if waiter.loop is not None:
            by_loop.setdefault(waiter.loop, []).append(waiter)
        else:
            assert waiter.done is not None
            waiter.done.set()
    for loop, waiters in by_loop.items():
        loop.call_soon_threadsafe(_resolve_all, waiters)


def _resolve_all(waiters: Sequence[_Waiter]) -> None:
    for waiter in waiters:
        waiter.resolve()


class GroupCommitter:
    """Commits concurrent calls' writes in shared transactions (see the module docstring)."""

    def __init__(self, *, engine: Engine, audit: AuditLog, max_batch: int = MAX_BATCH) -> None:
        self._engine = engine
        self._audit = audit
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Waiter] = []
        self._leading = False
        self._flush_scheduled = False
        self._thread: ThreadPoolExecutor | None = None  # leads for coroutines; made on first use
        self._lock_path = _writer_lock_path(engine)
        self._lock_fd: int | None = None  # opened by the first commit, kept until close()
        self._statements = DriverStatements(engine)
        self._connection: Connection | None = None  # kept between batches (only the leader uses it)
        self._lock_usage_first = engine.dialect.name != "sqlite"  # SQLite: one writer at a time
        self.commits = 0  # transactions committed, and the writes they carried (metrics)
        self.writes = 0

    def commit(self, write: CallWrite) -> Committed:
        """Make `write` durable (with whatever else is waiting); blocks until it is."""
        done = threading.Event()
        waiter = _Waiter(write, write.draft.at(0), done=done)
        with self._lock:
            self._queue.append(waiter)
            lead = not self._leading
            if lead:
                self._leading = True
        if lead:
            self._lead()
        done.wait()
        if waiter.error is not None:
            raise waiter.error
        assert waiter.result is not None
        return waiter.result

    async def commit_async(self, write: CallWrite) -> Committed:
        """`commit` for a coroutine: the event loop runs on while the commit happens on the
        committer's own thread.

        The commit starts only after the loop has run every call that was ready with this
        one (a `call_soon` callback runs after them): requests that arrived together are
        committed together. Starting at the first write instead commits one call at a time
        under load — the committer wins the GIL as soon as the loop reads from the database
        — and a commit of one costs about as much CPU as the rest of the call."""
        loop = asyncio.get_running_loop()
        waiter = _Waiter(write, write.draft.at(0), future=loop.create_future(), loop=loop)
        with self._lock:
            self._queue.append(waiter)
            schedule = not self._leading and not self._flush_scheduled
            self._flush_scheduled = self._flush_scheduled or schedule
        if schedule:
            loop.call_soon(self._flush)
        assert waiter.future is not None
        return await waiter.future

    def _flush(self) -> None:
        """Hand what the loop queued to the committer's thread (unless it is already leading:
        it then takes the queue with its next batch)."""
        with self._lock:
            self._flush_scheduled = False
            lead = not self._leading and bool(self._queue)
            if lead:
                self._leading = True
                if self._thread is None:
                    self._thread = ThreadPoolExecutor(1, thread_name_prefix="irs-commit")
        if lead:
            assert self._thread is not None
            self._thread.submit(self._lead)

    def _lead(self) -> None:
        while True:
            with self._lock:
                batch = self._queue[: self._max_batch]
                del self._queue[: len(batch)]
                if not batch:
                    self._leading = False
                    return
            try:
                results = self._commit(batch)
            except BaseException as exc:  # every waiter learns it, then it is re-raised there
                for waiter in batch:
                    waiter.error = exc
                _settle(batch)
                continue
            self.commits += 1
            self.writes += len(batch)
            for waiter, result in zip(batch, results, strict=True):
                waiter.result = result
            _settle(batch)

    def _commit(self, batch: Sequence[_Waiter]) -> list[Committed]:
        if self._lock_path is None:
            return self._commit_batch(batch)
        # SQLite: processes (uvicorn workers) take turns on a blocking file lock; SQLite's own
        # busy handler would poll with growing sleeps and stretch the tail to seconds. Only the
        # leader commits, so one descriptor kept open serves every commit of the process.
        if self._lock_fd is None:
            self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o666)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            return self._commit_batch(batch)
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Let the commits under way finish, stop the committer's thread, release the lock
        file and the connection (a later commit would start them again)."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.shutdown(wait=True)
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            os.close(fd)
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def _commit_batch(self, batch: Sequence[_Waiter]) -> list[Committed]:
        """One transaction for the batch on the connection the committer keeps (a session and
        a pool checkout per batch cost ~90 µs, more than the batch's own statements)."""
        connection = self._connection
        if connection is None or connection.closed or connection.invalidated:
            connection = self._connection = self._engine.connect()
        try:
            with connection.begin(), driver_errors_as_sqlalchemy(self._engine):
                records, refusals = self._write(connection, batch)
        except BaseException:
            # whatever failed, the next batch starts on a fresh connection
            self._connection = None
            connection.close()
            raise
        return [Committed(r, refused) for r, refused in zip(records, refusals, strict=True)]

    def _write(
        self, connection: Connection, batch: Sequence[_Waiter]
    ) -> tuple[list[AuditRecord], list[str | None]]:
        """Each call's effects, then every record, inside the open transaction."""
        drafts: list[AuditDraft | AuditRecord] = []
        refusals: list[str | None] = []
        cursor = connection.connection.cursor()  # the driver's, in the transaction
        try:
            if self._lock_usage_first:
                usage = {(w.write.grant_id, w.write.day) for w in batch if w.write.grant_id}
                for grant_id, day in sorted(usage):
                    self._statements[LOCK_USAGE].execute(cursor, {"grant_id": grant_id, "day": day})
            for waiter in batch:
                refused = self._effects(cursor, waiter.write)
                refusals.append(refused)
                if refused is None:
                    drafts.append(waiter.record)
                else:
                    drafts.append(
                        dataclasses.replace(
                            waiter.write.draft,
                            decision=AuditDecision.DENY,
                            reasons=(refused,),
                            fields_released=(),
                            response_digest=None,
                        )
                    )
        finally:
            cursor.close()
        return self._audit.append(connection, drafts), refusals  # last: it holds the head lock

    def _effects(self, cursor: Any, write: CallWrite) -> str | None:
        """Count the call and use up its code; the reason when either cannot happen."""
        if write.grant_id is None:
            return None
        sql = self._statements
        keys = {"grant_id": write.grant_id, "day": write.day}
        if sql[COUNT_CALL].execute(cursor, {**keys, "quota": write.quota}) != 1:
            return "QUOTA_EXCEEDED"
        if write.code_digest is not None:
            used = sql[USE_CODE].execute(cursor, {"now": write.now, "digest": write.code_digest})
            if used != 1:
                sql[UNCOUNT_CALL].execute(cursor, keys)
                return "CONSENT_CODE_USED"
        return None


def _writer_lock_path(engine: Engine) -> Path | None:
    """The lock file beside a SQLite database (None for a server database)."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        return None
    return Path(f"{engine.url.database}.commit-lock")
