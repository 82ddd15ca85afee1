"""持证人授权 (holder consent) and its one-time codes (亮证码).

A holder, signed in to the city's app (a client with the `holder_app` role, which did the
real-name check), lets one caller use one e-license type for one purpose until a time. When
the holder is at the counter, the app asks for a short-lived one-time code and shows it; the
integrator presents the code with its licensed call. A code works once, before it expires,
while its consent stands. Only SHA-256 digests of codes are stored.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from access.audit.port import AuditAppender, check_draft, content_digest, short
from access.audit.records import AuditDraft, AuditKind
from access.elicenses.issuance import ELicenses
from access.elicenses.tables import ConsentCodeRow, ConsentRow
from access.tables import Client
from catalog.principal import Principal, Role
from catalog.problems import Conflict, FieldIssue, Forbidden, NotFound, ValidationFailed

CODE_TTL: Final = timedelta(minutes=5)
MAX_CODE_TTL: Final = timedelta(minutes=30)
MAX_CONSENT: Final = timedelta(days=366)


def code_digest(code: str) -> str:
    """What is stored of a one-time code (and looked up when it is presented)."""
    return hashlib.sha256(code.strip().encode()).hexdigest()


@dataclass(frozen=True)
class IssuedCode:
    """A one-time code, shown to the holder once."""

    code: str
    consent_id: str
    expires_at: datetime

    def __repr__(self) -> str:
        return f"IssuedCode(consent_id={self.consent_id!r}, expires_at={self.expires_at!r})"


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Consents:
    """Giving, showing and withdrawing consent; resolving a presented code."""

    def __init__(
        self,
        *,
        engine: Engine,
        elicenses: ELicenses,
        audit: AuditAppender,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._elicenses = elicenses
        self._audit = audit
        self._clock = clock

    @staticmethod
    def _require_app(principal: Principal) -> None:
        if principal.role is not Role.HOLDER_APP:
            raise Forbidden(
                "只有持证人本人（通过实名认证的持证人应用）可以授权",
                "only the holder, through the real-name holder app, gives or withdraws consent",
            )

    def give(
        self,
        *,
        principal: Principal,
        holder_code: str,
        certificate_type: str,
        caller_client_id: str,
        purpose: str,
        valid_until: datetime,
        consent_id: str | None = None,
    ) -> ConsentRow:
        """Record the holder's consent for one caller, type and purpose (`consent_id` is fixed
        only by the demo, so the README can name its consent)."""
        self._require_app(principal)
        cert = self._elicenses.certificate_type(certificate_type)
        index = self._elicenses.holder_index_of(cert.holder_kind, holder_code)
        now = self._clock()
        until = _utc(valid_until)
        issues: list[FieldIssue] = []
        if not purpose.strip() or len(purpose) > 500:
            issues.append(
                FieldIssue(
                    "purpose",
                    "REQUIRED",
                    "请填写用途（不超过 500 字）",
                    "give the purpose (≤ 500 characters)",
                )
            )
        if not now < until <= now + MAX_CONSENT:
            issues.append(
                FieldIssue(
                    "validUntil",
                    "PERIOD",
                    "授权截止时间须在将来且不超过一年",
                    "validUntil must be in the future and within a year",
                )
            )
        with Session(self._engine) as session:
            caller = session.get(Client, caller_client_id)
            if (
                caller is None
                or caller.revoked_at is not None
                or caller.role != Role.INTEGRATOR.value
            ):
                issues.append(
                    FieldIssue(
                        "callerClientId",
                        "UNKNOWN_CALLER",
                        "被授权方不是有效的接入方（integrator）客户端",
                        "the caller is not an active integrator client",
                    )
                )
            if issues:
                raise ValidationFailed(issues)
            row = ConsentRow(
                id=consent_id or f"CONSENT-{uuid.uuid4().hex[:16]}",
                holder_index=index,
                type_code=cert.code,
                caller_client_id=caller_client_id,
                purpose=purpose,
                valid_until=until,
                given_via=principal.client_id,
                created_at=now,
            )
            draft = self._record(AuditKind.CONSENT_GIVEN, principal, row, after=row)
            check_draft(draft, "purpose")
            session.add(row)
            self._audit.append(session, [draft])
            session.commit()
            session.refresh(row)
            return row

    def _record(
        self, kind: AuditKind, principal: Principal, consent: ConsentRow, *, after: ConsentRow
    ) -> AuditDraft:
        """A consent event, findable by the holder's blind index (never the holder's code)."""
        return AuditDraft(
            time=self._clock(),
            kind=kind,
            actor=principal.client_id,
            resource=consent.type_code,
            holder_blind_index=consent.holder_index,
            purpose=short(consent.purpose),
            consent_id=consent.id,
            after_digest=content_digest(after),
        )

    def one_time_code(
        self, *, principal: Principal, consent_id: str, ttl: timedelta = CODE_TTL
    ) -> IssuedCode:
        """A fresh one-time code for a standing consent (亮证)."""
        self._require_app(principal)
        if not timedelta(seconds=10) <= ttl <= MAX_CODE_TTL:
            raise ValidationFailed(
                [
                    FieldIssue(
                        "ttlSeconds",
                        "OUT_OF_RANGE",
                        "有效时长须在 10 秒到 30 分钟之间",
                        "ttl must be 10 s to 30 min",
                    )
                ]
            )
        now = self._clock()
        with Session(self._engine) as session:
            consent = session.get(ConsentRow, consent_id)
            if consent is None or consent.given_via != principal.client_id:
                raise NotFound("授权", consent_id, path="consentId")
            if consent.withdrawn_at is not None:
                raise Conflict("授权已撤回", "the consent was withdrawn")
            if _utc(consent.valid_until) <= now:
                raise Conflict("授权已过期", "the consent has expired")
            code = secrets.token_urlsafe(18)
            expires = min(now + ttl, _utc(consent.valid_until))
            session.add(
                ConsentCodeRow(
                    code_sha256=code_digest(code),
                    consent_id=consent.id,
                    expires_at=expires,
                    created_at=now,
                )
            )
            session.commit()
        return IssuedCode(code=code, consent_id=consent_id, expires_at=expires)

    def withdraw(self, *, principal: Principal, consent_id: str) -> ConsentRow:
        """Withdraw a consent: its unused codes stop working at once."""
        self._require_app(principal)
        with Session(self._engine) as session:
            consent = session.get(ConsentRow, consent_id)
            if consent is None or consent.given_via != principal.client_id:
                raise NotFound("授权", consent_id, path="consentId")
            if consent.withdrawn_at is not None:
                raise Conflict("授权已撤回", "the consent was already withdrawn")
            before = content_digest(consent)
            consent.withdrawn_at = self._clock()
            session.add(consent)
            draft = self._record(AuditKind.CONSENT_WITHDRAWN, principal, consent, after=consent)
            self._audit.append(session, [dataclasses.replace(draft, before_digest=before)])
            session.commit()
            session.refresh(consent)
            return consent

    def of_holder(
        self, *, principal: Principal, holder_code: str, certificate_type: str
    ) -> list[ConsentRow]:
        """The holder's consents for one type, newest first."""
        self._require_app(principal)
        cert = self._elicenses.certificate_type(certificate_type)
        index = self._elicenses.holder_index_of(cert.holder_kind, holder_code)
        with Session(self._engine) as session:
            return list(
                session.exec(
                    select(ConsentRow)
                    .where(ConsentRow.holder_index == index, ConsentRow.type_code == cert.code)
                    .order_by(col(ConsentRow.created_at).desc())
                )
            )
