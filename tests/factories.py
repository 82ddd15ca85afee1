"""Small, valid catalog objects for tests (real check characters, real references)."""

from __future__ import annotations

from catalog.codes import make_uscc
from catalog.model import (
    CertificateType,
    Component,
    DataElement,
    Dataset,
    DatasetField,
    Department,
    FormField,
    HolderKind,
    Lifecycle,
    Matter,
    OneThing,
    SharingType,
    SurfaceField,
    System,
)

SCJG = make_uscc(seq=101)
GAJ = make_uscc(seq=102)
OTHER = make_uscc(seq=103)


def departments() -> list[Department]:
    return [
        Department(
            code=SCJG,
            name="厦门市市场监督管理局",
            short_name="市市场监管局",
            aliases=("市场监管局",),
        ),
        Department(code=GAJ, name="厦门市公安局", short_name="市公安局"),
        Department(code=OTHER, name="厦门市医疗保障局", short_name="市医保局"),
    ]


def small_ledger() -> list[object]:
    """A tiny consistent ledger: 3 departments, a component, systems, datasets, a matter."""
    return [
        *departments(),
        Component(code="CMP-AUTH", name="统一身份认证", department=OTHER, category="身份认证"),
        System(
            code="SYS-SCJG-1",
            name="食品经营许可系统",
            department=SCJG,
            lifecycle=Lifecycle.OPERATING,
            components=("CMP-AUTH",),
            summary="办理食品经营许可",
        ),
        System(
            code="SYS-GAJ-1",
            name="人口信息管理系统",
            department=GAJ,
            lifecycle=Lifecycle.DEVELOPING,
        ),
        DataElement(code="DE0001", name="统一社会信用代码", department=SCJG),
        DataElement(code="DE0002", name="公民身份号码", department=GAJ, personal=True),
        Dataset(
            code="DS-SCJG-1",
            name="市场主体登记信息",
            department=SCJG,
            summary="市场主体登记基本信息",
            source_system="SYS-SCJG-1",
            sharing_type=SharingType.UNCONDITIONAL,
            fields=(
                DatasetField(name="统一社会信用代码", data_element="DE0001"),
                DatasetField(name="企业名称"),
            ),
        ),
        Dataset(
            code="DS-GAJ-1",
            name="人口基础信息",
            department=GAJ,
            summary="户籍人口基础信息",
            sharing_condition="仅限政务服务办理使用",
            fields=(DatasetField(name="公民身份号码", data_element="DE0002", sensitive=True),),
        ),
        Dataset(
            code="DS-GAJ-2",
            name="在逃人员信息",
            department=GAJ,
            summary="涉密执法信息",
            sharing_type=SharingType.NOT_SHARED,
            sharing_condition="依《中华人民共和国保守国家秘密法》不予共享",
            fields=(
                DatasetField(
                    name="公民身份号码", data_element="DE0002", sensitive=True, secret=True
                ),
            ),
        ),
        CertificateType(
            code=SCJG + "001",
            name="营业执照",
            department=SCJG,
            holder_kind=HolderKind.ENTERPRISE,
            issuing_departments=(SCJG,),
            source_dataset="DS-SCJG-1",
            surface_fields=(SurfaceField(name="统一社会信用代码", data_element="DE0001"),),
        ),
        Matter(
            code="MAT-SCJG-1",
            name="食品经营许可（新办）",
            department=SCJG,
            materials=(SCJG + "001",),
            form_fields=(FormField(name="统一社会信用代码", data_element="DE0001"),),
        ),
        OneThing(code="YJS-1", name="开办餐饮店一件事", department=SCJG, matters=("MAT-SCJG-1",)),
    ]
