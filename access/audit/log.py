"""The SQL-backed tamper-evident audit log: append inside the caller's transaction, sign
checkpoints, serve proofs and searches, verify everything stored.

Why the append takes the caller's session and does not commit: the record must be durable
exactly when the caller's own change is (a consent marked used, a grant revoked) — one commit,
so a crash leaves both or neither. Call it last in the transaction: it locks the head row until
the commit, so every other appender queues behind it (that queue is what makes seqs gap-free
across replicas); holding it while doing other work only lengthens the queue.

Per process, the right edge of the tree (`CompactRange`) is cached with the head it belongs to.
An append whose locked head is that (size, root) extends the cache without reading the node
table; otherwise — another replica appended, or our last transaction rolled back — it re-reads
the O(log n) edge nodes and checks them against the head's root before trusting them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from threading import Lock
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from access.audit import checkpoint as notes
from access.audit import merkle
from access.audit.errors import AuditOutOfRange, AuditStoreCorrupt, MissingNode
from access.audit.logkey import load_or_create_log_key
from access.audit.merkle import CompactRange, leaf_hash
from access.audit.records import AuditDecision, AuditDraft, AuditKind, AuditRecord
from access.audit.sql import (
    INSERT_CHECKPOINT,
    RECORD_COLUMNS,
    RECORD_TABLE,
    SELECT_CHECKPOINT,
    SELECT_CHECKPOINTS,
    SELECT_LATEST_CHECKPOINT,
    WRITE_POSTGRES,
    DriverStatements,
    SqlNodeReader,
    columns_disagree,
    lock_head,
    read_head,
    record_row,
)
from access.audit.store_check import VerifyReport, check_store

DEFAULT_ORIGIN: Final = "irs.xm.gov.cn/audit"
MAX_PAGE: Final = 1000


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """A checkpoint and the signed note it was published as."""

    checkpoint: notes.Checkpoint
    note: str


@dataclass(frozen=True, slots=True)
class RecordProof:
    """What a holder needs to check one record offline: its canonical bytes, the audit path to
    the tree of `size`, and the signed note of that size when one exists."""

    seq: int
    size: int
    record: bytes
    proof: list[bytes]
    root: bytes
    checkpoint: str | None


@dataclass(frozen=True, slots=True)
class AuditPage:
    """One page of a search; pass `next_after` back as `after` for the next one."""

    records: list[AuditRecord]
    next_after: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordFilter:
    """What a search asks for: every given member must match (time: from inclusive, until
    exclusive; the others exactly, on the log's query columns)."""

    time_from: datetime | None = None
    time_until: datetime | None = None
    kind: AuditKind | None = None
    actor: str | None = None
    resource: str | None = None
    holder_blind_index: str | None = None
    purpose: str | None = None
    matter: str | None = None
    decision: AuditDecision | None = None
    request_id: str | None = None
    grant_id: str | None = None
    consent_id: str | None = None

    def terms(self) -> list[ColumnElement[bool]]:
        """The WHERE terms of this filter."""
        c = RECORD_TABLE.c
        where: list[ColumnElement[bool]] = []
        if self.time_from is not None:
            where.append(c.time >= self.time_from.astimezone(UTC))
        if self.time_until is not None:
            where.append(c.time < self.time_until.astimezone(UTC))
        equal: dict[str, str | None] = {
            "kind": None if self.kind is None else self.kind.value,
            "actor": self.actor,
            "resource": self.resource,
            "holder_blind_index": self.holder_blind_index,
            "purpose": self.purpose,
            "matter": self.matter,
            "decision": None if self.decision is None else self.decision.value,
            "request_id": self.request_id,
            "grant_id": self.grant_id,
            "consent_id": self.consent_id,
        }
        where += [c[name] == value for name, value in equal.items() if value is not None]
        return where


CATCH_UP: Final = 4096  # leaves another process may have appended for the kept edge to catch up


class AuditLog:
    """The audit log in the records database (tables of migration 0003), signing with `key`."""

    def __init__(
        self, engine: Engine, key: Ed25519PrivateKey, *, origin: str = DEFAULT_ORIGIN
    ) -> None:
        notes.Checkpoint(origin=origin, size=0, root=merkle.EMPTY_ROOT, time=_EPOCH)  # validates
        self._engine = engine
        self._key = key
        self._origin = origin
        self._edge: tuple[int, bytes, CompactRange] | None = None  # (size, root, right edge)
        self._sign_lock = Lock()
        self._sql: tuple[Dialect, DriverStatements] | None = None

    # ---- identity ---------------------------------------------------------------------------

    @property
    def origin(self) -> str:
        """The log's name on its checkpoints."""
        return self._origin

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The key checkpoints verify with."""
        return self._key.public_key()

    @property
    def verifier_key(self) -> str:
        """The signed-note verifier key to publish (`name+keyid+base64`)."""
        return notes.verifier_key(self._origin, self.public_key)

    # ---- appending --------------------------------------------------------------------------

    def append(
        self, session: Session | Connection, drafts: Sequence[AuditDraft | AuditRecord]
    ) -> list[AuditRecord]:
        """Place `drafts` as the next records, in order, inside the open transaction of
        `session` (or of a connection).
        A draft may already be a record (validated earlier, its `seq` a placeholder): it is
        placed without checking its fields again.

        Does not commit: the caller commits them with its own writes (or rolls everything
        back). Raises `InvalidAuditRecord` for a bad draft, `AuditStoreCorrupt` when the stored
        tree contradicts the head; database errors propagate (fail closed)."""
        if not drafts:
            return []
        connection = session if isinstance(session, Connection) else session.connection()
        sql = self._statements(connection)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(sql.lock_head)
            head = cursor.fetchone()
            if head is None:
                raise AuditStoreCorrupt("the audit_head row is missing")
            size, root = int(head[0]), bytes(head[1])
            edge = self._edge_at(connection, size, root, cursor, sql.select_leaves)
            records = [draft.at(size + i) for i, draft in enumerate(drafts)]
            rows: list[dict[str, Any]] = []
            nodes: list[dict[str, Any]] = []
            to_db = sql.time
            for record in records:
                leaf = record.canonical_bytes()
                index = edge.size
                row = record_row(record, leaf)
                row["time"] = to_db(row["time"])
                rows.append(row)
                for level, h in enumerate(edge.append(leaf_hash(leaf))):
                    nodes.append({"level": level, "idx": index >> level, "hash": h})
            new_root = edge.root()
            advance = {"size": edge.size, "root": new_root, "old": size}
            try:
                if sql.one_statement:
                    columns = {name: [row[name] for row in rows] for name in RECORD_COLUMNS}
                    columns.update(
                        level=[node["level"] for node in nodes],
                        idx=[node["idx"] for node in nodes],
                        hash=[node["hash"] for node in nodes],
                    )
                    cursor.execute(WRITE_POSTGRES, {**columns, **advance})
                else:
                    cursor.executemany(sql.insert_records, rows)
                    cursor.executemany(sql.insert_nodes, nodes)
                    cursor.execute(sql.advance_head, advance)
            except connection.dialect.loaded_dbapi.IntegrityError:
                raise AuditStoreCorrupt(f"rows beyond the head at size {size} exist") from None
            if cursor.rowcount != 1:
                raise AuditStoreCorrupt("the head moved while it was locked")
        finally:
            cursor.close()
        self._edge = (edge.size, new_root, edge)
        return records

    def _statements(self, connection: Connection) -> DriverStatements:
        sql = self._sql
        if sql is None or sql[0] is not connection.dialect:
            sql = self._sql = (connection.dialect, DriverStatements.for_dialect(connection.dialect))
        return sql[1]

    def append_now(self, drafts: Sequence[AuditDraft]) -> list[AuditRecord]:
        """`append` in a transaction of its own, committed before returning."""
        with Session(self._engine) as session:
            records = self.append(session, drafts)
            session.commit()
        return records

    def _edge_at(
        self,
        connection: Connection,
        size: int,
        root: bytes,
        cursor: Any,
        select_leaves: str,
    ) -> CompactRange:
        """A private copy of the right edge of the tree at the locked head.

        The edge is kept between appends. When another process appended since (two server
        workers take turns on one log), the kept edge catches up from the leaves it appended,
        read in one range query, instead of reading the edge again node by node; either way
        the edge must give the head's root."""
        cached = self._edge
        if cached is not None and cached[0] == size and cached[1] == root:
            return cached[2].copy()
        if cached is not None and 0 < size - cached[0] <= CATCH_UP:
            edge = cached[2].copy()
            cursor.execute(select_leaves, {"start": cached[0], "stop": size})
            leaves = [bytes(h) for (h,) in cursor.fetchall()]
            if len(leaves) == size - cached[0]:
                for leaf in leaves:
                    edge.append(leaf)
                if edge.root() == root:
                    self._edge = (size, root, edge.copy())
                    return edge
            # not what the head says: the full read below tells what is wrong
        try:
            edge = CompactRange.from_reader(SqlNodeReader(connection), size=size)
        except MissingNode as err:
            raise AuditStoreCorrupt(f"right edge of size {size}: {err.detail}") from None
        if edge.root() != root:
            raise AuditStoreCorrupt(f"stored nodes do not give the head's root at size {size}")
        self._edge = (size, root, edge.copy())
        return edge

    # ---- checkpoints ------------------------------------------------------------------------

    def checkpoint(self, now: datetime | None = None) -> SignedCheckpoint:
        """Sign the current head and store the note (the existing one if that size is signed).

        Refuses (`AuditStoreCorrupt`) to sign a tree that does not extend the latest signed
        one, so tampering with the store can never be laundered into a new signature."""
        moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
        with self._sign_lock, Session(self._engine) as session:
            connection = session.connection()
            size, root = lock_head(connection)
            reader = SqlNodeReader(connection)
            self._check_root(reader, size, root, "the head")
            existing = connection.execute(SELECT_CHECKPOINT, {"size": size}).scalar()
            if existing is not None:
                return self._parse(str(existing))
            latest = connection.execute(SELECT_LATEST_CHECKPOINT).first()
            if latest is not None:
                previous = self._parse(str(latest.note)).checkpoint
                self._check_root(reader, previous.size, previous.root, "the latest checkpoint")
            signed = notes.Checkpoint(origin=self._origin, size=size, root=root, time=moment)
            note = notes.sign_checkpoint(signed, private_key=self._key)
            row = {"size": size, "note": note, "created_at": moment}
            connection.execute(INSERT_CHECKPOINT, row)
            session.commit()
        return SignedCheckpoint(checkpoint=signed, note=note)

    def latest_checkpoint(self) -> SignedCheckpoint | None:
        """The newest stored checkpoint (signature checked), or None before the first."""
        with self._engine.connect() as connection:
            row = connection.execute(SELECT_LATEST_CHECKPOINT).first()
        return None if row is None else self._parse(str(row.note))

    def checkpoints(self) -> list[SignedCheckpoint]:
        """Every stored checkpoint, oldest first (signatures checked: a forged one raises)."""
        with self._engine.connect() as connection:
            rows = connection.execute(SELECT_CHECKPOINTS).all()
        return [self._parse(str(row.note)) for row in rows]

    def _parse(self, note: str) -> SignedCheckpoint:
        checkpoint = notes.verify_checkpoint(note, self.public_key, origin=self._origin)
        return SignedCheckpoint(checkpoint=checkpoint, note=note)

    @staticmethod
    def _check_root(reader: SqlNodeReader, size: int, root: bytes, what: str) -> None:
        try:
            stored = merkle.root_at(reader, size=size)
        except MissingNode as err:
            raise AuditStoreCorrupt(f"{what} (size {size}): {err.detail}") from None
        if stored != root:
            raise AuditStoreCorrupt(f"stored nodes disagree with {what} at size {size}")

    # ---- reading and proving ----------------------------------------------------------------

    def size(self) -> int:
        """How many records the log holds (its committed head)."""
        with self._engine.connect() as connection:
            return read_head(connection)[0]

    def record(self, seq: int) -> AuditRecord | None:
        """Record `seq`, parsed from its stored bytes (None if the log does not hold it)."""
        with self._engine.connect() as connection:
            row = connection.execute(select(RECORD_TABLE).where(RECORD_TABLE.c.seq == seq)).first()
        return None if row is None else _parse_row(row)

    def inclusion_proof(self, seq: int, size: int | None = None) -> list[bytes]:
        """PATH(seq, tree of `size`) (default: the current head), leaf side first."""
        with self._engine.connect() as connection:
            size = self._tree_size(connection, size)
            if not 0 <= seq < size:
                raise AuditOutOfRange(f"record {seq} is not in a tree of {size}")
            return merkle.inclusion_proof(SqlNodeReader(connection), index=seq, size=size)

    def consistency_proof(self, old: int, new: int | None = None) -> list[bytes]:
        """PROOF that the tree of `new` (default: the head) extends the tree of `old`."""
        with self._engine.connect() as connection:
            new = self._tree_size(connection, new)
            if not 0 <= old <= new:
                raise AuditOutOfRange(f"no consistency from {old} to {new}")
            return merkle.consistency_proof(SqlNodeReader(connection), old_size=old, new_size=new)

    def root_at(self, size: int) -> bytes:
        """The root of the tree of `size` from the stored nodes."""
        with self._engine.connect() as connection:
            size = self._tree_size(connection, size)
            return merkle.root_at(SqlNodeReader(connection), size=size)

    def prove(self, seq: int, size: int | None = None) -> RecordProof:
        """Everything to check record `seq` offline. Default size: the latest checkpoint that
        holds it (so the proof checks against a signed note), else the head."""
        if size is None:
            latest = self.latest_checkpoint()
            size = latest.checkpoint.size if latest and latest.checkpoint.size > seq else None
        with self._engine.connect() as connection:
            size = self._tree_size(connection, size)
            if not 0 <= seq < size:
                raise AuditOutOfRange(f"record {seq} is not in a tree of {size}")
            reader = SqlNodeReader(connection)
            proof = merkle.inclusion_proof(reader, index=seq, size=size)
            root = merkle.root_at(reader, size=size)
            leaf = connection.execute(
                select(RECORD_TABLE.c.leaf).where(RECORD_TABLE.c.seq == seq)
            ).scalar()
            note = connection.execute(SELECT_CHECKPOINT, {"size": size}).scalar()
        if leaf is None:
            raise AuditStoreCorrupt(f"record {seq} is missing below the head")
        return RecordProof(
            seq=seq,
            size=size,
            record=bytes(leaf),
            proof=proof,
            root=root,
            checkpoint=None if note is None else str(note),
        )

    @staticmethod
    def _tree_size(connection: Connection, size: int | None) -> int:
        head = read_head(connection)[0]
        if size is None:
            return head
        if not 0 <= size <= head:
            raise AuditOutOfRange(f"no tree of size {size} in a log of {head}")
        return size

    def search(
        self,
        where: RecordFilter | None = None,
        *,
        after: int | None = None,
        limit: int = 100,
        newest_first: bool = False,
    ) -> AuditPage:
        """Records matching `where`, by seq; `after` is the previous page's `next_after`,
        `limit` is capped at `MAX_PAGE`. Each record comes from its leaf bytes, checked against
        the columns that matched it."""
        c = RECORD_TABLE.c
        terms = (where or RecordFilter()).terms()
        if after is not None:
            terms.append(c.seq < after if newest_first else c.seq > after)
        limit = max(1, min(limit, MAX_PAGE))
        stmt = (
            select(RECORD_TABLE)
            .where(and_(True, *terms))
            .order_by(c.seq.desc() if newest_first else c.seq)
            .limit(limit + 1)
        )
        with self._engine.connect() as connection:
            rows = connection.execute(stmt).all()
        records = [_parse_row(row) for row in rows[:limit]]
        more = len(rows) > limit
        return AuditPage(records=records, next_after=records[-1].seq if more else None)

    def count(self, where: RecordFilter | None = None) -> int:
        """How many records match `where` (a connection's totalCount)."""
        terms = (where or RecordFilter()).terms()
        stmt = select(func.count()).select_from(RECORD_TABLE).where(and_(True, *terms))
        with self._engine.connect() as connection:
            return int(connection.execute(stmt).scalar_one())

    # ---- verification -----------------------------------------------------------------------

    def verify(self, *, strict: bool = False) -> VerifyReport:
        """Recompute everything from the stored records and check it against the signed
        checkpoints and the head (see `access.audit.store_check`). `strict` also re-validates
        every record's domain rules (slower: ~55 µs a record)."""
        with self._engine.connect() as connection:
            return check_store(
                connection, public_key=self.public_key, origin=self._origin, strict=strict
            )


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def _parse_row(row: Any) -> AuditRecord:
    record = AuditRecord.from_canonical(bytes(row.leaf))
    wrong = columns_disagree(record, row)
    if wrong:
        raise AuditStoreCorrupt(f"record {row.seq}: columns {', '.join(wrong)} disagree with it")
    return record


def open_audit_log(engine: Engine, key_dir: Path, *, origin: str = DEFAULT_ORIGIN) -> AuditLog:
    """The audit log on a migrated records `engine`, signing with the log key in `key_dir`
    (created on first run, owner-only)."""
    return AuditLog(engine, load_or_create_log_key(key_dir), origin=origin)


__all__ = [
    "DEFAULT_ORIGIN",
    "MAX_PAGE",
    "AuditDraft",
    "AuditLog",
    "AuditPage",
    "RecordFilter",
    "RecordProof",
    "SignedCheckpoint",
    "VerifyReport",
    "open_audit_log",
]
