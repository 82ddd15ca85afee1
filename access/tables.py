"""SQLModel tables of the records database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime
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
