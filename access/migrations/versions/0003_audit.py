"""The tamper-evident audit log: records, Merkle nodes, signed checkpoints and the head row.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

EMPTY_ROOT = hashlib.sha256(b"").digest()  # RFC 9162 MTH of the empty tree


def _seq() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "audit_record",
        sa.Column("seq", _seq(), primary_key=True, autoincrement=False),
        sa.Column("leaf", sa.LargeBinary(), nullable=False),
        sa.Column("time", _utc(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(512), nullable=False),
        sa.Column("resource", sa.String(512), nullable=True),
        sa.Column("holder_blind_index", sa.String(128), nullable=True),
        sa.Column("purpose", sa.String(512), nullable=True),
        sa.Column("matter", sa.String(512), nullable=True),
        sa.Column("decision", sa.String(8), nullable=True),
        sa.Column("request_id", sa.String(512), nullable=True),
        sa.Column("grant_id", sa.String(512), nullable=True),
        sa.Column("consent_id", sa.String(512), nullable=True),
    )
    op.create_index("audit_record_by_time", "audit_record", ["time"])
    op.create_index("audit_record_by_actor", "audit_record", ["actor", "seq"])
    op.create_index("audit_record_by_resource", "audit_record", ["resource", "seq"])
    op.create_index("audit_record_by_holder", "audit_record", ["holder_blind_index", "seq"])
    op.create_index("audit_record_by_matter", "audit_record", ["matter", "seq"])
    op.create_index("audit_record_by_request", "audit_record", ["request_id"])
    op.create_index("audit_record_by_grant", "audit_record", ["grant_id"])
    op.create_table(
        "audit_node",
        sa.Column("level", sa.SmallInteger(), primary_key=True, autoincrement=False),
        sa.Column("idx", _seq(), primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "audit_checkpoint",
        sa.Column("size", _seq(), primary_key=True, autoincrement=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
    )
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("size", _seq(), nullable=False),
        sa.Column("root", sa.LargeBinary(), nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "size": 0, "root": EMPTY_ROOT}])


def downgrade() -> None:
    op.drop_table("audit_head")
    op.drop_table("audit_checkpoint")
    op.drop_table("audit_node")
    for name in (
        "audit_record_by_grant",
        "audit_record_by_request",
        "audit_record_by_matter",
        "audit_record_by_holder",
        "audit_record_by_resource",
        "audit_record_by_actor",
        "audit_record_by_time",
    ):
        op.drop_index(name, table_name="audit_record")
    op.drop_table("audit_record")
