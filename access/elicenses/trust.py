"""Whose signatures the hub accepts (跨域互认), and verifying a saved response.

The hub always trusts its own key ring (active and retired signing keys, so responses signed
before a rotation still verify). An administrator adds another region's issuer with its JWKS;
credentials that issuer signed then verify here, and removing it withdraws the trust.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from access.crypto.jws import JwsError, TrustStore
from access.crypto.keys import KeyRing
from access.crypto.vc import VerifiedCredential, verify_credential
from access.elicenses.tables import TrustedIssuerRow
from catalog.principal import Principal
from catalog.problems import Conflict, FieldIssue, Forbidden, NotFound, ValidationFailed


@dataclass(frozen=True)
class Verification:
    """The outcome of checking a credential: valid with its content, or why not."""

    valid: bool
    issuer: str | None = None
    kid: str | None = None
    credential: dict[str, Any] | None = None
    code: str | None = None
    message: str | None = None
    message_en: str | None = None


class Trust:
    """Our own keys plus the trusted issuers kept in the records database."""

    def __init__(
        self,
        *,
        engine: Engine,
        keys: KeyRing,
        issuer: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._keys = keys
        self._issuer = issuer
        self._clock = clock

    def store(self) -> TrustStore:
        """A trust store as of now (our ring re-read, so a replica's rotation is seen)."""
        self._keys.refresh()
        store = TrustStore.for_keyring(self._issuer, self._keys)
        with Session(self._engine) as session:
            for row in session.exec(select(TrustedIssuerRow)):
                store.add_issuer(row.issuer, row.jwks)
        return store

    def issuers(self) -> list[TrustedIssuerRow]:
        with Session(self._engine) as session:
            return list(session.exec(select(TrustedIssuerRow).order_by(TrustedIssuerRow.issuer)))

    def add(
        self, *, principal: Principal, issuer: str, name: str, jwks: Mapping[str, Any]
    ) -> TrustedIssuerRow:
        """Trust another region's issuer (admins only); adding it again replaces its keys."""
        if not principal.is_admin:
            raise Forbidden("只有管理员可以添加互认签发方", "only admins add trusted issuers")
        if issuer == self._issuer:
            raise Conflict("这是本平台自己的签发方", "that is this hub's own issuer")
        if not issuer.startswith(("https://", "http://", "did:")) or len(issuer) > 300:
            raise ValidationFailed(
                [
                    FieldIssue(
                        "issuer",
                        "ISSUER_URL",
                        "签发方须为 https:// 地址或 DID",
                        "the issuer must be an https:// URL or a DID",
                    )
                ]
            )
        try:
            TrustStore().add_issuer(issuer, jwks)
        except JwsError as exc:
            raise ValidationFailed(
                [FieldIssue("jwks", exc.code, exc.message, exc.message_en)]
            ) from None
        with Session(self._engine) as session:
            row = session.get(TrustedIssuerRow, issuer) or TrustedIssuerRow(
                issuer=issuer, name=name, jwks={}, added_by="", added_at=self._clock()
            )
            row.name, row.jwks, row.added_by, row.added_at = (
                name,
                dict(jwks),
                principal.name,
                self._clock(),
            )
            session.add(row)
            session.commit()
            session.refresh(row)
            return row

    def remove(self, *, principal: Principal, issuer: str) -> None:
        if not principal.is_admin:
            raise Forbidden("只有管理员可以移除互认签发方", "only admins remove trusted issuers")
        with Session(self._engine) as session:
            row = session.get(TrustedIssuerRow, issuer)
            if row is None:
                raise NotFound("互认签发方", issuer, path="issuer")
            session.delete(row)
            session.commit()

    def verify(self, token: str) -> Verification:
        """Verify a credential signed by us or by a trusted issuer (signature, issuer, validity)."""
        return verify_token(token.strip(), self.store(), now=self._clock())


def verify_token(token: str, store: TrustStore, *, now: datetime | None = None) -> Verification:
    """Verify `token` against `store`; failures are a `Verification` with the typed reason."""
    try:
        verified: VerifiedCredential = verify_credential(token, store, now=now)
    except JwsError as exc:
        return Verification(False, code=exc.code, message=exc.message, message_en=exc.message_en)
    return Verification(True, verified.issuer, verified.kid, verified.credential)
