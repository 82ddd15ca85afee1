"""SQLModel tables of the records database."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class ClientBase(SQLModel):
    """What describes a client: its name, role and department."""

    name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    department: str | None = Field(default=None, max_length=18)


class Client(ClientBase, table=True):
    """A stored client; the token itself is never stored, only its SHA-256 digest."""

    __tablename__ = "clients"

    id: str = Field(primary_key=True, max_length=40)
    token_sha256: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class ClientPublic(ClientBase):
    """A client as shown to admins (no secret material)."""

    id: str
    created_at: datetime
    revoked_at: datetime | None


def _utc() -> DateTime:
    return DateTime(timezone=True)


class AccessRequestRow(SQLModel, table=True):
    """一揽子申请: one application for several resources, with purpose and legal basis."""

    __tablename__ = "access_requests"

    id: str = Field(primary_key=True, max_length=40)
    requester_client_id: str = Field(index=True, max_length=40)
    requester_name: str = Field(max_length=200)
    purpose: str = Field(max_length=500)
    legal_basis: str = Field(max_length=1000)
    matters: list[str] = Field(sa_type=JSON)
    valid_from: datetime = Field(sa_type=_utc())
    valid_until: datetime = Field(sa_type=_utc())
    created_at: datetime = Field(sa_type=_utc())


class RequestItemRow(SQLModel, table=True):
    """One resource of a request, routed to the department that owns it."""

    __tablename__ = "request_items"

    id: str = Field(primary_key=True, max_length=40)
    request_id: str = Field(foreign_key="access_requests.id", index=True, max_length=40)
    resource_kind: str = Field(max_length=20)
    resource_code: str = Field(max_length=64)
    owner_department: str = Field(index=True, max_length=18)
    fields: list[str] = Field(sa_type=JSON)
    state: str = Field(index=True, max_length=10)
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = Field(default=None, sa_type=_utc())
    reason: str = Field(default="", max_length=1000)
    grant_id: str | None = Field(default=None, max_length=40)


class GrantRow(SQLModel, table=True):
    """授权: what an approved item allows, until when, how often; revocable."""

    __tablename__ = "grants"
    __table_args__ = (
        Index("grants_by_caller_resource", "caller_client_id", "resource_code"),
        UniqueConstraint("status_index", name="grants_status_index"),
    )

    id: str = Field(primary_key=True, max_length=40)
    item_id: str = Field(foreign_key="request_items.id", max_length=40)
    request_id: str = Field(foreign_key="access_requests.id", max_length=40)
    caller_client_id: str = Field(max_length=40)
    resource_kind: str = Field(max_length=20)
    resource_code: str = Field(max_length=64)
    owner_department: str = Field(index=True, max_length=18)
    fields: list[str] = Field(sa_type=JSON)
    purpose: str = Field(max_length=500)
    matters: list[str] = Field(sa_type=JSON)
    valid_from: datetime = Field(sa_type=_utc())
    valid_until: datetime = Field(sa_type=_utc())
    quota_per_day: int
    max_grade: str = Field(max_length=10)
    unmasked_fields: list[str] = Field(sa_type=JSON)
    created_at: datetime = Field(sa_type=_utc())
    revoked_at: datetime | None = Field(default=None, sa_type=_utc())
    revoked_by: str | None = Field(default=None, max_length=200)
    revoke_reason: str = Field(default="", max_length=1000)
    status_index: int | None = None  # its bit in the grants status list (revocation)


class GrantUsageRow(SQLModel, table=True):
    """Calls counted per grant and (Asia/Shanghai) day, for quotas and metering."""

    __tablename__ = "grant_usage"

    grant_id: str = Field(foreign_key="grants.id", primary_key=True, max_length=40)
    day: date = Field(primary_key=True)
    calls: int = 0
