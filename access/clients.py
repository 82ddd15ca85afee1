"""Clients and bearer tokens: created by the CLI, shown once, stored hashed.

A token is `irs_<client id>_<secret>`; the id finds the row, the secret's SHA-256 is compared
in constant time. Tokens are random (256 bits), so a fast hash is the right one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import bindparam
from sqlalchemy import select as sql_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from access.tables import Client, ClientPublic
from catalog.codes import CodeError, validate_uscc
from catalog.principal import Principal, Role

_TOKEN = re.compile(r"^irs_([A-Za-z0-9-]{1,40})_([A-Za-z0-9_-]{8,128})$")


CLIENT_BY_ID: Final = sql_select(Client.__table__).where(  # type: ignore[attr-defined]
    Client.__table__.c.id == bindparam("client_id")  # type: ignore[attr-defined]
)


class ClientError(ValueError):
    """Bad input for a client (unknown role, missing or invalid department)."""


@dataclass(frozen=True)
class IssuedToken:
    """A newly created client and its token, which is shown this once."""

    client: ClientPublic
    token: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


AUTH_CACHE_SECONDS: Final = 2.0
AUTH_CACHE_ENTRIES: Final = 4096


class ClientRegistry:
    """Creates clients and turns bearer tokens into principals.

    A token found valid is remembered for `cache_seconds` (2 s), so a busy integrator's
    requests skip the lookup: a revocation takes effect at once in the process that revokes
    and within `cache_seconds` in the others (other workers, other replicas). Only valid
    tokens are remembered, under their SHA-256, never the token itself."""

    def __init__(
        self,
        *,
        engine: Engine,
        cache_seconds: float = AUTH_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._valid: dict[str, tuple[float, Principal]] = {}

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
            issued = IssuedToken(ClientPublic.model_validate(row), token)
        self._valid.clear()  # a re-created client's old token must stop working here at once
        return issued

    def authenticate(self, token: str) -> Principal | None:
        """The principal of a valid, unrevoked token; None otherwise."""
        key = hashlib.sha256(token.encode()).hexdigest()
        now = self._clock()
        remembered = self._valid.get(key)
        if remembered is not None and remembered[0] > now:
            return remembered[1]
        principal = self._look_up(token)
        if principal is not None and self._cache_seconds > 0:
            if len(self._valid) >= AUTH_CACHE_ENTRIES:
                self._valid.clear()
            self._valid[key] = (now + self._cache_seconds, principal)
        return principal

    def _look_up(self, token: str) -> Principal | None:
        match = _TOKEN.match(token)
        if match is None:
            return None
        client_id, secret = match.groups()
        # a Core statement, not an ORM session: this runs before every request
        with self._engine.connect() as connection:
            row = connection.execute(CLIENT_BY_ID, {"client_id": client_id}).first()
        if row is None or row.revoked_at is not None:
            return None
        if not hmac.compare_digest(row.token_sha256, _digest(secret)):
            return None
        return Principal(
            client_id=row.id, name=row.name, role=Role(row.role), department=row.department
        )

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
        self._valid.clear()
        return True
