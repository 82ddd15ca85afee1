"""E-licenses over GraphQL: issuance, consent, the licensed call, verification, trust."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

import strawberry

from access.elicenses.calls import CallRequest, Denied
from access.elicenses.consent import IssuedCode
from access.elicenses.issuance import IssueInput
from access.elicenses.status import StatusListKind
from access.elicenses.tables import ConsentRow, ELicenseRow, TrustedIssuerRow
from access.elicenses.trust import Verification
from api.graphql.connection import Connection, forbidden, offset_connection
from api.graphql.context import Info
from api.graphql.problems import AnyProblem, Problem, as_problem, attempt
from api.graphql.sharing import PolicyReason
from catalog import problems
from catalog.model import HolderKind
from catalog.principal import Role

if TYPE_CHECKING:
    JSON = Any
else:
    from strawberry.scalars import JSON

MAX_BATCH_INPUT = 500


@strawberry.enum(description="State of an issued e-license, read off the clock.")
class ELicenseStatus(StrEnum):
    VALID = "VALID"
    NOT_YET_VALID = "NOT_YET_VALID"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@strawberry.type(description="An issued e-license's metadata (no personal data).")
class ELicense:
    license_id: str
    certificate_type_code: str
    issuer_code: str
    serial: str
    version: str
    number: str
    holder_kind: str
    issued_on: date
    valid_from: datetime
    valid_until: datetime | None
    status: ELicenseStatus
    revoked_at: datetime | None
    revoke_reason: str
    status_list_credential: str
    status_list_index: int

    @classmethod
    def of(cls, row: ELicenseRow, info: Info) -> ELicense:
        now = datetime.now(UTC)
        if row.revoked_at is not None:
            status = ELicenseStatus.REVOKED
        elif row.valid_until is not None and _utc(row.valid_until) <= now:
            status = ELicenseStatus.EXPIRED
        elif _utc(row.valid_from) > now:
            status = ELicenseStatus.NOT_YET_VALID
        else:
            status = ELicenseStatus.VALID
        ref = info.context.status.ref(StatusListKind.ELICENSES, row.status_index)
        return cls(
            license_id=row.id,
            certificate_type_code=row.type_code,
            issuer_code=row.issuer_code,
            serial=row.serial,
            version=row.version,
            number=row.number,
            holder_kind=row.holder_kind,
            issued_on=row.issued_on,
            valid_from=_utc(row.valid_from),
            valid_until=_utc(row.valid_until) if row.valid_until else None,
            status=status,
            revoked_at=_utc(row.revoked_at) if row.revoked_at else None,
            revoke_reason=row.revoke_reason,
            status_list_credential=ref.list_url,
            status_list_index=ref.index,
        )


@strawberry.type(description="持证人授权: a holder's consent for one caller, type and purpose.")
class Consent:
    id: strawberry.ID
    certificate_type_code: str
    caller_client_id: str
    purpose: str
    valid_until: datetime
    created_at: datetime
    withdrawn_at: datetime | None
    active: bool

    @classmethod
    def of(cls, row: ConsentRow) -> Consent:
        until = _utc(row.valid_until)
        return cls(
            id=strawberry.ID(row.id),
            certificate_type_code=row.type_code,
            caller_client_id=row.caller_client_id,
            purpose=row.purpose,
            valid_until=until,
            created_at=_utc(row.created_at),
            withdrawn_at=_utc(row.withdrawn_at) if row.withdrawn_at else None,
            active=row.withdrawn_at is None and until > datetime.now(UTC),
        )


@strawberry.type(description="亮证码: a one-time code the integrator presents with its call.")
class ConsentCode:
    code: str
    consent_id: str
    expires_at: datetime

    @classmethod
    def of(cls, issued: IssuedCode) -> ConsentCode:
        return cls(code=issued.code, consent_id=issued.consent_id, expires_at=issued.expires_at)


@strawberry.type(description="An allowed licensed call: a VC 2.0 credential signed as a JWS.")
class LicensedResponse:
    jws: str = strawberry.field(description="The compact JWS (vc+jwt): verify it with the JWKS.")
    credential: JSON = strawberry.field(description="The JWS payload, decoded for convenience.")
    license_id: str
    grant_id: str
    fields: list[str]
    masked_fields: list[str]
    audit_seq: int = strawberry.field(description="The audit record of this call.")


@strawberry.type(description="The call was refused; every reason is listed and it was audited.")
class CallDenied(Problem):
    reasons: list[PolicyReason]
    audit_seq: int = strawberry.field(description="The audit record of this refusal.")


@strawberry.type(description="Whether a credential verifies, and what it says if it does.")
class CredentialVerification:
    valid: bool
    issuer: str | None
    kid: str | None
    credential: JSON | None
    code: str | None
    message: str | None
    message_en: str | None

    @classmethod
    def of(cls, v: Verification) -> CredentialVerification:
        return cls(
            valid=v.valid,
            issuer=v.issuer,
            kid=v.kid,
            credential=v.credential,
            code=v.code,
            message=v.message,
            message_en=v.message_en,
        )


@strawberry.type(description="Another region's issuer whose credentials the hub accepts.")
class TrustedIssuer:
    issuer: str
    name: str
    key_ids: list[str]
    added_by: str
    added_at: datetime

    @classmethod
    def of(cls, row: TrustedIssuerRow) -> TrustedIssuer:
        keys = row.jwks.get("keys", [])
        return cls(
            issuer=row.issuer,
            name=row.name,
            key_ids=[str(k.get("kid")) for k in keys if isinstance(k, dict)],
            added_by=row.added_by,
            added_at=_utc(row.added_at),
        )


@strawberry.type(description="Calls counted for one grant on one (Asia/Shanghai) day.")
class UsageDay:
    grant_id: str
    day: date
    calls: int


@strawberry.input
class SurfaceValueInput:
    name: str
    value: str


@strawberry.input(description="One e-license to issue: give licenseId, or serial (+ version).")
class IssueELicenseInput:
    certificate_type: str
    issuer_code: str
    number: str
    holder_name: str
    holder_code: str
    issued_on: date
    valid_from: date
    surface: list[SurfaceValueInput]
    valid_until: date | None = None
    license_id: str | None = None
    serial: str | None = None
    version: str = "1"

    def to_domain(self) -> IssueInput:
        return IssueInput(
            type_code=self.certificate_type,
            issuer_code=self.issuer_code,
            number=self.number,
            holder_name=self.holder_name,
            holder_code=self.holder_code,
            issued_on=self.issued_on,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
            surface={s.name: s.value for s in self.surface},
            serial=self.serial,
            version=self.version,
            license_id=self.license_id,
        )


@strawberry.input(description="A licensed call: whose license, for what, under which consent.")
class LicensedCallInput:
    certificate_type: str
    holder: str = strawberry.field(description="The holder's 公民身份号码 or 统一社会信用代码.")
    purpose: str
    matter_code: str
    fields: list[str] = strawberry.field(default_factory=list)
    consent: str | None = strawberry.field(
        default=None, description="The one-time code from the holder's app (personal licenses)."
    )


@strawberry.type
class ELicenseBatch:
    licenses: list[ELicense]


ELicenseResult: TypeAlias = Annotated[ELicense | AnyProblem, strawberry.union("ELicenseResult")]
ELicenseBatchResult: TypeAlias = Annotated[
    ELicenseBatch | AnyProblem, strawberry.union("ELicenseBatchResult")
]
ConsentResult: TypeAlias = Annotated[Consent | AnyProblem, strawberry.union("ConsentResult")]
ConsentCodeResult: TypeAlias = Annotated[
    ConsentCode | AnyProblem, strawberry.union("ConsentCodeResult")
]
LicensedCallResult: TypeAlias = Annotated[
    LicensedResponse | CallDenied | AnyProblem, strawberry.union("LicensedCallResult")
]
TrustedIssuerResult: TypeAlias = Annotated[
    TrustedIssuer | AnyProblem, strawberry.union("TrustedIssuerResult")
]


def _attempt(info: Info, action: Callable[[], Any]) -> Any:
    return attempt(action, backend_error=info.context.backend_error)


def _denied(denied: Denied) -> CallDenied:
    return CallDenied(
        code="CALL_DENIED",
        message=denied.message,
        message_en=denied.message_en,
        reasons=[
            PolicyReason(code=r.code, message=r.message, message_en=r.message_en)
            for r in denied.reasons
        ],
        audit_seq=denied.audit_seq,
    )


@strawberry.type
class ELicenseQuery:
    @strawberry.field(description="Issued e-licenses: your department's (issuers), all (admins).")
    def e_licenses(
        self,
        info: Info,
        certificate_type: str | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[ELicense]:
        try:
            rows = info.context.elicenses.issued(
                principal=info.context.principal, type_code=certificate_type, limit=5000
            )
        except problems.Forbidden as exc:
            raise forbidden(exc.message, exc.message_en) from None
        return offset_connection([ELicense.of(r, info) for r in rows], first=first, after=after)

    @strawberry.field(description="The holder's consents for one type (the holder app only).")
    def my_consents(self, info: Info, holder_code: str, certificate_type: str) -> list[Consent]:
        if info.context.principal.role is not Role.HOLDER_APP:
            raise forbidden("只有持证人应用可以查看授权", "only the holder app sees consents")
        rows = info.context.consents.of_holder(
            principal=info.context.principal,
            holder_code=holder_code,
            certificate_type=certificate_type,
        )
        return [Consent.of(r) for r in rows]

    @strawberry.field(
        description="The holder's e-licenses (the holder app only), metadata without 照面."
    )
    def my_e_licenses(self, info: Info, holder_code: str, holder_kind: str) -> list[ELicense]:
        if info.context.principal.role is not Role.HOLDER_APP:
            raise forbidden("只有持证人应用可以查看持证人证照", "only the holder app sees these")
        rows = info.context.elicenses.of_holder(
            holder_kind=HolderKind(holder_kind), holder_code=holder_code
        )
        return [ELicense.of(r, info) for r in rows]

    @strawberry.field(
        description="Verify a credential (ours, or a trusted region's): signature, issuer, time."
    )
    def verify_credential(self, info: Info, jws: str) -> CredentialVerification:
        return CredentialVerification.of(info.context.trust.verify(jws))

    @strawberry.field(description="Other regions' issuers the hub trusts (跨域互认).")
    def trusted_issuers(self, info: Info) -> list[TrustedIssuer]:
        return [TrustedIssuer.of(r) for r in info.context.trust.issuers()]

    @strawberry.field(description="Calls per grant and day: your grants (integrator), all (admin).")
    def grant_usage(self, info: Info, since: date | None = None) -> list[UsageDay]:
        p = info.context.principal
        grant_ids = [g.id for g in info.context.sharing.grants(principal=p)]
        start = since or (datetime.now(UTC) - timedelta(days=30)).date()
        return [
            UsageDay(grant_id=g, day=d, calls=c)
            for g, d, c in info.context.calls.usage(grant_ids=grant_ids, since=start)
        ]


@strawberry.type
class ELicenseMutation:
    @strawberry.mutation(description="Issue one e-license (issuing departments, in their name).")
    def issue_e_license(self, info: Info, input: IssueELicenseInput) -> ELicenseResult:
        return _attempt(
            info,
            lambda: ELicense.of(
                info.context.elicenses.issue(
                    principal=info.context.principal, item=input.to_domain()
                ),
                info,
            ),
        )

    @strawberry.mutation(
        description="Issue a batch at once: all of it, or none with every problem."
    )
    def issue_e_licenses(self, info: Info, inputs: list[IssueELicenseInput]) -> ELicenseBatchResult:
        def issue() -> ELicenseBatch:
            if len(inputs) > MAX_BATCH_INPUT:
                raise problems.ValidationFailed(
                    [
                        problems.FieldIssue(
                            "inputs",
                            "TOO_MANY",
                            f"一次最多 {MAX_BATCH_INPUT} 张，更多请用 irs elicenses issue 文件导入",
                            f"at most {MAX_BATCH_INPUT}; use `irs elicenses issue FILE` for more",
                        )
                    ]
                )
            rows = info.context.elicenses.issue_many(
                principal=info.context.principal, items=[i.to_domain() for i in inputs]
            )
            return ELicenseBatch(licenses=[ELicense.of(r, info) for r in rows])

        return _attempt(info, issue)

    @strawberry.mutation(description="Revoke an e-license: its status bit is set, calls refused.")
    def revoke_e_license(self, info: Info, license_id: str, reason: str) -> ELicenseResult:
        def revoke() -> ELicense:
            row = info.context.elicenses.revoke(
                principal=info.context.principal, license_id=license_id, reason=reason
            )
            info.context.status.forget()
            return ELicense.of(row, info)

        return _attempt(info, revoke)

    @strawberry.mutation(description="持证人授权 (holder app): let a caller use a license type.")
    def give_consent(
        self,
        info: Info,
        holder_code: str,
        certificate_type: str,
        caller_client_id: str,
        purpose: str,
        valid_until: datetime,
    ) -> ConsentResult:
        return _attempt(
            info,
            lambda: Consent.of(
                info.context.consents.give(
                    principal=info.context.principal,
                    holder_code=holder_code,
                    certificate_type=certificate_type,
                    caller_client_id=caller_client_id,
                    purpose=purpose,
                    valid_until=valid_until,
                )
            ),
        )

    @strawberry.mutation(description="亮证 (holder app): a one-time code for a standing consent.")
    def consent_code(
        self, info: Info, consent_id: strawberry.ID, ttl_seconds: int = 300
    ) -> ConsentCodeResult:
        return _attempt(
            info,
            lambda: ConsentCode.of(
                info.context.consents.one_time_code(
                    principal=info.context.principal,
                    consent_id=str(consent_id),
                    ttl=timedelta(seconds=ttl_seconds),
                )
            ),
        )

    @strawberry.mutation(description="Withdraw a consent (holder app); its codes stop working.")
    def withdraw_consent(self, info: Info, consent_id: strawberry.ID) -> ConsentResult:
        return _attempt(
            info,
            lambda: Consent.of(
                info.context.consents.withdraw(
                    principal=info.context.principal, consent_id=str(consent_id)
                )
            ),
        )

    @strawberry.mutation(
        description="The licensed call: under a grant and the holder's consent, signed, audited."
    )
    async def call_e_license(self, info: Info, input: LicensedCallInput) -> LicensedCallResult:
        """Works on the event loop and awaits only the shared durable commit."""
        request = CallRequest(
            certificate_type=input.certificate_type,
            holder_code=input.holder,
            purpose=input.purpose,
            matter=input.matter_code,
            fields=tuple(input.fields),
            consent_code=input.consent,
        )
        try:
            result = await info.context.calls.call_async(
                principal=info.context.principal, request=request
            )
        except Exception as exc:
            return as_problem(exc, backend_error=info.context.backend_error)
        if isinstance(result, Denied):
            return _denied(result)
        return LicensedResponse(
            jws=result.token,
            credential=result.credential,
            license_id=result.license_id,
            grant_id=result.grant_id,
            fields=list(result.fields),
            masked_fields=list(result.masked),
            audit_seq=result.audit_seq,
        )

    @strawberry.mutation(description="Trust another region's issuer and its JWKS (admins).")
    def trust_issuer(self, info: Info, issuer: str, name: str, jwks: JSON) -> TrustedIssuerResult:
        return _attempt(
            info,
            lambda: TrustedIssuer.of(
                info.context.trust.add(
                    principal=info.context.principal,
                    issuer=issuer,
                    name=name,
                    jwks=jwks if isinstance(jwks, dict) else {},
                )
            ),
        )
