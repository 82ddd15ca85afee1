"""Data elements (数据元) of the demo ledger and, for most, their authoritative source dataset.

Codes are ``DE0001`` …; names follow the national/provincial data element standards where one
exists. A data element without an authoritative dataset (联系电话, 住址, 供水户号 …) has no single
source of truth in the city: every matter has to collect it from the applicant.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from catalog.demo.departments import dept_code
from catalog.model import DataElement, FieldType

S, N, D, T = (
    FieldType.STRING,
    FieldType.DECIMAL,
    FieldType.DATE,
    FieldType.DATETIME,
)


@dataclass(frozen=True)
class ElementRow:
    """One hand-written data element."""

    code: str
    name: str
    dept: str
    auth: str | None
    type: FieldType
    length: int | None
    personal: bool
    format: str
    definition: str


def _rows() -> tuple[ElementRow, ...]:
    def p(
        code: str,
        name: str,
        dept: str,
        auth: str | None,
        t: FieldType,
        n: int | None,
        fmt: str,
        definition: str,
    ) -> ElementRow:
        return ElementRow(code, name, dept, auth, t, n, True, fmt, definition)

    def o(
        code: str,
        name: str,
        dept: str,
        auth: str | None,
        t: FieldType,
        n: int | None,
        fmt: str,
        definition: str,
    ) -> ElementRow:
        return ElementRow(code, name, dept, auth, t, n, False, fmt, definition)

    pop, marr, death = "350200-GA-00001", "350200-MZ-00001", "350200-WJ-00002"
    birth, si, card = "350200-WJ-00001", "350200-RS-00001", "350200-RS-00002"
    pension, med, hpf = "350200-RS-00004", "350200-YB-00001", "350200-GJJ-00001"
    ent, food, tax = "350200-SCJG-00001", "350200-SCJG-00002", "350200-SW-00001"
    estate = "350200-ZRZY-00001"
    # fmt: off
    return (
        # -- 自然人
        p("DE0001", "公民身份号码", "GA", pop, S, 18, "GB 11643，18位含校验位",
          "赋码机关为每个公民给出的唯一的、终身不变的身份代码"),
        p("DE0002", "姓名", "GA", pop, S, 50, "", "在户籍管理部门正式登记注册的人的姓氏名称"),
        p("DE0003", "性别", "GA", pop, S, 1, "GB/T 2261.1", "人的生理性别"),
        p("DE0004", "出生日期", "GA", pop, D, None, "YYYYMMDD", "公民出生的公历日期"),
        p("DE0005", "民族", "GA", pop, S, 2, "GB/T 3304", "公民所属的民族"),
        p("DE0006", "户籍地址", "GA", pop, S, 200, "", "公民常住户口登记的详细地址"),
        p("DE0007", "居住地址", "SJJ", None, S, 200, "", "公民实际居住地的详细地址"),
        p("DE0008", "联系电话", "SJJ", None, S, 20, "", "可与本人取得联系的电话号码"),
        p("DE0009", "婚姻状况", "MZ", marr, S, 2, "GB/T 2261.2", "公民当前的婚姻状态"),
        p("DE0010", "学历", "JY", None, S, 2, "GB/T 4658", "公民获得的最高学历"),
        p("DE0011", "户号", "GA", pop, S, 20, "", "户籍管理部门为每户编制的户口编号"),
        p("DE0012", "与户主关系", "GA", pop, S, 2, "GB/T 4761", "户内成员与户主的关系"),
        p("DE0013", "死亡日期", "WJ", death, D, None, "YYYYMMDD",
          "居民死亡医学证明书记载的死亡日期"),
        p("DE0014", "社会保障号码", "RS", si, S, 18, "与公民身份号码一致",
          "社会保险经办机构记录参保人员的唯一标识"),
        p("DE0015", "社会保障卡卡号", "RS", card, S, 9, "", "社会保障卡卡面印制的卡号"),
        p("DE0016", "养老保险参保状态", "RS", si, S, 2, "参保缴费/暂停缴费/终止",
          "个人基本养老保险的参保缴费状态"),
        p("DE0017", "医保参保状态", "YB", med, S, 2, "参保/暂停/终止", "个人基本医疗保险参保状态"),
        p("DE0018", "医保个人编号", "YB", med, S, 30, "", "医保信息平台为参保人分配的个人编号"),
        p("DE0019", "公积金账号", "GJJ", hpf, S, 20, "", "住房公积金个人账户账号"),
        p("DE0020", "公积金缴存基数", "GJJ", hpf, N, 12, "元，两位小数",
          "职工住房公积金月缴存基数"),
        p("DE0021", "公积金账户余额", "GJJ", hpf, N, 14, "元，两位小数", "个人住房公积金账户余额"),
        p("DE0022", "出生医学证明编号", "WJ", birth, S, 10, "字母+9位数字",
          "出生医学证明的唯一编号"),
        p("DE0023", "新生儿姓名", "WJ", birth, S, 50, "", "出生医学证明记载的新生儿姓名"),
        p("DE0024", "新生儿性别", "WJ", birth, S, 1, "GB/T 2261.1", "新生儿的生理性别"),
        p("DE0025", "出生时间", "WJ", birth, T, None, "YYYYMMDDhhmm", "新生儿出生的日期和时刻"),
        p("DE0026", "出生地点", "WJ", birth, S, 200, "", "新生儿出生地的省、市、县（区）"),
        p("DE0027", "母亲姓名", "WJ", birth, S, 50, "", "出生医学证明记载的母亲姓名"),
        p("DE0028", "父亲姓名", "WJ", birth, S, 50, "", "出生医学证明记载的父亲姓名"),
        p("DE0029", "残疾人证号", "CL", "350200-CL-00001", S, 20, "公民身份号码+2位类别等级",
          "中华人民共和国残疾人证编号"),
        p("DE0030", "残疾类别", "CL", "350200-CL-00001", S, 1, "GB/T 26341",
          "视力、听力等残疾类别"),
        p("DE0031", "残疾等级", "CL", "350200-CL-00001", S, 1, "一级至四级", "残疾程度等级"),
        p("DE0032", "退役军人优待证号", "TYJR", "350200-TYJR-00001", S, 20, "",
          "中华人民共和国退役军人优待证编号"),
        p("DE0033", "全国学籍号", "JY", "350200-JY-00001", S, 19, "G+公民身份号码",
          "学生的全国学籍号"),
        p("DE0034", "教师资格证书编号", "JY", "350200-JY-00002", S, 17, "", "教师资格证书编号"),
        p("DE0035", "医师执业证书编码", "WJ", "350200-WJ-00003", S, 15, "", "医师执业证书编码"),
        p("DE0036", "结婚证字号", "MZ", marr, S, 20, "J+行政区划+年份+顺序号", "结婚证字号"),
        p("DE0037", "退休日期", "RS", pension, D, None, "YYYYMMDD", "职工办理退休的日期"),
        p("DE0038", "基本养老金月领取金额", "RS", pension, N, 12, "元，两位小数",
          "退休人员按月领取的基本养老金"),
        p("DE0039", "银行账号", "SJJ", None, S, 32, "", "个人或单位在银行开立的结算账户账号"),
        p("DE0040", "电子邮箱", "SJJ", None, S, 100, "RFC 5322", "电子邮件地址"),
        p("DE0041", "居住证号码", "GA", "350200-GA-00002", S, 18, "", "福建省居住证编号"),
        p("DE0042", "死亡原因", "WJ", death, S, 200, "ICD-10", "根本死亡原因"),
        p("DE0043", "预防接种证编号", "WJ", None, S, 20, "", "儿童预防接种证编号"),
        p("DE0044", "台胞证号码", "TB", None, S, 10, "", "台湾居民来往大陆通行证号码"),
        # -- 法人和其他组织
        o("DE0050", "统一社会信用代码", "SCJG", ent, S, 18, "GB 32100，18位含校验位",
          "法人和其他组织的唯一的、终身不变的法定身份识别码"),
        o("DE0051", "企业名称", "SCJG", ent, S, 200, "", "在登记机关依法登记的市场主体名称"),
        o("DE0052", "法定代表人姓名", "SCJG", ent, S, 50, "",
          "依法代表法人行使民事权利的负责人姓名（依法公示）"),
        o("DE0053", "注册资本", "SCJG", ent, N, 18, "万元，六位小数",
          "市场主体登记的注册资本（出资额）"),
        o("DE0054", "经营范围", "SCJG", ent, S, 4000, "", "市场主体登记的经营范围"),
        o("DE0055", "登记机关", "SCJG", ent, S, 100, "", "办理市场主体登记的机关名称"),
        o("DE0056", "成立日期", "SCJG", ent, D, None, "YYYYMMDD", "市场主体营业执照签发日期"),
        o("DE0057", "住所", "SCJG", ent, S, 200, "", "市场主体登记的住所（主要经营场所）"),
        o("DE0058", "市场主体类型", "SCJG", ent, S, 4, "市场主体类型代码",
          "有限责任公司、个体工商户等"),
        o("DE0059", "登记状态", "SCJG", ent, S, 2, "存续/吊销/注销/迁出", "市场主体的登记状态"),
        o("DE0060", "营业期限", "SCJG", ent, S, 40, "起止日期或长期", "市场主体的营业期限"),
        o("DE0061", "纳税人识别号", "SW", tax, S, 20, "单位与统一社会信用代码一致",
          "税务机关赋予纳税人的识别号"),
        o("DE0062", "纳税信用等级", "SW", "350200-SW-00002", S, 1, "A/B/M/C/D", "纳税信用评价级别"),
        o("DE0063", "欠税余额", "SW", "350200-SW-00003", N, 18, "元，两位小数",
          "纳税人当前欠缴税款"),
        o("DE0064", "食品经营许可证编号", "SCJG", food, S, 14, "JY+14位数字", "食品经营许可证编号"),
        o("DE0065", "食品经营项目", "SCJG", food, S, 500, "", "许可的食品经营项目"),
        o("DE0066", "药品经营许可证编号", "SCJG", "350200-SCJG-00003", S, 20, "",
          "药品经营许可证编号"),
        o("DE0067", "排污许可证编号", "HJ", "350200-HJ-00001", S, 22, "统一社会信用代码+顺序码",
          "排污许可证编号"),
        o("DE0068", "行业类别", "FG", None, S, 5, "GB/T 4754", "国民经济行业分类代码"),
        o("DE0069", "主要污染物种类", "HJ", "350200-HJ-00001", S, 200, "", "许可排放的主要污染物"),
        o("DE0070", "初始排污权核定量", "HJ", "350200-HJ-00002", N, 14, "吨/年",
          "核定的主要污染物初始排污权"),
        o("DE0071", "道路运输经营许可证编号", "JT", "350200-JT-00001", S, 20, "闽交运管许可厦字+号",
          "道路运输经营许可证编号"),
        o("DE0072", "烟草专卖零售许可证编号", "YC", "350200-YC-00001", S, 15, "",
          "烟草专卖零售许可证号"),
        o("DE0073", "卫生许可证编号", "WJ", "350200-WJ-00004", S, 30, "", "卫生许可证编号"),
        o("DE0074", "单位社保编号", "RS", "350200-RS-00003", S, 20, "", "单位社会保险登记编号"),
        o("DE0075", "单位公积金账号", "GJJ", "350200-GJJ-00002", S, 20, "", "单位住房公积金账号"),
        o("DE0076", "投资项目统一代码", "FG", "350200-FG-00001", S, 24, "年份-区划-行业-顺序号",
          "投资项目在线审批监管平台赋予的项目代码"),
        o("DE0077", "建设工程规划许可证编号", "ZRZY", "350200-ZRZY-00002", S, 30, "",
          "建设工程规划许可证编号"),
        o("DE0078", "施工许可证编号", "ZJ", "350200-ZJ-00001", S, 18, "", "建筑工程施工许可证编号"),
        o("DE0079", "不动产单元号", "ZRZY", estate, S, 28, "GB/T 37346，28位",
          "不动产单元的唯一编码"),
        o("DE0080", "不动产权证书号", "ZRZY", estate, S, 40, "闽（年份）厦门市不动产权第号",
          "不动产权证书的编号"),
        o("DE0081", "不动产坐落", "ZRZY", estate, S, 200, "", "不动产所在的详细位置"),
        o("DE0082", "建筑面积", "ZRZY", estate, N, 12, "平方米，两位小数", "房屋的建筑面积"),
        o("DE0083", "不动产用途", "ZRZY", estate, S, 20, "", "不动产的规划用途"),
        o("DE0084", "供水户号", "SZYL", None, S, 20, "", "供水企业为用水户编制的户号"),
        o("DE0085", "用电户号", "FG", None, S, 20, "", "供电企业为用电户编制的户号"),
        o("DE0086", "燃气户号", "SZYL", None, S, 20, "", "燃气企业为用气户编制的户号"),
        o("DE0087", "行政处罚决定书文号", "FG", "350200-FG-00002", S, 60, "", "行政处罚决定书文号"),
        o("DE0088", "有效期至", "SJJ", None, D, None, "YYYYMMDD", "证照或许可的有效期截止日期"),
        o("DE0089", "发证日期", "SJJ", None, D, None, "YYYYMMDD", "证照或许可的签发日期"),
        o("DE0090", "发证机关", "SJJ", None, S, 100, "", "签发证照或许可的机关名称"),
    )
    # fmt: on


@cache
def _by_name() -> dict[str, ElementRow]:
    return {row.name: row for row in _rows()}


def element_row(name: str) -> ElementRow:
    """The demo data element with this exact name (raises KeyError for a typo in the demo)."""
    return _by_name()[name]


def element_code(name: str) -> str:
    """The code of the demo data element with this exact name."""
    return element_row(name).code


def data_elements() -> list[DataElement]:
    """Every demo data element."""
    return [
        DataElement(
            code=row.code,
            name=row.name,
            department=dept_code(row.dept),
            definition=row.definition,
            data_type=row.type,
            format=row.format,
            personal=row.personal,
            authoritative_dataset=row.auth,
        )
        for row in _rows()
    ]
