"""The audit log's SQL: named statements and the `NodeReader` over the `audit_node` table.

Why the append goes to the driver's cursor: it runs on every licensed call, and SQLAlchemy's
per-statement work (~80 µs) would be most of its cost. So it issues four fixed statements —
lock the head, insert the records, insert the nodes, advance the head; records and nodes go in
as one executemany each, whatever the batch size — straight on the DBAPI connection of the
caller's transaction, in the driver's paramstyle, with values converted by the same SQLAlchemy
type processors the tables use. Everything off the hot path (proofs, search, verify) uses Core.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Table, insert, text
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.elements import TextClause

from access.audit.errors import MissingNode
from access.audit.merkle import NodeId
from access.audit.records import AuditRecord
from access.audit.tables import AuditCheckpointRow, AuditNodeRow, AuditRecordRow

RECORD_TABLE: Final[Table] = AuditRecordRow.__table__  # type: ignore[attr-defined]
NODE_TABLE: Final[Table] = AuditNodeRow.__table__  # type: ignore[attr-defined]
CHECKPOINT_TABLE: Final[Table] = AuditCheckpointRow.__table__  # type: ignore[attr-defined]

# ---- the append (driver SQL, `:name` parameters; see `DriverStatements`) ----
# PostgreSQL: the row lock every appender queues on (READ COMMITTED returns the latest row).
LOCK_HEAD_POSTGRES: Final = "SELECT size, root FROM audit_head WHERE id = 1 FOR UPDATE"
# SQLite: a write first, so the database write lock is taken before the size is read (a read
# first would let two processes read one size and the second fail on upgrading).
LOCK_HEAD_SQLITE: Final = "UPDATE audit_head SET size = size WHERE id = 1 RETURNING size, root"
INSERT_RECORDS: Final = (
    "INSERT INTO audit_record (seq, leaf, time, kind, actor, resource, holder_blind_index,"
    " purpose, matter, decision, request_id, grant_id, consent_id) VALUES (:seq, :leaf, :time,"
    " :kind, :actor, :resource, :holder_blind_index, :purpose, :matter, :decision, :request_id,"
    " :grant_id, :consent_id)"
)
INSERT_NODES: Final = "INSERT INTO audit_node (level, idx, hash) VALUES (:level, :idx, :hash)"
# The leaf hashes appended since a size this process knows (by another process, in order).
SELECT_LEAVES: Final = (
    "SELECT hash FROM audit_node WHERE level = 0 AND idx >= :start AND idx < :stop ORDER BY idx"
)
ADVANCE_HEAD: Final = (
    "UPDATE audit_head SET size = :size, root = :root WHERE id = 1 AND size = :old"
)
# PostgreSQL: records, nodes and the head in one statement — one round trip per batch, whatever
# its size (data-modifying CTEs all run; the UPDATE's row count says whether the head moved).
WRITE_POSTGRES: Final = """
WITH records AS (
  INSERT INTO audit_record (seq, leaf, time, kind, actor, resource, holder_blind_index, purpose,
                            matter, decision, request_id, grant_id, consent_id)
  SELECT * FROM unnest(
    %(seq)s::bigint[], %(leaf)s::bytea[], %(time)s::timestamptz[], %(kind)s::varchar[],
    %(actor)s::varchar[], %(resource)s::varchar[], %(holder_blind_index)s::varchar[],
    %(purpose)s::varchar[], %(matter)s::varchar[], %(decision)s::varchar[],
    %(request_id)s::varchar[], %(grant_id)s::varchar[], %(consent_id)s::varchar[])
), nodes AS (
  INSERT INTO audit_node (level, idx, hash)
  SELECT * FROM unnest(%(level)s::smallint[], %(idx)s::bigint[], %(hash)s::bytea[])
)
UPDATE audit_head SET size = %(size)s, root = %(root)s WHERE id = 1 AND size = %(old)s
"""
RECORD_COLUMNS: Final = (
    "seq",
    "leaf",
    "time",
    "kind",
    "actor",
    "resource",
    "holder_blind_index",
    "purpose",
    "matter",
    "decision",
    "request_id",
    "grant_id",
    "consent_id",
)

# ---- everything else (SQLAlchemy) ----
READ_HEAD: Final = text("SELECT size, root FROM audit_head WHERE id = 1")
INSERT_CHECKPOINT: Final = insert(CHECKPOINT_TABLE)
SELECT_CHECKPOINT: Final = text("SELECT note FROM audit_checkpoint WHERE size = :size")
SELECT_LATEST_CHECKPOINT: Final = text(
    "SELECT size, note FROM audit_checkpoint ORDER BY size DESC LIMIT 1"
)
SELECT_CHECKPOINTS: Final = text("SELECT size, note FROM audit_checkpoint ORDER BY size")
COUNT_RECORDS: Final = text("SELECT count(*) FROM audit_record")
# the query columns: copies of leaf fields (`seq` and `time` are handled on their own)
QUERY_COLUMNS: Final = (
    "kind",
    "actor",
    "resource",
    "holder_blind_index",
    "purpose",
    "matter",
    "decision",
    "request_id",
    "grant_id",
    "consent_id",
)
# the verifier's stream, read on the driver's cursor (`scan_records`): plain tuples of seq, leaf,
# time as text, then the query columns. SQLite hands back the stored text (SQLAlchemy's
# "YYYY-MM-DD HH:MM:SS.ffffff", UTC); PostgreSQL formats the instant in UTC exactly as a leaf
# spells it, so neither side builds a datetime per record.
_SCAN: Final = (
    "SELECT seq, leaf, {time}, kind, actor, resource, holder_blind_index, purpose, matter,"
    " decision, request_id, grant_id, consent_id FROM audit_record ORDER BY seq"
)
SCAN_RECORDS_SQLITE: Final = _SCAN.format(time="time")
SCAN_RECORDS_POSTGRES: Final = _SCAN.format(
    time="""to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
)
SCAN_CURSOR: Final = "irs_audit_verify"  # PostgreSQL: the server-side cursor's name


