"""Issuing e-licenses (电子证照签发), finding a holder's license, revoking, re-encrypting.

Issuing departments issue licenses of the types they are named issuers of; the hub builds
(or validates) the 证照标识, checks the holder code's check character, checks the 照面 fields
against the type, encrypts every personal value under the active data key and indexes the
holder by a keyed blind index. Nothing personal is stored in clear, logged or echoed in errors.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

import orjson
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from access.audit.port import AuditAppender, check_draft, content_digest, short
from access.audit.records import AuditDraft, AuditKind
from access.crypto.fields import BlindIndexer, FieldCipher, IndexKind
from access.crypto.keys import KeyRing
from access.elicense_id import LicenseIdError, build_license_id, parse_license_id
from access.elicenses.status import StatusListKind, allocate
from access.elicenses.tables import ELicenseRow
from catalog.codes import CodeError, validate_citizen_id, validate_uscc
from catalog.ledger import Ledger
from catalog.model import CertificateType, HolderKind, Kind
from catalog.principal import Principal, Role
from catalog.problems import Conflict, FieldIssue, Forbidden, NotFound, ValidationFailed

TABLE: Final = "elicenses"
CITY_OFFSET: Final = timedelta(hours=8)  # Asia/Shanghai has no DST: dates start at 00:00+08
MAX_BATCH: Final = 10_000
MAX_TEXT: Final = 500


@dataclass(frozen=True, kw_only=True)
class IssueInput:
    """One e-license to issue. Give `license_id` (validated) or `serial` (+ `version`)."""

    type_code: str
    issuer_code: str
    number: str
    holder_name: str
    holder_code: str
    issued_on: date
    valid_from: date
    valid_until: date | None = None
    surface: Mapping[str, str] = field(default_factory=dict)
    serial: str | None = None
    version: str = "1"
    license_id: str | None = None


@dataclass(frozen=True)
class Holder:
    """Decrypted holder of a license (only in memory, never logged)."""

    name: str
    code: str

    def __repr__(self) -> str:
        return "Holder(<personal>)"


@dataclass(frozen=True)
class OpenedLicense:
    """A license row with its personal values decrypted for one call."""

    row: ELicenseRow
    holder: Holder
    surface: dict[str, str] = field(repr=False)


def city_start(day: date) -> datetime:
    """00:00 Asia/Shanghai of `day`, in UTC (validity dates are city dates)."""
    return datetime.combine(day, time(0), tzinfo=UTC) - CITY_OFFSET


def holder_index_kind(kind: HolderKind) -> IndexKind:
    return IndexKind.CITIZEN_ID if kind is HolderKind.PERSON else IndexKind.USCC


def check_holder_code(kind: HolderKind, code: str, path: str) -> tuple[str, FieldIssue | None]:
    """The normalized holder code, or the issue that says what is wrong (never the code)."""
    try:
        if kind is HolderKind.PERSON:
            return validate_citizen_id(code), None
        return validate_uscc(code), None
    except CodeError as exc:
        return "", FieldIssue(
            path, f"HOLDER_CODE_{exc.reason.upper()}", exc.message, exc.message_en
        )


class ELicenses:
    """The e-license store's use cases (records database + key ring + ledger for types)."""

    def __init__(
        self,
        *,
        engine: Engine,
        ledger: Ledger,
        keys: KeyRing,
        audit: AuditAppender,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._audit = audit
        self._ledger = ledger
        self._keys = keys
        self._cipher = FieldCipher(keys)
        self._index = BlindIndexer(keys.index_key)
        self._clock = clock

    # -- reading -------------------------------------------------------------------------

    def certificate_type(self, code: str, *, path: str = "certificateType") -> CertificateType:
        stored = self._ledger.get_recent(kind=Kind.CERTIFICATE_TYPE, code=code)
        if stored is None:
            raise NotFound("证照类型", code, path=path)
        entity = stored.entity
        assert isinstance(entity, CertificateType)
        return entity

    def surface_names(self, type_code: str) -> frozenset[str]:
        """The 照面 field names of a type (empty when the type is unknown)."""
        stored = self._ledger.get(kind=Kind.CERTIFICATE_TYPE, code=type_code) if type_code else None
        if stored is None or not isinstance(stored.entity, CertificateType):
            return frozenset()
        return frozenset(f.name for f in stored.entity.surface_fields)

    def holder_index(self, kind: HolderKind, code: str) -> str:
        """The blind index a holder is stored under (the code must already be validated)."""
        return self._index.index(code, kind=holder_index_kind(kind))

    def open(self, row: ELicenseRow) -> OpenedLicense:
        """Decrypt a license's personal values (for its holder)."""
        holder = json.loads(self._cipher.decrypt(row.holder_enc, **self._where(row.id, "holder")))
        return OpenedLicense(row, Holder(holder["name"], holder["code"]), self.surface(row))

    def surface(self, row: ELicenseRow) -> dict[str, str]:
        """Decrypt only a license's 照面 (what a licensed call returns from)."""
        opened: dict[str, str] = orjson.loads(
            self._cipher.decrypt(row.surface_enc, **self._where(row.id, "surface"))
        )
        return opened

    def get(self, license_id: str) -> ELicenseRow:
        try:
            canonical = parse_license_id(license_id).value
        except LicenseIdError as exc:
            raise ValidationFailed(
                [FieldIssue("licenseId", exc.code, exc.message, exc.message_en)]
            ) from None
        with Session(self._engine) as session:
            row = session.get(ELicenseRow, canonical)
        if row is None:
            raise NotFound("电子证照", canonical, path="licenseId")
        return row

    def issued(
        self, *, principal: Principal, type_code: str | None = None, limit: int = 200
    ) -> list[ELicenseRow]:
        """Licenses an issuing department issued (admins and auditors: all); no personal data."""
        query = select(ELicenseRow).order_by(col(ELicenseRow.created_at).desc()).limit(limit)
        if principal.role is Role.DEPARTMENT:
            query = query.where(ELicenseRow.issuer_code == principal.department)
        elif principal.role not in (Role.ADMIN, Role.AUDITOR):
            raise Forbidden(
                "只有发证部门、管理员和审计可以查看证照目录",
                "only issuers, admins and auditors list e-licenses",
            )
        if type_code:
            query = query.where(ELicenseRow.type_code == type_code)
        with Session(self._engine) as session:
            return list(session.exec(query).all())

    def holder_index_of(
        self, kind: HolderKind, holder_code: str, *, path: str = "holderCode"
    ) -> str:
        """The blind index of a holder code as typed: check-validated first (ValidationFailed
        naming `path`, never echoing the code)."""
        code, issue = check_holder_code(kind, holder_code, path)
        if issue:
            raise ValidationFailed([issue])
        return self.holder_index(kind, code)

    def of_holder(self, *, holder_kind: HolderKind, holder_code: str) -> list[ELicenseRow]:
        """Every license of one holder (for the holder's own app)."""
        index = self.holder_index_of(holder_kind, holder_code)
        with Session(self._engine) as session:
            return list(session.exec(select(ELicenseRow).where(ELicenseRow.holder_index == index)))

    # -- issuing -------------------------------------------------------------------------

    def issue(self, *, principal: Principal, item: IssueInput) -> ELicenseRow:
        """Issue one e-license; every broken rule is reported at once and nothing is written."""
        return self.issue_many(principal=principal, items=[item])[0]

    def issue_many(self, *, principal: Principal, items: Sequence[IssueInput]) -> list[ELicenseRow]:
        """Issue a batch in one transaction: all of it or, on any problem, none of it.

        Problems carry the item's position (`items[3].holderCode`) so a file can be fixed."""
        if not items:
            return []
        if len(items) > MAX_BATCH:
            raise ValidationFailed(
                [
                    FieldIssue(
                        "items",
                        "TOO_MANY",
                        f"一次最多签发 {MAX_BATCH} 张证照，请分批",
                        f"at most {MAX_BATCH} licenses per batch; split the file",
                    )
                ]
            )
        now = self._clock()
        types: dict[str, CertificateType | None] = {}
        issues: list[FieldIssue] = []
        prepared: list[tuple[IssueInput, CertificateType, str, str]] = []
        seen: set[str] = set()
        for position, item in enumerate(items):
            prefix = f"items[{position}]." if len(items) > 1 else ""
            found = self._prepare(principal, item, prefix, types, issues)
            if found is not None:
                cert, license_id, holder_code = found
                if license_id in seen:
                    issues.append(
                        FieldIssue(
                            f"{prefix}licenseId",
                            "DUPLICATE_IN_BATCH",
                            "同一批次中证照标识重复",
                            "the same license identifier appears twice in the batch",
                        )
                    )
                seen.add(license_id)
                prepared.append((item, cert, license_id, holder_code))
        if issues:
            raise ValidationFailed(issues)
        rows: list[ELicenseRow] = []
        with Session(self._engine) as session:
            first = allocate(session.connection(), StatusListKind.ELICENSES, len(prepared))
            for offset, (item, cert, license_id, holder_code) in enumerate(prepared):
                rows.append(
                    self._row(principal, item, cert, license_id, holder_code, first + offset, now)
                )
            session.add_all(rows)
            self._audit.append(
                session,
                [
                    AuditDraft(
                        time=now,
                        kind=AuditKind.CATALOG_CHANGED,
                        actor=principal.client_id,
                        resource=row.id,
                        holder_blind_index=row.holder_index,
                        after_digest=content_digest(row),
                    )
                    for row in rows
                ],
            )
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                raise Conflict(
                    "证照标识已存在（同一证照的新版本请递增版本号）",
                    "a license with this identifier exists already (bump the version to re-issue)",
                ) from None
            for row in rows:
                session.refresh(row)
        return rows

    def _prepare(
        self,
        principal: Principal,
        item: IssueInput,
        prefix: str,
        types: dict[str, CertificateType | None],
        issues: list[FieldIssue],
    ) -> tuple[CertificateType, str, str] | None:
        if item.type_code not in types:
            stored = self._ledger.get(kind=Kind.CERTIFICATE_TYPE, code=item.type_code)
            entity = stored.entity if stored else None
            types[item.type_code] = entity if isinstance(entity, CertificateType) else None
        cert = types[item.type_code]
        start = len(issues)
        if cert is None:
            issues.append(
                FieldIssue(
                    f"{prefix}certificateType",
                    "UNKNOWN_CERTIFICATE_TYPE",
                    "证照类型未在目录中登记，请先登记证照类型或核对编码",
                    "the certificate type is not in the catalog; register it or check the code",
                )
            )
            return None
        issuers = set(cert.issuing_departments) | {cert.department}
        if item.issuer_code not in issuers:
            issues.append(
                FieldIssue(
                    f"{prefix}issuerCode",
                    "NOT_AN_ISSUER",
                    "该机构不是此类证照的颁发机构",
                    "this authority is not an issuer of this certificate type",
                )
            )
        elif not principal.is_admin and not (
            principal.role is Role.DEPARTMENT and principal.department == item.issuer_code
        ):
            raise Forbidden(
                "只能以本部门名义签发证照", "a department issues licenses in its own name only"
            )
        license_id = self._license_id(item, prefix, issues)
        holder_code, problem = check_holder_code(
            cert.holder_kind, item.holder_code, f"{prefix}holderCode"
        )
        if problem:
            issues.append(problem)
        for path, value in (
            (f"{prefix}holderName", item.holder_name),
            (f"{prefix}number", item.number),
        ):
            if not value.strip() or len(value) > MAX_TEXT:
                issues.append(
                    FieldIssue(
                        path,
                        "REQUIRED",
                        "必填，且不超过 500 字",
                        "required, at most 500 characters",
                    )
                )
        names = [f.name for f in cert.surface_fields]
        unknown = sorted(set(item.surface) - set(names))
        missing = [n for n in names if not str(item.surface.get(n, "")).strip()]
        if unknown:
            issues.append(
                FieldIssue(
                    f"{prefix}surface",
                    "UNKNOWN_SURFACE_FIELD",
                    f"照面字段不属于该证照类型：{'、'.join(unknown)}",
                    f"not a 照面 field of this type: {', '.join(unknown)}",
                )
            )
        if missing:
            issues.append(
                FieldIssue(
                    f"{prefix}surface",
                    "MISSING_SURFACE_FIELD",
                    f"缺少照面字段：{'、'.join(missing)}",
                    f"missing 照面 fields: {', '.join(missing)}",
                )
            )
        until = _valid_until(item, cert)
        if until is not None and until <= item.valid_from:
            issues.append(
                FieldIssue(
                    f"{prefix}validUntil",
                    "PERIOD",
                    "有效期截止日须晚于起始日",
                    "validUntil must be after validFrom",
                )
            )
        if len(issues) > start or license_id is None:
            return None
        return cert, license_id, holder_code

    @staticmethod
    def _license_id(item: IssueInput, prefix: str, issues: list[FieldIssue]) -> str | None:
        try:
            if item.license_id:
                parsed = parse_license_id(item.license_id)
                if (parsed.type_code, parsed.issuer_code) != (item.type_code, item.issuer_code):
                    issues.append(
                        FieldIssue(
                            f"{prefix}licenseId",
                            "LICENSE_ID_MISMATCH",
                            "证照标识中的证照类型代码或颁发机构代码与输入不一致",
                            "the identifier's type or issuer code differs from the input",
                        )
                    )
                    return None
                return parsed.value
            if not item.serial:
                issues.append(
                    FieldIssue(
                        f"{prefix}serial",
                        "REQUIRED",
                        "请提供证照标识或流水号",
                        "give the license identifier or its serial number",
                    )
                )
                return None
            return build_license_id(item.type_code, item.issuer_code, item.serial, item.version)
        except LicenseIdError as exc:
            issues.append(FieldIssue(f"{prefix}licenseId", exc.code, exc.message, exc.message_en))
            return None

    def _row(
        self,
        principal: Principal,
        item: IssueInput,
        cert: CertificateType,
        license_id: str,
        holder_code: str,
        status_index: int,
        now: datetime,
    ) -> ELicenseRow:
        parsed = parse_license_id(license_id)
        until = _valid_until(item, cert)
        holder = json.dumps({"name": item.holder_name, "code": holder_code}, ensure_ascii=False)
        surface = json.dumps(dict(item.surface), ensure_ascii=False, sort_keys=True)
        return ELicenseRow(
            id=license_id,
            type_code=parsed.type_code,
            issuer_code=parsed.issuer_code,
            serial=parsed.serial,
            version=parsed.version,
            number=item.number,
            holder_kind=cert.holder_kind.value,
            holder_index=self.holder_index(cert.holder_kind, holder_code),
            holder_enc=self._cipher.encrypt(holder, **self._where(license_id, "holder")),
            surface_enc=self._cipher.encrypt(surface, **self._where(license_id, "surface")),
            data_kid=self._keys.active_data_key.kid,
            issued_on=item.issued_on,
            valid_from=city_start(item.valid_from),
            valid_until=city_start(until + timedelta(days=1)) if until else None,
            status_index=status_index,
            issued_by=principal.name,
            created_at=now,
        )

    @staticmethod
    def _where(license_id: str, name: str) -> dict[str, str]:
        return {"table": TABLE, "record_id": license_id, "field": name}

    # -- revoking and re-encrypting ---------------------------------------------------------

    def revoke(self, *, principal: Principal, license_id: str, reason: str) -> ELicenseRow:
        """Revoke (注销/吊销) a license: its status bit is set and calls for it are refused."""
        if not reason.strip():
            raise ValidationFailed(
                [FieldIssue("reason", "REQUIRED", "请说明理由", "give a reason")]
            )
        row = self.get(license_id)
        if not principal.is_admin and not (
            principal.role is Role.DEPARTMENT and principal.department == row.issuer_code
        ):
            raise Forbidden(
                "只有颁发机构可以撤销证照", "only the issuing authority revokes a license"
            )
        with Session(self._engine) as session:
            stored = session.get(ELicenseRow, row.id)
            assert stored is not None
            row = stored
            if row.revoked_at is not None:
                raise Conflict("证照已撤销", "the license is already revoked")
            revoked = AuditDraft(
                time=self._clock(),
                kind=AuditKind.CATALOG_CHANGED,
                actor=principal.client_id,
                resource=row.id,
                holder_blind_index=row.holder_index,
                reasons=(short(reason),),
                before_digest=content_digest(row),
            )
            check_draft(revoked, "reason")
            row.revoked_at, row.revoked_by, row.revoke_reason = (
                self._clock(),
                principal.name,
                reason,
            )
            session.add(row)
            self._audit.append(
                session, [dataclasses.replace(revoked, after_digest=content_digest(row))]
            )
            session.commit()
            session.refresh(row)
            return row

    def reencrypt(self, *, batch: int = 500) -> int:
        """Re-encrypt personal values still under an old data key with the active one.

        Why: keys rotate without re-issuing; after `KeyRing.rotate_data_key`, new licenses use
        the new key at once and this moves the old ones over, a batch per transaction."""
        active = self._keys.active_data_key.kid
        moved = 0
        while True:
            with Session(self._engine) as session:
                rows = session.exec(
                    select(ELicenseRow).where(ELicenseRow.data_kid != active).limit(batch)
                ).all()
                if not rows:
                    return moved
                for row in rows:
                    row.holder_enc = self._cipher.rotate(
                        row.holder_enc, **self._where(row.id, "holder")
                    )
                    row.surface_enc = self._cipher.rotate(
                        row.surface_enc, **self._where(row.id, "surface")
                    )
                    row.data_kid = active
                    session.add(row)
                session.commit()
                moved += len(rows)


def _valid_until(item: IssueInput, cert: CertificateType) -> date | None:
    """The last valid day: as given, else the type's validity period from `valid_from`."""
    if item.valid_until is None and cert.validity_years:
        return _add_years(item.valid_from, cert.validity_years)
    return item.valid_until


def _add_years(day: date, years: int) -> date:
    """`day` plus whole years, the day before the anniversary (a five-year license issued on
    2024-03-01 is valid until 2029-02-28); 29 February maps to 28 February."""
    try:
        anniversary = day.replace(year=day.year + years)
    except ValueError:
        anniversary = day.replace(year=day.year + years, day=28)
    return anniversary - timedelta(days=1)
