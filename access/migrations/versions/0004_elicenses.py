"""E-licenses, consents and their one-time codes, status lists, trusted issuers.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

STATUS_LISTS = ("elicenses", "grants")  # access.elicenses.status.StatusListKind


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "elicenses",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("type_code", sa.String(21), nullable=False, index=True),
        sa.Column("issuer_code", sa.String(18), nullable=False),
        sa.Column("serial", sa.String(30), nullable=False),
        sa.Column("version", sa.String(6), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("holder_kind", sa.String(10), nullable=False),
        sa.Column("holder_index", sa.String(64), nullable=False),
        sa.Column("holder_enc", sa.Text(), nullable=False),
        sa.Column("surface_enc", sa.Text(), nullable=False),
        sa.Column("data_kid", sa.String(64), nullable=False, index=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("valid_from", _utc(), nullable=False),
        sa.Column("valid_until", _utc(), nullable=True),
        sa.Column("status_index", sa.Integer(), nullable=False, unique=True),
        sa.Column("issued_by", sa.String(200), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("revoked_at", _utc(), nullable=True),
        sa.Column("revoked_by", sa.String(200), nullable=True),
        sa.Column("revoke_reason", sa.String(1000), nullable=False),
    )
    op.create_index("elicenses_by_holder", "elicenses", ["holder_index", "type_code"])
    op.create_table(
        "consents",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("holder_index", sa.String(64), nullable=False),
        sa.Column("type_code", sa.String(21), nullable=False),
        sa.Column("caller_client_id", sa.String(40), nullable=False, index=True),
        sa.Column("purpose", sa.String(500), nullable=False),
        sa.Column("valid_until", _utc(), nullable=False),
        sa.Column("given_via", sa.String(40), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("withdrawn_at", _utc(), nullable=True),
    )
    op.create_index("consents_by_holder", "consents", ["holder_index", "type_code"])
    op.create_table(
        "consent_codes",
        sa.Column("code_sha256", sa.String(64), primary_key=True),
        sa.Column(
            "consent_id", sa.String(40), sa.ForeignKey("consents.id"), nullable=False, index=True
        ),
        sa.Column("expires_at", _utc(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("used_at", _utc(), nullable=True),
    )
    counters = op.create_table(
        "status_counters",
        sa.Column("list_id", sa.String(40), primary_key=True),
        sa.Column("next_index", sa.Integer(), nullable=False),
    )
    op.bulk_insert(counters, [{"list_id": name, "next_index": 0} for name in STATUS_LISTS])
    op.create_table(
        "trusted_issuers",
        sa.Column("issuer", sa.String(300), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("jwks", sa.JSON(), nullable=False),
        sa.Column("added_by", sa.String(200), nullable=False),
        sa.Column("added_at", _utc(), nullable=False),
    )
    with op.batch_alter_table("grants") as batch:
        batch.add_column(sa.Column("status_index", sa.Integer(), nullable=True))
        batch.create_unique_constraint("grants_status_index", ["status_index"])


def downgrade() -> None:
    with op.batch_alter_table("grants") as batch:
        batch.drop_constraint("grants_status_index", type_="unique")
        batch.drop_column("status_index")
    op.drop_table("trusted_issuers")
    op.drop_table("status_counters")
    op.drop_table("consent_codes")
    op.drop_index("consents_by_holder", "consents")
    op.drop_table("consents")
    op.drop_index("elicenses_by_holder", "elicenses")
    op.drop_table("elicenses")
