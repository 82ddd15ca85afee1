"""Access requests, their items, grants and per-day usage.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "access_requests",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("requester_client_id", sa.String(40), nullable=False, index=True),
        sa.Column("requester_name", sa.String(200), nullable=False),
        sa.Column("purpose", sa.String(500), nullable=False),
        sa.Column("legal_basis", sa.String(1000), nullable=False),
        sa.Column("matters", sa.JSON(), nullable=False),
        sa.Column("valid_from", _utc(), nullable=False),
        sa.Column("valid_until", _utc(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
    )
    op.create_table(
        "request_items",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "request_id",
            sa.String(40),
            sa.ForeignKey("access_requests.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("resource_kind", sa.String(20), nullable=False),
        sa.Column("resource_code", sa.String(64), nullable=False),
        sa.Column("owner_department", sa.String(18), nullable=False, index=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False, index=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", _utc(), nullable=True),
        sa.Column("reason", sa.String(1000), nullable=False),
        sa.Column("grant_id", sa.String(40), nullable=True),
    )
    op.create_table(
        "grants",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("item_id", sa.String(40), sa.ForeignKey("request_items.id"), nullable=False),
        sa.Column("request_id", sa.String(40), sa.ForeignKey("access_requests.id"), nullable=False),
        sa.Column("caller_client_id", sa.String(40), nullable=False),
        sa.Column("resource_kind", sa.String(20), nullable=False),
        sa.Column("resource_code", sa.String(64), nullable=False),
        sa.Column("owner_department", sa.String(18), nullable=False, index=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.String(500), nullable=False),
        sa.Column("matters", sa.JSON(), nullable=False),
        sa.Column("valid_from", _utc(), nullable=False),
        sa.Column("valid_until", _utc(), nullable=False),
        sa.Column("quota_per_day", sa.Integer(), nullable=False),
        sa.Column("max_grade", sa.String(10), nullable=False),
        sa.Column("unmasked_fields", sa.JSON(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("revoked_at", _utc(), nullable=True),
        sa.Column("revoked_by", sa.String(200), nullable=True),
        sa.Column("revoke_reason", sa.String(1000), nullable=False),
    )
    op.create_index("grants_by_caller_resource", "grants", ["caller_client_id", "resource_code"])
    op.create_table(
        "grant_usage",
        sa.Column("grant_id", sa.String(40), sa.ForeignKey("grants.id"), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("calls", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("grant_usage")
    op.drop_index("grants_by_caller_resource", table_name="grants")
    op.drop_table("grants")
    op.drop_table("request_items")
    op.drop_table("access_requests")
