"""Departments of Xiamen's 2024 "高效办成一件事" work plan, as the demo ledger knows them.

Each department has a short key used by the other demo modules (and in dataset codes such as
``350200-SCJG-00001``), a stable sequence number from which its 统一社会信用代码 is made with
`make_uscc` (synthetic but valid codes, never a real body's), and the names people type.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from catalog.codes import make_uscc
from catalog.model import Department

REGION = "350200"


@dataclass(frozen=True)
class DeptRow:
    """One hand-written department: key, number, full name, short name, aliases, summary."""

    key: str
    no: int
    name: str
    short: str
    aliases: tuple[str, ...]
    summary: str


def _rows() -> tuple[DeptRow, ...]:
    r = DeptRow
    return (
        r(
            "SJJ",
            1,
            "厦门市数据管理局",
            "市数据管理局",
            ("数据管理局", "市数据局", "数据局", "大数据局"),
            "统筹全市公共数据资源管理、政务数据共享开放和数字政府基础设施建设，"
            "建设运维一体化数字资源管理平台（IRS）。",
        ),
        r(
            "ZWFW",
            2,
            "厦门市政务服务中心管理委员会",
            "市政务服务中心管委会",
            ("政务服务中心", "市行政服务中心", "行政审批", "市审改办", "政务服务管理局"),
            "负责市行政服务中心运行和政务服务标准化，推进“一网好办”“高效办成一件事”，"
            "管理综合收件、通用审批和12345热线。",
        ),
        r(
            "GA",
            3,
            "厦门市公安局",
            "市公安局",
            ("公安局", "市局"),
            "负责户籍、居民身份证、居住证、出入境和交通管理等公安行政管理工作，维护人口基础信息。",
        ),
        r(
            "SCJG",
            4,
            "厦门市市场监督管理局",
            "市市场监管局",
            ("市场监管局", "市监局", "工商局"),
            "负责市场主体登记注册、食品药品经营许可和市场监管，维护法人基础信息（市场主体部分）。",
        ),
        r(
            "YB",
            5,
            "厦门市医疗保障局",
            "市医保局",
            ("医保局", "医疗保障局"),
            "负责基本医疗保险、生育保险参保缴费与待遇保障，建设运维医保信息平台厦门部分。",
        ),
        r(
            "RS",
            6,
            "厦门市人力资源和社会保障局",
            "市人社局",
            ("人社局", "社保局", "劳动局"),
            "负责社会保险、就业创业、人才服务和社会保障卡管理。",
        ),
        r(
            "SW",
            7,
            "国家税务总局厦门市税务局",
            "市税务局",
            ("税务局", "厦门税务"),
            "负责税费征收管理、纳税服务和纳税信用管理，运维电子税务局厦门部分。",
        ),
        r(
            "ZJ",
            8,
            "厦门市建设局",
            "市建设局",
            ("市住建局", "住建局", "建设局"),
            "负责工程建设项目施工许可、建筑市场和房地产市场管理，牵头工程建设项目审批制度改革。",
        ),
        r(
            "GJJ",
            9,
            "厦门市住房公积金中心",
            "市公积金中心",
            ("公积金中心", "住房公积金中心"),
            "负责住房公积金归集、提取、贷款和缴存单位、职工账户管理。",
        ),
        r(
            "WJ",
            10,
            "厦门市卫生健康委员会",
            "市卫健委",
            ("卫健委", "卫生局", "卫计委"),
            "负责医疗机构和医师执业管理、出生医学证明、公共场所卫生许可和全民健康信息平台。",
        ),
        r(
            "JY",
            11,
            "厦门市教育局",
            "市教育局",
            ("教育局",),
            "负责各级各类教育管理、义务教育招生入学和教师资格认定。",
        ),
        r(
            "SF",
            12,
            "厦门市司法局",
            "市司法局",
            ("司法局",),
            "负责公共法律服务、公证、法律援助、人民调解和行政复议工作。",
        ),
        r(
            "FG",
            13,
            "厦门市发展和改革委员会",
            "市发改委",
            ("发改委", "发展改革委"),
            "负责投资项目审批核准备案、社会信用体系建设、价格和能源（电力）管理。",
        ),
        r(
            "GX",
            14,
            "厦门市工业和信息化局",
            "市工信局",
            ("工信局",),
            "负责工业和信息化发展、中小企业服务和通信基础设施协调。",
        ),
        r(
            "CZ",
            15,
            "厦门市财政局",
            "市财政局",
            ("财政局",),
            "负责财政预算、非税收入收缴和政府采购管理，运维统一公共支付平台。",
        ),
        r(
            "SZYL",
            16,
            "厦门市市政园林局",
            "市市政园林局",
            ("市政园林局", "市政局", "园林局"),
            "负责城市道路、供水、燃气、排水、园林绿化和户外招牌设置等市政公用事业管理。",
        ),
        r(
            "TB",
            17,
            "中共厦门市委台湾工作办公室",
            "市委台办",
            ("市台办", "台办", "市台港澳办"),
            "负责对台工作和台胞台企服务，推进台胞“同等待遇”政务服务。",
        ),
        r(
            "MZ",
            18,
            "厦门市民政局",
            "市民政局",
            ("民政局",),
            "负责婚姻登记、收养登记、社会救助、殡葬管理和社会组织登记。",
        ),
        r(
            "ZRZY",
            19,
            "厦门市自然资源和规划局",
            "市资源规划局",
            ("自然资源局", "资源规划局", "规划局", "国土局", "市自然资源和规划局"),
            "负责国土空间规划、建设工程规划许可和不动产统一登记。",
        ),
        r(
            "HJ",
            20,
            "厦门市生态环境局",
            "市生态环境局",
            ("生态环境局", "环保局", "环境局"),
            "负责环境影响评价审批、排污许可、排污权管理和生态环境执法。",
        ),
        r(
            "JT",
            21,
            "厦门市交通运输局",
            "市交通局",
            ("交通局", "市交通运输局", "运管处"),
            "负责道路运输、城市公共交通和港口航运行政管理。",
        ),
        r(
            "SHW",
            22,
            "厦门市商务局",
            "市商务局",
            ("商务局",),
            "负责内外贸易、外商投资促进和外商投资信息报告。",
        ),
        r(
            "CL",
            23,
            "厦门市残疾人联合会",
            "市残联",
            ("残联", "残疾人联合会"),
            "负责残疾人证核发管理、残疾人康复就业和权益保障服务。",
        ),
        r(
            "TYJR",
            24,
            "厦门市退役军人事务局",
            "市退役军人局",
            ("退役军人事务局", "退役军人局"),
            "负责退役军人移交安置、优抚褒扬和退役军人服务保障。",
        ),
        r(
            "YC",
            25,
            "厦门市烟草专卖局",
            "市烟草专卖局",
            ("烟草局", "烟草专卖局"),
            "负责烟草专卖许可证核发和烟草专卖市场管理。",
        ),
        r(
            "XF",
            26,
            "厦门市消防救援支队",
            "市消防救援支队",
            ("消防支队", "消防救援支队", "消防局"),
            "负责火灾预防和消防监督检查，办理公众聚集场所投入使用、营业前消防安全检查。",
        ),
    )


@cache
def _by_key() -> dict[str, DeptRow]:
    return {row.key: row for row in _rows()}


def dept_code(key: str) -> str:
    """The 统一社会信用代码 of the demo department with this key (e.g. ``"SCJG"``)."""
    return make_uscc(region=REGION, registration_dept="1", org_type="1", seq=1000 + _no(key))


def dept_short(key: str) -> str:
    """The short name people use for the department (e.g. ``"市市场监管局"``)."""
    return _by_key()[key].short


def dept_no(key: str) -> int:
    """The department's stable number, used inside matter codes."""
    return _no(key)


def _no(key: str) -> int:
    return _by_key()[key].no


def departments() -> list[Department]:
    """Every demo department, in a stable order."""
    return [
        Department(
            code=dept_code(row.key),
            name=row.name,
            short_name=row.short,
            aliases=row.aliases,
            region=REGION,
            summary=row.summary,
        )
        for row in _rows()
    ]