def scan_records(connection: Connection, *, chunk: int) -> Iterator[Sequence[Any]]:
    """Every stored record in seq order, `chunk` rows at a time, as the driver's tuples.

    Why the driver and not SQLAlchemy: the verifier reads every record, and a Core result's
    per-row work (row objects, type processors) costs about as much as checking the row.
    PostgreSQL reads through a server-side cursor in the connection's transaction, so memory
    stays at one chunk whatever the log's size; SQLite steps its cursor lazily anyway."""
    dbapi = connection.connection.dbapi_connection
    if dbapi is None:
        raise RuntimeError("the connection is closed")
    if connection.dialect.name == "postgresql":
        cursor = dbapi.cursor(SCAN_CURSOR)
        sql = SCAN_RECORDS_POSTGRES
    else:
        cursor = dbapi.cursor()
        sql = SCAN_RECORDS_SQLITE
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(chunk):
            yield rows
    finally:
        cursor.close()


_NAMED_PARAM = re.compile(r":([a-z_]+)")


@dataclass(frozen=True, slots=True)
class DriverStatements:
    """The append's statements for one dialect: SQL in the driver's paramstyle and the
    conversion of a record's time to what the driver stores (SQLite: SQLAlchemy's text)."""

    lock_head: str
    insert_records: str
    insert_nodes: str
    advance_head: str
    select_leaves: str
    time: Callable[[datetime], Any]
    one_statement: bool

    @classmethod
    def for_dialect(cls, dialect: Dialect) -> DriverStatements:
        """sqlite3 takes `:name`; psycopg (and psycopg2) take `%(name)s`."""
        if dialect.name == "sqlite":
            convert: Callable[[str], str] = str
        elif dialect.name == "postgresql":
            convert = _pyformat
        else:
            raise NotImplementedError(f"no audit log statements for {dialect.name}")
        time_type = RECORD_TABLE.c.time.type
        to_db = time_type.dialect_impl(dialect).bind_processor(dialect)
        return cls(
            lock_head=LOCK_HEAD_SQLITE if dialect.name == "sqlite" else LOCK_HEAD_POSTGRES,
            insert_records=convert(INSERT_RECORDS),
            insert_nodes=convert(INSERT_NODES),
            advance_head=convert(ADVANCE_HEAD),
            select_leaves=convert(SELECT_LEAVES),
            time=_identity if to_db is None else to_db,
            one_statement=dialect.name == "postgresql",
        )


