"""Records tables of e-licenses, consents, one-time codes, status lists and trusted issuers.

Personal values (holder name and code, 照面 fields) are stored only as AES-GCM ciphertext
strings (`access.crypto.fields`); the holder is found by a keyed blind index.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Text
from sqlmodel import Field, SQLModel


def _utc() -> DateTime:
    return DateTime(timezone=True)


class ELicenseRow(SQLModel, table=True):
    """An issued e-license; `id` is its 证照标识 (check character included)."""

    __tablename__ = "elicenses"
    __table_args__ = (Index("elicenses_by_holder", "holder_index", "type_code"),)

    id: str = Field(primary_key=True, max_length=100)
    type_code: str = Field(index=True, max_length=21)
    issuer_code: str = Field(max_length=18)
    serial: str = Field(max_length=30)
    version: str = Field(max_length=6)
    number: str = Field(max_length=64)
    holder_kind: str = Field(max_length=10)
    holder_index: str = Field(max_length=64)
    holder_enc: str = Field(sa_type=Text)
    surface_enc: str = Field(sa_type=Text)
    data_kid: str = Field(index=True, max_length=64)
    issued_on: date
    valid_from: datetime = Field(sa_type=_utc())
    valid_until: datetime | None = Field(default=None, sa_type=_utc())
    status_index: int = Field(unique=True)
    issued_by: str = Field(max_length=200)
    created_at: datetime = Field(sa_type=_utc())
    revoked_at: datetime | None = Field(default=None, sa_type=_utc())
    revoked_by: str | None = Field(default=None, max_length=200)
    revoke_reason: str = Field(default="", max_length=1000)


class ConsentRow(SQLModel, table=True):
    """持证人授权: a holder lets one caller use one e-license type for a purpose until a time."""

    __tablename__ = "consents"
    __table_args__ = (Index("consents_by_holder", "holder_index", "type_code"),)

    id: str = Field(primary_key=True, max_length=40)
    holder_index: str = Field(max_length=64)
    type_code: str = Field(max_length=21)
    caller_client_id: str = Field(index=True, max_length=40)
    purpose: str = Field(max_length=500)
    valid_until: datetime = Field(sa_type=_utc())
    given_via: str = Field(max_length=40)
    created_at: datetime = Field(sa_type=_utc())
    withdrawn_at: datetime | None = Field(default=None, sa_type=_utc())


class ConsentCodeRow(SQLModel, table=True):
    """A short-lived one-time code for a consent (亮证码); only its SHA-256 is stored."""

    __tablename__ = "consent_codes"

    code_sha256: str = Field(primary_key=True, max_length=64)
    consent_id: str = Field(foreign_key="consents.id", index=True, max_length=40)
    expires_at: datetime = Field(sa_type=_utc())
    created_at: datetime = Field(sa_type=_utc())
    used_at: datetime | None = Field(default=None, sa_type=_utc())


class StatusCounterRow(SQLModel, table=True):
    """The next free bit of each status list (allocated under the row's write lock)."""

    __tablename__ = "status_counters"

    list_id: str = Field(primary_key=True, max_length=40)
    next_index: int = 0


class TrustedIssuerRow(SQLModel, table=True):
    """Another region's e-license issuer and its published keys (跨域互认)."""

    __tablename__ = "trusted_issuers"

    issuer: str = Field(primary_key=True, max_length=300)
    name: str = Field(max_length=200)
    jwks: dict[str, Any] = Field(sa_type=JSON)
    added_by: str = Field(max_length=200)
    added_at: datetime = Field(sa_type=_utc())
