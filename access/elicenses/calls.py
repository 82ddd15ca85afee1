"""The licensed call (DESIGN.md, "The licensed call, end to end").

1. the caller is authenticated (the API gives us its principal);
2. facts: the caller's grants for the e-license type, the holder's consent (from the one-time
   code), the type's sharing type, grade and sensitive fields, the matter and purpose;
3. the policy decides: allow or deny with every reason, and which fields to return or mask;
4. the audit record is made durable before anything leaves — in the same transaction that
   uses up the one-time code and counts the call against the grant's daily quota;
5. the response carries only the allowed fields, as a W3C VC 2.0 credential signed (JWS) by
   the platform key, pointing at the status bits of the license and of the grant.

Denials are answers too: every denial is audited and returns every reason. A fault in the
policy engine or the audit store refuses the call (fail closed) and releases nothing.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any, Final

from sqlalchemy import Date, Engine, bindparam, text
from sqlalchemy.exc import SQLAlchemyError

from access.audit.errors import AuditError
from access.audit.log import AuditLog
from access.audit.records import AuditDecision, AuditDraft, AuditKind, loggable_text
from access.crypto.keys import KeyRing
from access.crypto.vc import build_credential, sign_credential
from access.driver_sql import DriverStatements
from access.elicenses.call_facts import read_call_facts
from access.elicenses.committer import CallWrite, Committed, GroupCommitter
from access.elicenses.consent import code_digest as code_digest_of
from access.elicenses.issuance import ELicenses, check_holder_code
from access.elicenses.status import StatusListKind, StatusLists
from access.elicenses.tables import ELicenseRow
from access.policy import (
    CallDecision,
    Caller,
    CallFacts,
    CallResource,
    ConsentFacts,
    PolicyEngine,
    PolicyUnavailable,
    Reason,
    ResourceKind,
)
from access.sharing import CITY_TIME, grant_facts, resource_facts
from access.tables import GrantRow
from catalog.model import CertificateType
from catalog.principal import Principal
from catalog.problems import FieldIssue, Unavailable, ValidationFailed

log = logging.getLogger("irs.calls")

CREDENTIAL_TYPE: Final = "ELicenseCredential"
MAX_TYPES_HELD: Final = 1024  # certificate types whose policy view a process keeps
IRS_CONTEXT: Final = "https://irs.xm.gov.cn/ns/elicense/v1"

USAGE_SINCE: Final = text(
    "SELECT grant_id, day, calls FROM grant_usage "
    "WHERE day >= :since AND grant_id IN :grant_ids ORDER BY day, grant_id"
).bindparams(bindparam("since", type_=Date), bindparam("grant_ids", expanding=True))

# Reasons the hub finds itself (the policy's own reasons come with their messages).
LOCAL_REASONS: Final = {
    "CONSENT_CODE_UNKNOWN": (
        "授权码无效：未签发或输入有误，请让持证人在应用中重新亮证",
        "the consent code is not valid (never issued or mistyped); ask the holder for a new one",
    ),
    "CONSENT_NOT_FOR_HOLDER": (
        "授权码不属于该持证人",
        "the consent code was not given by this holder",
    ),
    "CONSENT_CODE_USED": (
        "授权码已被使用（一次性），请让持证人重新亮证",
        "the consent code was already used (one-time); ask the holder for a new one",
    ),
    "QUOTA_EXCEEDED": (
        "已达到授权的每日调用上限",
        "the grant's daily quota is used up",
    ),
    "ELICENSE_NOT_FOUND": (
        "该持证人没有此类型的电子证照",
        "the holder has no e-license of this type",
    ),
    "ELICENSE_REVOKED": (
        "该电子证照已被注销或吊销",
        "the e-license has been revoked",
    ),
    "ELICENSE_EXPIRED": (
        "该电子证照已超过有效期",
        "the e-license has expired",
    ),
    "ELICENSE_NOT_YET_VALID": (
        "该电子证照尚未生效",
        "the e-license is not yet valid",
    ),
}


# The audit record of a call being planned: the facts known so far, bound; called once with
# those of the outcome (grant, decision, reasons, fields) to make the record's draft.
DraftOf = Callable[..., AuditDraft]


def local_reason(code: str) -> Reason:
    message, message_en = LOCAL_REASONS[code]
    return Reason(code, message, message_en)


@dataclass(frozen=True, kw_only=True)
class CallRequest:
    """What an integrator asks for (`fields` empty: every field the grant allows)."""

    certificate_type: str
    holder_code: str
    purpose: str
    matter: str
    fields: tuple[str, ...] = ()
    consent_code: str | None = None

    def __repr__(self) -> str:  # the holder code and the consent code stay out of logs
        return f"CallRequest(certificate_type={self.certificate_type!r}, matter={self.matter!r})"


@dataclass(frozen=True)
class Released:
    """An allowed call: the signed credential and what it contains."""

    token: str = ""
    credential: dict[str, Any] | None = None
    license_id: str = ""
    grant_id: str = ""
    fields: tuple[str, ...] = ()
    masked: tuple[str, ...] = ()
    audit_seq: int = -1

    def __repr__(self) -> str:
        return f"Released(license_id={self.license_id!r}, audit_seq={self.audit_seq})"


@dataclass(frozen=True)
class PendingWrite:
    """A call decided and signed, waiting for its durable write; `finish` makes the answer."""

    write: CallWrite
    finish: Callable[[Committed], Released | Denied]


@dataclass(frozen=True)
class Denied:
    """A refused call: every reason, and the audit record that witnesses it."""

    reasons: tuple[Reason, ...]
    audit_seq: int  # -1 only when the audit store itself failed (the call then raises)

    @property
    def message(self) -> str:
        return "调用被拒绝：" + "；".join(r.message for r in self.reasons)

    @property
    def message_en(self) -> str:
        return "call denied: " + "; ".join(r.message_en for r in self.reasons)


def mask(value: str) -> str:
    """Mask a personal value for display (张三 → 张*, 350203199001011234 → 3502**********1234)."""
    text_value = str(value)
    n = len(text_value)
    if n <= 1:
        return "*"
    if n <= 3:
        return text_value[0] + "*" * (n - 1)
    if n < 8:
        return text_value[0] + "*" * (n - 2) + text_value[-1]
    return text_value[:4] + "*" * (n - 8) + text_value[-4:]


def credential_urn() -> str:
    """A fresh credential id, `urn:uuid:` and a version-4 UUID. Its bits come from the process's
    seeded PRNG, not the OS: the id must be unique (verifiers may track it as `jti`) but is no
    secret — the signature protects the credential — and os.urandom is a system call per call."""
    bits = (random.getrandbits(128) & ~(0xF << 76) & ~(0x3 << 62)) | (0x4 << 76) | (0x2 << 62)
    h = f"{bits:032x}"
    return f"urn:uuid:{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


class LicensedCalls:
    """The licensed-call use case; one instance per process (it owns the group committer, so
    every call of the process can share a commit)."""

    def __init__(
        self,
        *,
        engine: Engine,
        policy: PolicyEngine,
        elicenses: ELicenses,
        audit: AuditLog,
        keys: KeyRing,
        status: StatusLists,
        issuer: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._policy = policy
        self._elicenses = elicenses
        self._keys = keys
        self._status = status
        self._issuer = issuer
        self._clock = clock
        self._committer = GroupCommitter(engine=engine, audit=audit)
        self._statements = DriverStatements(engine)
        self._resources: dict[str, tuple[CertificateType, CallResource]] = {}

    # -- the call ---------------------------------------------------------------------------

    def call(self, *, principal: Principal, request: CallRequest) -> Released | Denied:
        """Make one licensed call (see the module docstring for the steps)."""
        step = self._plan(principal, request)
        if isinstance(step, PendingWrite):
            return step.finish(self._commit(step.write))
        return step

    async def call_async(self, *, principal: Principal, request: CallRequest) -> Released | Denied:
        """The same call for an event loop: the work runs here, and only the durable commit
        is waited for (on the committer's thread, shared with other calls in flight), so a
        server process does its CPU work on one thread instead of trading the GIL."""
        step = self._plan(principal, request)
        if isinstance(step, PendingWrite):
            try:
                committed = await self._committer.commit_async(step.write)
            except (SQLAlchemyError, AuditError) as exc:
                raise _audit_unavailable(exc) from exc
            return step.finish(committed)
        return step

    def _plan(self, principal: Principal, request: CallRequest) -> Released | Denied | PendingWrite:
        """Everything before the commit: the answer, or the write it waits for."""
        now = self._clock()
        draft_of = partial(  # the audit record's facts known whatever the outcome
            AuditDraft,
            time=now,
            kind=AuditKind.LICENSED_CALL,
            actor=principal.client_id,
            resource=request.certificate_type[:64],
            purpose=request.purpose,
            matter=request.matter,
        )
        if not loggable_text(request.purpose) or not loggable_text(request.matter or "-"):
            raise ValidationFailed(
                [
                    FieldIssue(
                        "purpose",
                        "PURPOSE_INVALID",
                        "用途须为简短说明，不得包含身份证号等个人信息或控制字符",
                        "purpose must be a short text without ID numbers or control characters",
                    )
                ]
            )
        cert = self._elicenses.certificate_type(request.certificate_type)
        holder_code, issue = check_holder_code(cert.holder_kind, request.holder_code, "holder")
        if issue:
            self._deny(draft_of, (Reason(issue.code, issue.message, issue.message_en),))
            raise ValidationFailed([issue])
        holder_index = self._elicenses.holder_index(cert.holder_kind, holder_code)
        code_digest = code_digest_of(request.consent_code) if request.consent_code else None
        try:
            found = read_call_facts(
                self._statements,
                caller=principal.client_id,
                type_code=cert.code,
                day=now.astimezone(CITY_TIME).date(),
                holder_index=holder_index,
                code_digest=code_digest,
            )
        except SQLAlchemyError as exc:
            raise Unavailable(
                "记录库不可用，调用已拒绝（未释放任何数据）",
                "the records database is unavailable; the call was refused, nothing released",
            ) from exc
        consent: ConsentFacts | None = None
        draft = partial(
            draft_of,
            holder_blind_index=holder_index,
            consent_id=found.consent.id if request.consent_code and found.consent else None,
        )
        if request.consent_code:
            if found.consent is None or found.code is None:
                return self._denial(draft, (local_reason("CONSENT_CODE_UNKNOWN"),))
            if found.consent.holder_index != holder_index:
                return self._denial(draft, (local_reason("CONSENT_NOT_FOR_HOLDER"),))
            consent = ConsentFacts(
                caller=found.consent.caller_client_id,
                certificate_type=found.consent.type_code,
                purpose=found.consent.purpose,
                valid_until=min(_utc(found.consent.valid_until), _utc(found.code.expires_at)),
                used=found.code.used_at is not None,
                revoked=found.consent.withdrawn_at is not None,
            )
        facts = CallFacts(
            now=now,
            caller=Caller(
                client_id=principal.client_id, role=principal.role, department=principal.department
            ),
            resource=self._resource(cert),
            purpose=request.purpose,
            matter=request.matter,
            fields=tuple(request.fields),
            grants=tuple(grant_facts(g, used) for g, used in found.grants),
            consent=consent,
        )
        decision = self._decide(facts, draft)
        if not decision.allow:
            return self._denial(draft, decision.reasons, grant_id=decision.grant_id)
        assert decision.grant_id is not None
        row = found.license
        refusal = self._license_problem(row, now)
        if refusal is not None or row is None:
            return self._denial(
                draft,
                (local_reason(refusal or "ELICENSE_NOT_FOUND"),),
                grant_id=decision.grant_id,
            )
        grant = next(g for g, _used in found.grants if g.id == decision.grant_id)
        return self._release(
            principal, request, cert, row, decision, grant, code_digest, draft, now
        )

    def _resource(self, cert: CertificateType) -> CallResource:
        """The policy's view of a certificate type, made once per type object: the ledger
        hands out the same object until the type changes."""
        held = self._resources.get(cert.code)
        if held is None or held[0] is not cert:
            if len(self._resources) >= MAX_TYPES_HELD:
                self._resources.clear()
            facts = resource_facts(ResourceKind.CERTIFICATE_TYPE, cert).for_policy()
            held = self._resources[cert.code] = (cert, facts)
        return held[1]

    def _decide(self, facts: CallFacts, draft: DraftOf) -> CallDecision:
        try:
            return self._policy.decide_call(facts=facts)
        except PolicyUnavailable as exc:
            self._deny(
                draft,
                (
                    Reason(
                        PolicyUnavailable.code,
                        PolicyUnavailable.message,
                        PolicyUnavailable.message_en,
                    ),
                ),
                quiet=True,
            )
            raise Unavailable(PolicyUnavailable.message, PolicyUnavailable.message_en) from exc

    @staticmethod
    def _license_problem(row: ELicenseRow | None, now: datetime) -> str | None:
        if row is None:
            return "ELICENSE_NOT_FOUND"
        if row.revoked_at is not None:
            return "ELICENSE_REVOKED"
        if row.valid_until is not None and _utc(row.valid_until) <= now:
            return "ELICENSE_EXPIRED"
        if _utc(row.valid_from) > now:
            return "ELICENSE_NOT_YET_VALID"
        return None

    def _release(
        self,
        principal: Principal,
        request: CallRequest,
        cert: CertificateType,
        row: ELicenseRow,
        decision: CallDecision,
        grant: GrantRow,
        code_digest: str | None,
        draft: DraftOf,
        now: datetime,
    ) -> PendingWrite:
        surface = self._elicenses.surface(row)
        allowed = set(decision.obligations.fields)
        wanted = [f.name for f in cert.surface_fields if f.name in allowed and f.name in surface]
        to_mask = set(decision.obligations.mask)
        masked = [f for f in wanted if f in to_mask]
        values = {f: mask(surface[f]) if f in to_mask else surface[f] for f in wanted}
        credential = build_credential(
            issuer=self._issuer,
            subject={
                "type": "ELicense",
                "licenseId": row.id,
                "licenseNumber": row.number,
                "certificateType": cert.code,
                "certificateTypeName": cert.name,
                "issuerCode": row.issuer_code,
                "issuedOn": row.issued_on.isoformat(),
                "surface": values,
                "maskedFields": masked,
            },
            valid_from=_utc(row.valid_from),
            valid_until=_utc(row.valid_until) if row.valid_until else None,
            types=(CREDENTIAL_TYPE,),
            credential_id=credential_urn(),
            contexts=(IRS_CONTEXT,),
        )
        if grant.status_index is None:
            raise Unavailable("授权记录缺少状态位", "the grant has no status bit")
        credential["credentialStatus"] = [
            self._status_entry(StatusListKind.ELICENSES, row.status_index, "license"),
            self._status_entry(StatusListKind.GRANTS, grant.status_index, "grant"),
        ]
        credential["termsOfUse"] = [
            {
                "type": "IrsSharingTerms",
                "grant": grant.id,
                "purpose": request.purpose,
                "matter": request.matter,
                "caller": principal.client_id,
            }
        ]
        token = sign_credential(credential, self._keys.active_signing_key, now=now)
        write = CallWrite(
            draft=draft(
                grant_id=grant.id,
                decision=AuditDecision.ALLOW,
                fields_released=tuple(wanted),
                response_digest=digest(token),
            ),
            grant_id=grant.id,
            day=now.astimezone(CITY_TIME).date(),
            quota=grant.quota_per_day,
            code_digest=code_digest,
            now=now,
        )

        def finish(committed: Committed) -> Released | Denied:
            if committed.refused is not None:
                return Denied((local_reason(committed.refused),), committed.record.seq)
            return Released(
                token=token,
                credential=credential,
                license_id=row.id,
                grant_id=grant.id,
                fields=tuple(wanted),
                masked=tuple(masked),
                audit_seq=committed.record.seq,
            )

        return PendingWrite(write, finish)

    def _commit(self, write: CallWrite) -> Committed:
        try:
            return self._committer.commit(write)
        except (SQLAlchemyError, AuditError) as exc:
            raise _audit_unavailable(exc) from exc

    @staticmethod
    def _denial(
        draft: DraftOf, reasons: Sequence[Reason], *, grant_id: str | None = None
    ) -> PendingWrite:
        """A denial, to be recorded before it is answered."""
        recorded = draft(
            decision=AuditDecision.DENY,
            reasons=tuple(r.code for r in reasons),
            grant_id=grant_id,
        )
        return PendingWrite(
            CallWrite(draft=recorded), lambda c: Denied(tuple(reasons), c.record.seq)
        )

    def _deny(
        self,
        draft: DraftOf,
        reasons: Sequence[Reason],
        *,
        grant_id: str | None = None,
        quiet: bool = False,
    ) -> Denied:
        """Audit a denial now (outside the plan: a bad holder code, a policy outage) and
        return it; an audit fault refuses loudly unless `quiet` (the caller raises anyway)."""
        pending = self._denial(draft, reasons, grant_id=grant_id)
        try:
            committed = self._committer.commit(pending.write)
        except (SQLAlchemyError, AuditError) as exc:
            if quiet:
                log.error("audit store failed on a denial", extra={"error": type(exc).__name__})
                return Denied(tuple(reasons), -1)
            raise _audit_unavailable(exc) from exc
        return Denied(tuple(reasons), committed.record.seq)

    def close(self) -> None:
        """Finish the commits under way, release the committer's thread and lock file and the
        connections kept for reads."""
        self._committer.close()
        self._statements.close()

    @property
    def committer(self) -> GroupCommitter:
        """The group committer (its counters show how many calls each commit carried)."""
        return self._committer

    # -- helpers ------------------------------------------------------------------------------

    def _status_entry(self, kind: StatusListKind, index: int, name: str) -> dict[str, Any]:
        ref = self._status.ref(kind, index)
        return {
            "id": f"{ref.list_url}#{ref.index}-{name}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(ref.index),
            "statusListCredential": ref.list_url,
        }

    def usage(self, *, grant_ids: Sequence[str], since: date) -> list[tuple[str, date, int]]:
        """Calls per grant and (city) day since `since`: metering for owners and callers."""
        if not grant_ids:
            return []
        with self._engine.connect() as connection:
            rows = connection.execute(USAGE_SINCE, {"since": since, "grant_ids": list(grant_ids)})
            return [
                (g, d if isinstance(d, date) else date.fromisoformat(str(d)), int(c))
                for g, d, c in rows
            ]


def _audit_unavailable(exc: Exception) -> Unavailable:
    log.error("audit store failed; call refused", extra={"error": type(exc).__name__})
    return Unavailable(
        "审计日志不可用，调用已拒绝（未释放任何数据）",
        "the audit log is unavailable; the call was refused and nothing released",
    )


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
