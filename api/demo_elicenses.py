"""Demo e-licenses, grants and consents, so the README's licensed call works on a fresh start.

All people and companies are synthetic (valid check characters, made-up names). The demo
integrator gets grants for 营业执照 (无条件共享, granted at once) and 医师执业证书 (有条件共享,
approved by the health commission) for the matter 医疗机构执业登记; one demo doctor has
consented, so the holder app can show a one-time code for the README's call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, select

from access.elicenses.issuance import IssueInput
from access.elicenses.tables import ConsentRow, ELicenseRow
from access.policy import ResourceKind
from access.sharing import RequestInput, WantedItem
from api.services import Services
from catalog.codes import make_citizen_id, make_uscc
from catalog.demo.certificates import cert_code
from catalog.model import CertificateType, Kind
from catalog.principal import SYSTEM_PRINCIPAL, Principal

BUSINESS_LICENSE = "营业执照"
DOCTOR_LICENSE = "医师执业证书"
DEMO_MATTER = "350200-010010007000-01"  # 医疗机构执业登记
DEMO_PURPOSE = "医疗机构执业登记审核"
DEMO_DOCTOR = make_citizen_id(birth=date(1986, 4, 12), seq=58, female=True)  # 陈雅琳
DEMO_COMPANY = make_uscc(seq=880_001)
DEMO_CONSENT = "CONSENT-demo-doctor"  # 厦门鹭岛口腔门诊部有限公司

COMPANIES = (
    "厦门鹭岛口腔门诊部有限公司",
    "厦门筼筜湖餐饮管理有限公司",
    "厦门海沧港湾物流有限公司",
    "厦门集美学村文化传播有限公司",
    "厦门同安银城食品有限公司",
    "厦门翔安新城建设工程有限公司",
    "厦门思明中山路商贸有限公司",
    "厦门湖里自贸科技有限公司",
)
DOCTORS = (
    ("陈雅琳", date(1986, 4, 12), 58, True),
    ("林志强", date(1979, 11, 3), 17, False),
    ("黄晓东", date(1990, 7, 21), 33, False),
    ("吴丽娟", date(1984, 2, 9), 61, True),
    ("郑伟明", date(1975, 9, 30), 5, False),
)


@dataclass(frozen=True)
class DemoHolder:
    name: str
    code: str


def _surface(cert: CertificateType, holder: DemoHolder, issued: date) -> dict[str, str]:
    """A plausible value for every 照面 field of `cert`."""
    gender = holder.code[16]
    defaults = {
        "统一社会信用代码": holder.code,
        "名称": holder.name,
        "企业名称": holder.name,
        "类型": "有限责任公司（自然人投资或控股）",
        "法定代表人": "王建国",
        "注册资本": "人民币伍佰万元整",
        "成立日期": "2019-06-18",
        "营业期限": "2019-06-18 至 长期",
        "住所": "厦门市思明区湖滨北路 88 号",
        "经营范围": "口腔科诊疗服务；医疗器械销售",
        "登记机关": "厦门市市场监督管理局",
        "发证日期": issued.isoformat(),
        "姓名": holder.name,
        "性别": ("女" if int(gender) % 2 == 0 else "男") if gender.isdigit() else "",
        "公民身份号码": holder.code,
        "执业类别": "口腔",
        "执业范围": "口腔专业",
        "执业地点": "厦门鹭岛口腔门诊部有限公司",
        "证书编码": f"1103502{holder.code[-6:]}",
        "发证机关": "厦门市卫生健康委员会",
    }
    return {f.name: defaults.get(f.name, f"{f.name}（示例）") for f in cert.surface_fields}


def _certificate(services: Services, name: str) -> CertificateType:
    stored = services.ledger.get(kind=Kind.CERTIFICATE_TYPE, code=cert_code(name))
    assert stored is not None
    assert isinstance(stored.entity, CertificateType)
    return stored.entity


def seed_demo_elicenses(services: Services, integrator: Principal) -> int:
    """Issue the demo licenses and grant the demo integrator (once); how many were issued."""
    with Session(services.records) as session:
        if session.exec(select(ELicenseRow).limit(1)).first() is not None:
            return 0
    business, doctor = (
        _certificate(services, BUSINESS_LICENSE),
        _certificate(services, DOCTOR_LICENSE),
    )
    issued = date(2024, 3, 15)
    items = [
        IssueInput(
            type_code=business.code,
            issuer_code=business.department,
            serial=str(1000 + i),
            number=f"91350200MA{i:08d}",
            holder_name=name,
            holder_code=make_uscc(seq=880_001 + i),
            issued_on=issued,
            valid_from=issued,
            surface=_surface(business, DemoHolder(name, make_uscc(seq=880_001 + i)), issued),
        )
        for i, name in enumerate(COMPANIES)
    ]
    for i, (name, birth, seq, female) in enumerate(DOCTORS):
        code = make_citizen_id(birth=birth, seq=seq, female=female)
        items.append(
            IssueInput(
                type_code=doctor.code,
                issuer_code=doctor.department,
                serial=str(2000 + i),
                number=f"110350200{i:06d}",
                holder_name=name,
                holder_code=code,
                issued_on=issued,
                valid_from=issued,
                surface=_surface(doctor, DemoHolder(name, code), issued),
            )
        )
    rows = services.elicenses.issue_many(principal=SYSTEM_PRINCIPAL, items=items)
    _grant(services, integrator, business, doctor)
    return len(rows)


def _grant(
    services: Services, integrator: Principal, business: CertificateType, doctor: CertificateType
) -> None:
    now = datetime.now(UTC)
    submitted = services.sharing.submit(
        principal=integrator,
        request=RequestInput(
            purpose=DEMO_PURPOSE,
            legal_basis="《医疗机构管理条例》第九条",
            matters=(DEMO_MATTER,),
            valid_from=now - timedelta(days=1),
            valid_until=now + timedelta(days=365),
            items=(
                WantedItem(ResourceKind.CERTIFICATE_TYPE, business.code, ()),
                WantedItem(
                    ResourceKind.CERTIFICATE_TYPE,
                    doctor.code,
                    ("姓名", "公民身份号码", "执业类别", "执业范围", "执业地点"),
                ),
            ),
        ),
    )
    for item in submitted.items:
        if item.state == "PENDING":
            services.sharing.approve(
                principal=SYSTEM_PRINCIPAL,
                item_id=item.id,
                fields=None,
                valid_until=None,
                quota_per_day=None,
            )


def seed_demo_consent(services: Services, holder_app: Principal, integrator_id: str) -> None:
    """The demo doctor's consent for the demo integrator (given again if none stands)."""
    doctor = _certificate(services, DOCTOR_LICENSE)
    standing = [
        c
        for c in services.consents.of_holder(
            principal=holder_app, holder_code=DEMO_DOCTOR, certificate_type=doctor.code
        )
        if c.withdrawn_at is None and c.caller_client_id == integrator_id
    ]
    if standing:
        return
    services.consents.give(
        principal=holder_app,
        holder_code=DEMO_DOCTOR,
        certificate_type=doctor.code,
        caller_client_id=integrator_id,
        purpose=DEMO_PURPOSE,
        valid_until=datetime.now(UTC) + timedelta(days=300),
        consent_id=DEMO_CONSENT if not _exists(services, DEMO_CONSENT) else None,
    )


def _exists(services: Services, consent_id: str) -> bool:
    with Session(services.records) as session:
        return session.get(ConsentRow, consent_id) is not None
