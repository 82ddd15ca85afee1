"""E-license types (证照类型) of the demo ledger.

A type's code is its defining body's 统一社会信用代码 plus a 3-digit number. Nationally most of
these types are defined by ministries; the demo uses the Xiamen department that issues them as
the defining body so that every code is a valid demo department code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from catalog.demo.build import SHARING, dataset_code, parse_surface
from catalog.demo.departments import dept_code
from catalog.model import CertificateType, HolderKind

PERSON, ENTERPRISE = HolderKind.PERSON, HolderKind.ENTERPRISE


@dataclass(frozen=True)
class CertRow:
    """One hand-written certificate type."""

    dept: str
    no: int
    name: str
    holder: HolderKind
    surface: str
    years: int | None
    source: str | None
    share: str
    summary: str


def _rows() -> tuple[CertRow, ...]:
    c = CertRow
    # fmt: off
    return (
        c("SCJG", 1, "营业执照", ENTERPRISE,
          "统一社会信用代码、名称=企业名称、类型=市场主体类型、法定代表人=法定代表人姓名、注册资本、成立日期、营业期限、住所、经营范围、登记机关、发证日期",
          None, "SCJG-00001", "U",
          "市场主体的主体资格证明，电子营业执照与纸质执照具有同等法律效力。"),
        c("SCJG", 2, "食品经营许可证", ENTERPRISE,
          "经营者名称=企业名称、统一社会信用代码、法定代表人（负责人）=法定代表人姓名、住所、经营场所、主体业态、经营项目=食品经营项目、许可证编号=食品经营许可证编号、有效期至、发证机关、发证日期",
          5, "SCJG-00002", "U", "从事食品销售和餐饮服务的许可证明。"),
        c("SCJG", 3, "药品经营许可证", ENTERPRISE,
          "企业名称、统一社会信用代码、法定代表人=法定代表人姓名、注册地址=住所、经营方式、经营范围、许可证编号=药品经营许可证编号、有效期至、发证机关",
          5, "SCJG-00003", "U", "药品批发、零售企业的经营许可证明。"),
        c("HJ", 1, "排污许可证", ENTERPRISE,
          "单位名称=企业名称、统一社会信用代码、法定代表人=法定代表人姓名、生产经营场所地址=住所、行业类别、主要污染物种类、证书编号=排污许可证编号、有效期至、发证机关、发证日期",
          5, "HJ-00001", "U", "排污单位依法排放污染物的许可证明。"),
        c("WJ", 1, "出生医学证明", PERSON,
          "新生儿姓名、性别=新生儿性别、出生时间、出生地点、母亲姓名、母亲身份证号=公民身份号码、父亲姓名、父亲身份证号=公民身份号码、出生医学证明编号、签发日期=发证日期",
          None, "WJ-00001", "C",
          "证明新生儿出生状态、血亲关系的法定医学证明，用于出生登记（落户）。"),
        c("WJ", 2, "医师执业证书", PERSON,
          "姓名、性别、公民身份号码、执业类别、执业范围、执业地点、证书编码=医师执业证书编码、发证日期、发证机关",
          None, "WJ-00003", "C", "医师依法执业的注册证明。"),
        c("WJ", 3, "公共场所卫生许可证", ENTERPRISE,
          "单位名称=企业名称、统一社会信用代码、法定代表人=法定代表人姓名、地址=住所、许可项目、许可证号=卫生许可证编号、有效期至、发证机关",
          4, "WJ-00004", "U", "住宿、沐浴、美容美发等公共场所的卫生许可证明。"),
        c("WJ", 4, "饮用水供水单位卫生许可证", ENTERPRISE,
          "单位名称=企业名称、统一社会信用代码、供水方式、供水地址、许可证号=卫生许可证编号、有效期至、发证机关",
          4, "WJ-00010", "U", "集中式供水和二次供水单位的卫生许可证明。"),
        c("WJ", 5, "居民死亡医学证明（推断）书", PERSON,
          "姓名、性别、公民身份号码、死亡日期、死亡原因、填报单位、签发日期=发证日期",
          None, "WJ-00002", "C", "证明居民死亡及其原因的医学证明，用于户口注销和殡葬。"),
        c("WJ", 6, "预防接种证", PERSON,
          "儿童姓名=姓名、性别、出生日期、预防接种证编号、接种单位",
          None, "WJ-00006", "C", "儿童预防接种记录凭证，入托入学时查验。"),
        c("RS", 1, "社会保障卡", PERSON,
          "姓名、社会保障号码、卡号=社会保障卡卡号、发卡日期=发证日期、有效期至",
          10, "RS-00002", "C", "持卡人享有社会保障和公共服务权益的电子凭证，兼具金融功能。"),
        c("RS", 2, "社会保险个人参保证明", PERSON,
          "姓名、公民身份号码、社会保障号码、养老保险参保状态、参保起始年月、累计缴费月数、开具日期=发证日期",
          None, "RS-00001", "C", "个人社会保险参保缴费情况证明。"),
        c("ZRZY", 1, "不动产权证书", PERSON,
          "权利人=姓名、权利人证件号码=公民身份号码、不动产权证书号、不动产单元号、坐落=不动产坐落、建筑面积、用途=不动产用途、权利类型、登记日期=发证日期",
          None, "ZRZY-00001", "C", "不动产权利人享有不动产物权的证明。"),
        c("ZRZY", 2, "建设工程规划许可证", ENTERPRISE,
          "建设单位=企业名称、统一社会信用代码、建设项目名称、建设位置、建设规模、证书编号=建设工程规划许可证编号、发证日期",
          None, "ZRZY-00002", "U", "建设工程符合国土空间规划要求的法律凭证。"),
        c("ZJ", 1, "建筑工程施工许可证", ENTERPRISE,
          "建设单位=企业名称、统一社会信用代码、工程名称、建设地址、合同价格、施工单位、编号=施工许可证编号、发证日期",
          None, "ZJ-00001", "U", "建筑工程开工的许可证明。"),
        c("GA", 1, "居民身份证", PERSON,
          "姓名、性别、民族、出生=出生日期、住址=户籍地址、公民身份号码、签发机关=发证机关、有效期限",
          None, "GA-00001", "C", "证明居住在中华人民共和国境内的公民身份的法定证件。"),
        c("GA", 2, "居民户口簿", PERSON,
          "户号、户主姓名=姓名、与户主关系、姓名、公民身份号码、出生日期、民族、住址=户籍地址、登记日期",
          None, "GA-00001", "C", "确认公民身份、家庭关系和户籍状况的法定证件。"),
        c("GA", 3, "居住证", PERSON,
          "姓名、性别、公民身份号码、居住地址、居住证号码、签发机关=发证机关、有效期至",
          None, "GA-00002", "C", "来厦居住人员享受基本公共服务和便利的凭证。"),
        c("MZ", 1, "结婚证", PERSON,
          "持证人=姓名、登记日期=发证日期、结婚证字号、男方姓名=姓名、男方身份证号=公民身份号码、女方姓名=姓名、女方身份证号=公民身份号码、登记机关=发证机关",
          None, "MZ-00001", "C", "证明婚姻关系成立的法定证件。"),
        c("MZ", 2, "火化证明", PERSON,
          "姓名、公民身份号码、死亡日期、火化日期、殡仪馆名称、证明编号",
          None, "MZ-00003", "C", "殡仪馆出具的遗体火化证明。"),
        c("JT", 1, "道路运输经营许可证", ENTERPRISE,
          "业户名称=企业名称、统一社会信用代码、法定代表人=法定代表人姓名、地址=住所、经营范围、证号=道路运输经营许可证编号、有效期至、发证机关",
          4, "JT-00001", "U", "从事道路客货运输经营的许可证明。"),
        c("JY", 1, "教师资格证书", PERSON,
          "姓名、性别、公民身份号码、资格种类、任教学科、证书号码=教师资格证书编号、认定机构=发证机关、发证日期",
          None, "JY-00002", "C", "具备教师资格的法定凭证。"),
        c("GJJ", 1, "住房公积金缴存证明", PERSON,
          "姓名、公民身份号码、公积金账号、缴存单位=企业名称~、缴存基数=公积金缴存基数、账户状态、开具日期=发证日期",
          None, "GJJ-00001", "C", "职工住房公积金缴存情况证明，用于购房、贷款和落户。"),
        c("CL", 1, "中华人民共和国残疾人证", PERSON,
          "姓名、性别、公民身份号码、残疾人证号、残疾类别、残疾等级、住址=户籍地址、发证日期、有效期至",
          10, "CL-00001", "C", "认定残疾人及残疾类别、等级的合法证件（第三代）。"),
        c("TYJR", 1, "中华人民共和国退役军人优待证", PERSON,
          "姓名、公民身份号码、退役军人优待证号、发证日期",
          None, "TYJR-00002", "C", "退役军人享受优待的凭证。"),
        c("YC", 1, "烟草专卖零售许可证", ENTERPRISE,
          "企业名称、统一社会信用代码、负责人=法定代表人姓名、经营场所=住所、许可范围、许可证号=烟草专卖零售许可证编号、有效期至、发证机关",
          5, "YC-00001", "U", "从事卷烟、雪茄烟零售业务的许可证明。"),
        c("SW", 1, "清税证明", ENTERPRISE,
          "纳税人名称=企业名称、纳税人识别号、清税证明文号、开具日期=发证日期、税务机关=发证机关",
          None, "SW-00004", "U", "纳税人已结清税款、滞纳金和罚款的证明，用于注销登记。"),
        c("SZYL", 1, "城镇污水排入排水管网许可证", ENTERPRISE,
          "排水户名称=企业名称、统一社会信用代码、排水地址、排水户类型、许可证编号、有效期至、发证机关",
          5, "SZYL-00006", "U", "排水户向城镇排水设施排放污水的许可证明。"),
        c("XF", 1, "公众聚集场所投入使用、营业前消防安全检查合格证", ENTERPRISE,
          "单位名称=企业名称、统一社会信用代码、场所地址、使用性质、建筑面积、文书编号、发证日期",
          None, None, "C", "公众聚集场所投入使用、营业前的消防安全检查合格证明。"),
    )
    # fmt: on


@cache
def _by_name() -> dict[str, CertRow]:
    return {row.name: row for row in _rows()}


def cert_code(name: str) -> str:
    """The code of the demo certificate type with this exact name."""
    row = _by_name()[name]
    return f"{dept_code(row.dept)}{row.no:03d}"


def certificate_types() -> list[CertificateType]:
    """Every demo certificate type."""
    return [
        CertificateType(
            code=f"{dept_code(row.dept)}{row.no:03d}",
            name=row.name,
            department=dept_code(row.dept),
            issuing_departments=(dept_code(row.dept),),
            holder_kind=row.holder,
            surface_fields=parse_surface(row.surface),
            validity_years=row.years,
            source_dataset=dataset_code(row.source) if row.source else None,
            sharing_type=SHARING[row.share],
            summary=row.summary,
        )
        for row in _rows()
    ]
