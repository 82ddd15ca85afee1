"""SQLModel tables of the audit log (migration 0003): records, Merkle nodes, checkpoints, head.

Why these four: `audit_record.leaf` (the canonical bytes) is the source of truth and the query
columns beside it are copies for auditors' filters, re-checked against the leaf on read and by
`irs audit verify`. `audit_node` keeps complete subtrees (INSERT-only: a full subtree never
changes) so proofs read O(log n) rows. `audit_checkpoint` keeps the signed notes, the only
evidence a tamperer with database access cannot forge. `audit_head` is the one row every append
locks: it makes seqs gap-free across replicas, and its root lets a replica trust its cached
right edge without re-reading the node table.

`seq`/`idx` are BIGINT on PostgreSQL and INTEGER on SQLite (where only `INTEGER PRIMARY KEY`
is the rowid itself: one B-tree per table instead of two).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, LargeBinary, SmallInteger, Text
from sqlmodel import Field, SQLModel

_SEQ = BigInteger().with_variant(Integer(), "sqlite")


def _utc() -> DateTime:
    return DateTime(timezone=True)


class AuditRecordRow(SQLModel, table=True):
    """One audit record: its canonical bytes (the Merkle leaf) and filterable copies."""

    __tablename__ = "audit_record"
    __table_args__ = (
        Index("audit_record_by_time", "time"),
        Index("audit_record_by_actor", "actor", "seq"),
        Index("audit_record_by_resource", "resource", "seq"),
        Index("audit_record_by_holder", "holder_blind_index", "seq"),
        Index("audit_record_by_matter", "matter", "seq"),
        Index("audit_record_by_request", "request_id"),
        Index("audit_record_by_grant", "grant_id"),
    )

    seq: int = Field(sa_type=_SEQ, primary_key=True, sa_column_kwargs={"autoincrement": False})
    leaf: bytes = Field(sa_type=LargeBinary)
    time: datetime = Field(sa_type=_utc())
    kind: str = Field(max_length=32)
    actor: str = Field(max_length=512)
    resource: str | None = Field(default=None, max_length=512)
    holder_blind_index: str | None = Field(default=None, max_length=128)
    purpose: str | None = Field(default=None, max_length=512)
    matter: str | None = Field(default=None, max_length=512)
    decision: str | None = Field(default=None, max_length=8)
    request_id: str | None = Field(default=None, max_length=512)
    grant_id: str | None = Field(default=None, max_length=512)
    consent_id: str | None = Field(default=None, max_length=512)


class AuditNodeRow(SQLModel, table=True):
    """A complete subtree's hash: 2^level leaves starting at idx·2^level (level 0 = leaves)."""

    __tablename__ = "audit_node"
    __table_args__ = {"sqlite_with_rowid": False}  # the (level, idx) key is the row: one B-tree

    level: int = Field(
        sa_type=SmallInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    idx: int = Field(sa_type=_SEQ, primary_key=True, sa_column_kwargs={"autoincrement": False})
    hash: bytes = Field(sa_type=LargeBinary)


class AuditCheckpointRow(SQLModel, table=True):
    """A signed checkpoint (C2SP signed note) of the tree of `size` leaves."""

    __tablename__ = "audit_checkpoint"

    size: int = Field(sa_type=_SEQ, primary_key=True, sa_column_kwargs={"autoincrement": False})
    note: str = Field(sa_type=Text)
    created_at: datetime = Field(sa_type=_utc())


class AuditHeadRow(SQLModel, table=True):
    """The log's head (one row, id 1): how many records it holds and the tree's root then."""

    __tablename__ = "audit_head"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    size: int = Field(sa_type=_SEQ)
    root: bytes = Field(sa_type=LargeBinary)