def _pyformat(sql: str) -> str:
    return _NAMED_PARAM.sub(r"%(\1)s", sql)


def _identity(moment: datetime) -> Any:
    return moment


def lock_head(connection: Connection) -> tuple[int, bytes]:
    """Take the append lock in the open transaction and return the head (size, root)."""
    if connection.dialect.name == "postgresql":
        size, root = connection.exec_driver_sql(LOCK_HEAD_POSTGRES).one()
    else:
        size, root = connection.exec_driver_sql(LOCK_HEAD_SQLITE).one()
    return int(size), bytes(root)


def read_head(connection: Connection) -> tuple[int, bytes]:
    """The head (size, root) without locking."""
    size, root = connection.execute(READ_HEAD).one()
    return int(size), bytes(root)


def record_row(record: AuditRecord, leaf: bytes) -> dict[str, Any]:
    """The `audit_record` row of a record: its bytes and the filterable copies."""
    return {
        "seq": record.seq,
        "leaf": leaf,
        "time": record.time.astimezone(UTC),
        "kind": record.kind.value,
        "actor": record.actor,
        "resource": record.resource,
        "holder_blind_index": record.holder_blind_index,
        "purpose": record.purpose,
        "matter": record.matter,
        "decision": None if record.decision is None else record.decision.value,
        "request_id": record.request_id,
        "grant_id": record.grant_id,
        "consent_id": record.consent_id,
    }


def as_utc(moment: datetime) -> datetime:
    """A stored time as aware UTC (SQLite hands back naive UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def columns_disagree(record: AuditRecord, row: Any) -> list[str]:
    """Names of the query columns of `row` that are not what the leaf says (never values)."""
    wrong = [] if row.seq == record.seq else ["seq"]
    if as_utc(row.time) != record.time.astimezone(UTC):
        wrong.append("time")
    expected = record_row(record, b"")
    wrong += [name for name in QUERY_COLUMNS if getattr(row, name) != expected[name]]
    return wrong


SELECT_NODES: Final = "SELECT level, idx, hash FROM audit_node WHERE "
NODE_KEY: Final = "(level = :l{n} AND idx = :i{n})"


@functools.lru_cache(maxsize=256)
def select_nodes(count: int) -> TextClause:
    """`SELECT level, idx, hash FROM audit_node WHERE <key 0> OR … OR <key count-1>`, one
    statement per count (a proof needs at most ~2·log2 n keys, so few are ever made). An OR of
    primary-key equalities is what both engines answer from the index: SQLite scans the whole
    table for a row-value `(level, idx) IN (...)`, and building a SQLAlchemy expression per
    proof costs more than the query."""
    keys = " OR ".join(NODE_KEY.format(n=n) for n in range(count))
    return text(SELECT_NODES + keys)


class SqlNodeReader:
    """`NodeReader` over `audit_node` on one connection: one query per call."""

    __slots__ = ("_connection",)

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def node_hashes(self, *, nodes: Sequence[NodeId]) -> list[bytes]:
        """The hashes of `nodes`, in order; `MissingNode` names the first one absent."""
        if not nodes:
            return []
        keys = sorted({(n.level, n.index) for n in nodes})
        params = {}
        for i, (level, index) in enumerate(keys):
            params[f"l{i}"], params[f"i{i}"] = level, index
        found = {
            (lv, ix): bytes(h)
            for lv, ix, h in self._connection.execute(select_nodes(len(keys)), params)
        }
        out: list[bytes] = []
        for node in nodes:
            h = found.get((node.level, node.index))
            if h is None:
                raise MissingNode(f"node [{node.level}, {node.index}]")
            out.append(h)
        return out
