"""Clients and bearer tokens: created by the CLI, shown once, stored hashed.

A token is `irs_<client id>_<secret>`; the id finds the row, the secret's SHA-256 is compared
in constant time. Tokens are random (256 bits), so a fast hash is the right one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import bindparam
from sqlalchemy import select as sql_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from access.driver_sql import DriverStatements
from access.tables import Client, ClientPublic
from catalog.codes import CodeError, validate_uscc
from catalog.principal import Principal, Role

_TOKEN = re.compile(r"^irs_([A-Za-z0-9-]{1,40})_([A-Za-z0-9_-]{8,128})$")


_CLIENTS: Final = Client.__table__  # type: ignore[attr-defined]
# What a token check needs (read on every request): no timestamps to parse, only whether revoked.
CLIENT_BY_ID: Final = sql_select(
    _CLIENTS.c.id,
    _CLIENTS.c.name,
    _CLIENTS.c.role,
    _CLIENTS.c.department,
    _CLIENTS.c.token_sha256,
    _CLIENTS.c.revoked_at.is_not(None).label("revoked"),
).where(_CLIENTS.c.id == bindparam("client_id"))


class ClientError(ValueError):
    """Bad input for a client (unknown role, missing or invalid department)."""


@dataclass(frozen=True)
class IssuedToken:
    """A newly created client and its token, which is shown this once."""

    client: ClientPublic
    token: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ClientRegistry:
    """Creates clients and turns bearer tokens into principals.

    Every request's token is looked up (one indexed read on the driver's cursor): a revoked
    token is refused at once everywhere, and a records outage refuses every request (fail
    closed) instead of trusting what was checked a moment ago."""

    def __init__(self, *, engine: Engine) -> None:
        self._engine = engine
        self._statements = DriverStatements(engine)

    def create(
        self,
        *,
        name: str,
        role: Role,
        department: str | None = None,
        client_id: str | None = None,
        secret: str | None = None,
    ) -> IssuedToken:
        """Create a client; `client_id`/`secret` are fixed only for the demo's known tokens."""
        if role is Role.DEPARTMENT and not department:
            raise ClientError(
                "a department client needs --department CODE / 部门客户端必须指定部门"
            )
        if department:
            try:
                department = validate_uscc(department)
            except CodeError as err:
                raise ClientError(f"{err.message_en} / {err.message}") from err
        client_id = client_id or secrets.token_hex(6)
        secret = secret or secrets.token_urlsafe(32)
        token = f"irs_{client_id}_{secret}"
        if not _TOKEN.match(token):
            raise ClientError("client id or secret has characters a token cannot carry")
        row = Client(
            id=client_id,
            name=name,
            role=role.value,
            department=department,
            token_sha256=_digest(secret),
            created_at=datetime.now(UTC),
        )
        with Session(self._engine) as session:
            existing = session.get(Client, client_id)
            if existing is not None:
                session.delete(existing)
                session.flush()
            session.add(row)
            session.commit()
            session.refresh(row)
            return IssuedToken(ClientPublic.model_validate(row), token)

    def authenticate_header(self, authorization: str) -> Principal | None:
        """The principal of an `Authorization: Bearer <token>` header value; None for any
        other scheme or an invalid token (raises like `authenticate`)."""
        scheme, _, token = authorization.partition(" ")
        return self.authenticate(token.strip()) if scheme.lower() == "bearer" else None

    def authenticate(self, token: str) -> Principal | None:
        """The principal of a valid, unrevoked token; None otherwise. Raises SQLAlchemyError
        when the records database cannot say (callers refuse the request then)."""
        match = _TOKEN.match(token)
        if match is None:
            return None
        client_id, secret = match.groups()
        with self._statements.cursor() as cursor:
            rows = self._statements[CLIENT_BY_ID].rows(cursor, {"client_id": client_id})
        row = rows[0] if rows else None
        if row is None or row.revoked:
            return None
        if not hmac.compare_digest(row.token_sha256, _digest(secret)):
            return None
        return Principal(
            client_id=row.id, name=row.name, role=Role(row.role), department=row.department
        )

    def close(self) -> None:
        """Close the connections kept for token checks."""
        self._statements.close()

    def all(self) -> list[ClientPublic]:
        """Every client, for admins."""
        with Session(self._engine) as session:
            rows = session.exec(select(Client).order_by(col(Client.created_at))).all()
            return [ClientPublic.model_validate(r) for r in rows]

    def revoke(self, client_id: str) -> bool:
        """Revoke a client's token; True if it existed."""
        with Session(self._engine) as session:
            row = session.get(Client, client_id)
            if row is None:
                return False
            row.revoked_at = datetime.now(UTC)
            session.add(row)
            session.commit()
            return True
