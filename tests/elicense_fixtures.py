"""A small world for e-license tests: a personal and an enterprise type, a grant, licenses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from access.elicenses.issuance import IssueInput
from access.policy import ResourceKind
from access.sharing import RequestInput, WantedItem
from api.services import Services
from catalog.codes import make_citizen_id, make_uscc
from catalog.model import CertificateType, HolderKind, SharingType, SurfaceField
from catalog.principal import SYSTEM_PRINCIPAL, Principal, Role
from tests.factories import GAJ, SCJG, small_ledger

RESIDENCE = GAJ + "001"  # 居住证: personal, conditional, with sensitive fields
BUSINESS = SCJG + "001"  # 营业执照 (from the small ledger): enterprise, unconditional
PERSON = make_citizen_id(birth=date(1990, 1, 1), seq=123, female=True)
OTHER_PERSON = make_citizen_id(birth=date(1985, 6, 15), seq=7, female=False)
COMPANY = make_uscc(seq=555)
MATTER = "MAT-SCJG-1"
PURPOSE = "食品经营许可审批"
RESIDENCE_FIELDS = ("姓名", "公民身份号码", "居住地址", "签发日期")


def residence_type() -> CertificateType:
    return CertificateType(
        code=RESIDENCE,
        name="居住证",
        department=GAJ,
        issuing_departments=(GAJ,),
        holder_kind=HolderKind.PERSON,
        sharing_type=SharingType.CONDITIONAL,
        validity_years=5,
        surface_fields=(
            SurfaceField(name="姓名"),
            SurfaceField(name="公民身份号码", sensitive=True),
            SurfaceField(name="居住地址", sensitive=True),
            SurfaceField(name="签发日期"),
        ),
    )


def residence(person: str = PERSON, serial: int = 1, version: int = 1) -> IssueInput:
    return IssueInput(
        type_code=RESIDENCE,
        issuer_code=GAJ,
        serial=str(serial),
        version=str(version),
        number=f"JZZ-{serial:06d}",
        holder_name="林晓梅",
        holder_code=person,
        issued_on=date(2025, 3, 1),
        valid_from=date(2025, 3, 1),
        surface={
            "姓名": "林晓梅",
            "公民身份号码": person,
            "居住地址": "厦门市思明区湖滨南路 100 号",
            "签发日期": "2025-03-01",
        },
    )


def business(company: str = COMPANY, serial: int = 1) -> IssueInput:
    return IssueInput(
        type_code=BUSINESS,
        issuer_code=SCJG,
        serial=str(serial),
        number=f"YYZZ-{serial:06d}",
        holder_name="厦门鹭江餐饮有限公司",
        holder_code=company,
        issued_on=date(2024, 5, 20),
        valid_from=date(2024, 5, 20),
        surface={"统一社会信用代码": company},
    )


@dataclass
class World:
    services: Services
    integrator: Principal
    holder_app: Principal
    gaj: Principal
    scjg: Principal
    grant_ids: dict[str, str]


def principal(
    services: Services, name: str, role: Role, department: str | None = None
) -> Principal:
    issued = services.clients.create(name=name, role=role, department=department)
    found = services.clients.authenticate(issued.token)
    assert found is not None
    return found


def build_world(services: Services, *, quota: int | None = None) -> World:
    entities = [*small_ledger(), residence_type()]
    services.ledger.load(principal=SYSTEM_PRINCIPAL, entities=entities)  # type: ignore[arg-type]
    integrator = principal(services, "集成商", Role.INTEGRATOR)
    holder_app = principal(services, "i厦门", Role.HOLDER_APP)
    gaj = principal(services, "公安 业务员", Role.DEPARTMENT, GAJ)
    scjg = principal(services, "市场监管 业务员", Role.DEPARTMENT, SCJG)
    now = datetime.now(UTC)
    submitted = services.sharing.submit(
        principal=integrator,
        request=RequestInput(
            purpose=PURPOSE,
            legal_basis="《食品经营许可和备案管理办法》",
            matters=(MATTER,),
            valid_from=now - timedelta(days=1),
            valid_until=now + timedelta(days=365),
            items=(
                WantedItem(
                    ResourceKind.CERTIFICATE_TYPE, RESIDENCE, ("姓名", "公民身份号码", "居住地址")
                ),
                WantedItem(ResourceKind.CERTIFICATE_TYPE, BUSINESS, ()),
            ),
        ),
    )
    grants: dict[str, str] = {}
    owners = {RESIDENCE: gaj, BUSINESS: scjg}
    for item in submitted.items:
        approved = services.sharing.approve(
            principal=owners[item.resource_code],
            item_id=item.id,
            fields=None,
            valid_until=None,
            quota_per_day=quota if item.resource_code == RESIDENCE else None,
        )
        assert approved.grant_id
        grants[item.resource_code] = approved.grant_id
    return World(services, integrator, holder_app, gaj, scjg, grants)
