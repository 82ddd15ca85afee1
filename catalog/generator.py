"""Seeded generator of synthetic ledgers of any size, for tests and benchmarks.

`generate_ledger(seed=..., size=LedgerSize.small())` returns realistic-looking catalog entities
(Chinese names and summaries of Xiamen departments, systems, datasets, ...) that pass every
rule of `catalog.rules`, plus a lineage graph between datasets. The output depends only on the
seed and the size: a private `random.Random(seed)` drives every choice, never the global one,
and nothing iterates a set of strings (whose order changes with hash randomization).

Entities come in an order a bulk load can check front to back: departments, components,
systems, data elements (without `authoritative_dataset`), datasets, certificate types,
matters, one-thing bundles. Every reference points at an entity earlier in the list.

Codes: departments carry valid USCCs from `catalog.codes.make_uscc`; a certificate type code is
its defining department's USCC plus a 3-digit number (001-999, so at most 999 per department);
every other code matches `catalog.rules.GENERIC_CODE` and encodes the list position, so codes
do not depend on the seed (names, owners and attributes do):

* component ``CMP-001``, system ``XT-350203-00012``, data element ``DE00042``,
* dataset ``350200-007/000123`` (region, department number, sequence),
* matter ``350206-XK-00031`` (region, category, sequence), one-thing ``YJS-001``.

Attribute mix of datasets (all within the rules): about 45 % shared unconditionally, 45 %
conditionally and 10 % not shared; NOT_SHARED datasets are NOT_OPEN and state a legal basis,
CONDITIONAL ones state a condition; only GENERAL-grade datasets open unconditionally and those
never contain a sensitive field; secret fields appear only in NOT_SHARED datasets.

Lineage shape (`GeneratedLedger.derivations`, pairs ``(derived, source)`` of dataset codes):
datasets are grouped by department in list order. Dataset *i* draws ``K`` sources with
``K`` uniform on ``0..2d`` (``d = derivations_per_dataset``, so the mean is *d*), all among
datasets ``j < i`` — the list order is a topological order, so the graph is a DAG. A source is
picked from the window of the ``_WINDOW`` (400) preceding datasets with probability 0.8
(mostly the same department: locality), otherwise uniformly among all earlier datasets (a
cross-department feed). Duplicate picks are dropped, so the realised mean is a little below
*d* (3.99 for d = 4). About 1/(2d+1) of the datasets are sources of record without upstream.
At 100k datasets and d = 4 the 5-hop upstream neighbourhood of a dataset in the second half
of the list holds about 1000 datasets (measured over 500 samples: median 1000-1100, mean about
1100, 90th percentile about 2200, and 0 for the ~11 % without sources). Downstream
neighbourhoods are larger for early datasets, which every later window and feed can reach.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from catalog.codes import make_uscc
from catalog.collector import collector_paused
from catalog.model import (
    CertificateType,
    CollectionMode,
    Component,
    DataElement,
    DataFormat,
    Dataset,
    DatasetField,
    Department,
    Entity,
    FieldType,
    FormField,
    Grade,
    HolderKind,
    Lifecycle,
    LifecycleEvent,
    Matter,
    OneThing,
    OpenType,
    SharingMethod,
    SharingType,
    SurfaceField,
    System,
    UpdateCycle,
)

__all__ = ["GeneratedLedger", "LedgerSize", "generate_ledger"]

_MAX_CERTS_PER_DEPT = 999
_WINDOW = 400
_LOCAL_SHARE = 0.8
_VARIANTS = 8
_TABLE = 4096

# --------------------------------------------------------------------------- sizes


@dataclass(frozen=True, kw_only=True)
class LedgerSize:
    """How many of each kind to generate.

    `fields_per_dataset` and `form_fields_per_matter` are exact per entity;
    `derivations_per_dataset` is the mean number of lineage sources of a dataset.
    """

    departments: int = 0
    systems: int = 0
    components: int = 0
    data_elements: int = 0
    datasets: int = 0
    fields_per_dataset: int = 8
    certificate_types: int = 0
    matters: int = 0
    form_fields_per_matter: int = 6
    one_things: int = 0
    derivations_per_dataset: int = 4

    def __post_init__(self) -> None:
        for name in _SIZE_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative int, got {value!r}")
        if self.fields_per_dataset < 1:
            raise ValueError("fields_per_dataset must be at least 1 (a dataset needs a field)")
        if self.departments == 0 and self.total_resources > 0:
            raise ValueError("at least one department is needed to own the other resources")
        if self.one_things and not self.matters:
            raise ValueError("one-thing bundles need at least one matter")
        if self.certificate_types > _MAX_CERTS_PER_DEPT * self.departments:
            raise ValueError(
                f"at most {_MAX_CERTS_PER_DEPT} certificate types per department "
                "(3-digit code suffix)"
            )

    @property
    def total_resources(self) -> int:
        """The number of entities `generate_ledger` returns for this size."""
        return sum(getattr(self, name) for name in _KIND_FIELDS)

    @classmethod
    def small(cls) -> LedgerSize:
        """A ledger for unit tests: 10 departments, 50 datasets, a bit of everything."""
        return cls(
            departments=10,
            systems=20,
            components=5,
            data_elements=60,
            datasets=50,
            fields_per_dataset=6,
            certificate_types=8,
            matters=20,
            form_fields_per_matter=5,
            one_things=3,
            derivations_per_dataset=2,
        )

    @classmethod
    def benchmark(cls) -> LedgerSize:
        """100k datasets of 8 fields (4 lineage sources each) and proportionate others."""
        return cls(
            departments=50,
            systems=2000,
            components=20,
            data_elements=500,
            datasets=100_000,
            fields_per_dataset=8,
            certificate_types=200,
            matters=2000,
            form_fields_per_matter=6,
            one_things=100,
            derivations_per_dataset=4,
        )

    @classmethod
    def scaled(cls, total_resources: int) -> LedgerSize:
        """About `total_resources` entities in the proportions of `benchmark()`.

        `scaled(LedgerSize.benchmark().total_resources) == LedgerSize.benchmark()`; a positive
        total always gets at least one department and one dataset.
        """
        if isinstance(total_resources, bool) or total_resources < 0:
            raise ValueError(f"total_resources must be >= 0, got {total_resources!r}")
        bench = cls.benchmark()
        whole = bench.total_resources
        counts = {
            name: round(total_resources * getattr(bench, name) / whole) for name in _KIND_FIELDS
        }
        if total_resources > 0:
            counts["departments"] = max(1, counts["departments"])
            counts["datasets"] = max(1, counts["datasets"])
        if not counts["matters"]:
            counts["one_things"] = 0
        return cls(
            **counts,
            fields_per_dataset=bench.fields_per_dataset,
            form_fields_per_matter=bench.form_fields_per_matter,
            derivations_per_dataset=bench.derivations_per_dataset,
        )


_KIND_FIELDS = (
    "departments",
    "systems",
    "components",
    "data_elements",
    "datasets",
    "certificate_types",
    "matters",
    "one_things",
)
_SIZE_FIELDS = (
    *_KIND_FIELDS,
    "fields_per_dataset",
    "form_fields_per_matter",
    "derivations_per_dataset",
)


@dataclass(frozen=True)
class GeneratedLedger:
    """Entities in load order, and lineage pairs ``(derived, source)`` of dataset codes."""

    entities: list[Entity] = field(default_factory=list)
    derivations: list[tuple[str, str]] = field(default_factory=list)


# --------------------------------------------------------------------------- vocabulary

_REGIONS: tuple[tuple[str, str], ...] = (
    ("350200", "厦门市"),
    ("350203", "思明区"),
    ("350205", "海沧区"),
    ("350206", "湖里区"),
    ("350211", "集美区"),
    ("350212", "同安区"),
    ("350213", "翔安区"),
)

_THEMES = {
    "人": "人员",
    "企": "法人",
    "址": "地址",
    "证": "证照",
    "保": "社会保障",
    "税": "税务",
    "教": "教育",
    "健": "卫生健康",
    "房": "不动产",
    "车": "交通车辆",
    "项": "投资项目",
    "通": "通用",
}

# full name | short name | what it governs | has district bureaus | subject:themes:category, ...
# Category letters: X 行政许可, Q 行政确认, J 行政给付, G 公共服务, B 行政备案, C 行政处罚.
_DEPT_TABLE = """
市场监督管理局|市场监管局|市场监督管理|1|食品经营许可:企址证:X,企业登记注册:企址人:Q,个体工商户登记:人企址:Q,特种设备使用登记:企证:X,药品经营许可:企址证:X,市场监管行政处罚:企通:C,计量器具检定:企:G
公安局|公安局|社会治安和公安行政管理|1|户籍人口:人址:Q,居住证申领:人址:X,机动车驾驶证:人车证:X,机动车登记:人车:Q,流动人口登记:人址:B,旅馆业住宿登记:人企:B
民政局|民政局|民政事务|1|婚姻登记:人:Q,最低生活保障:人址保:J,社会组织登记:企址:X,养老机构备案:企址:B,残疾人两项补贴:人健:J,地名信息:址:G
人力资源和社会保障局|人社局|人力资源和社会保障|1|社会保险参保登记:人企保:Q,失业登记:人保:Q,职业资格证书:人证教:Q,劳动合同备案:人企:B,技能提升补贴:人保:J
教育局|教育局|教育事业|1|中小学学籍:人教:Q,学校基本情况:教址:G,教师资格认定:人教证:X,学前教育资助:人教:J,民办学校办学许可:企教证:X
卫生健康委员会|卫健委|卫生健康事业|1|出生医学证明:人健证:Q,医疗机构执业许可:企健证:X,医师执业注册:人健证:X,预防接种:人健:G,公共场所卫生许可:企址证:X
自然资源和规划局|资源规划局|自然资源和国土空间规划|0|不动产登记:人房址证:Q,建设用地规划许可:企项房:X,国有土地使用权出让:企房:G,建设工程规划许可:企项址:X
住房和建设局|建设局|住房和城乡建设|1|商品房预售许可:企房证:X,建筑工程施工许可:企项证:X,物业服务企业备案:企址:B,建筑业企业资质:企证:X,保障性住房:人房:J
交通运输局|交通局|交通运输|0|道路运输经营许可:企车证:X,道路运输从业资格:人车证:Q,网约车运输证:企车证:X,公交线路运营:车项:G
税务局|税务局|税收征管|1|纳税人登记:企税址:Q,纳税信用评价:企税:Q,完税证明:人企税:G,发票领用:企税:G
生态环境局|环境局|生态环境保护|1|排污许可:企址证:X,环境影响评价审批:企项:X,环境行政处罚:企通:C,空气质量监测:址:G
文化和旅游局|文旅局|文化和旅游|1|旅行社经营许可:企证:X,娱乐场所经营许可:企址证:X,旅游景区评定:企址:Q,文物保护单位:址:G
应急管理局|应急局|应急管理和安全生产|1|危险化学品经营许可:企址证:X,安全生产许可:企证:X,安全生产行政处罚:企通:C,应急避难场所:址:G
医疗保障局|医保局|医疗保障|0|基本医疗保险参保:人保:Q,医保定点医药机构:企健:X,医疗费用结算:人保健:J,异地就医备案:人保:B
退役军人事务局|退役军人局|退役军人服务保障|1|退役军人档案:人:Q,优抚对象认定:人保:Q,退役军人优待证:人证:Q
司法局|司法局|司法行政|1|律师执业许可:人证:X,法律援助:人通:G,人民调解组织备案:企址:B,公证员执业:人证:X
财政局|财政局|财政收支管理|0|政府采购项目:企项:G,非税收入缴款:人企:G,行政事业单位资产:企:G
统计局|统计局|统计调查|1|统计调查对象名录:企址:G,统计执法检查:企通:C
农业农村局|农业农村局|农业农村工作|1|农药经营许可:企址证:X,动物防疫条件审查:企址证:X,家庭农场认定:人企址:Q,农机购置补贴:人车:J
城市管理行政执法局|执法局|城市管理综合执法|1|户外广告设置许可:企址证:X,城市管理行政处罚:人企通:C,建筑垃圾处置核准:企项:X
海洋发展局|海洋局|海洋资源开发保护|0|海域使用权登记:企址证:Q,渔业船舶登记:人企证:Q,海洋伏季休渔补助:人:J
商务局|商务局|商务和对外贸易|0|对外贸易经营者备案:企证:B,单用途预付卡备案:企:B,成品油零售经营许可:企址证:X
发展和改革委员会|发改委|经济社会发展规划|1|投资项目备案:企项:B,政府投资项目审批:项:X,价格监测:通:G
工业和信息化局|工信局|工业和信息化|1|专精特新企业认定:企:Q,技术改造项目备案:企项:B,无线电台站设置:企证:X
科学技术局|科技局|科技创新|1|高新技术企业认定:企:Q,科技计划项目:企项:G,技术合同登记:企:B
水利局|水利局|水资源管理|1|取水许可:企址证:X,河道采砂许可:企址证:X,水利工程建设:项址:G
市政园林局|市政园林局|市政公用和园林绿化|0|城市绿化工程:项址:G,古树名木保护:址:G,占用城市道路许可:企址证:X
住房公积金中心|公积金中心|住房公积金管理|0|住房公积金缴存:人企保:Q,住房公积金贷款:人房保:J,住房公积金提取:人保:J
残疾人联合会|残联|残疾人事业|1|残疾人证办理:人健证:Q,残疾人就业:人企:G
数据管理局|数据局|公共数据资源管理|0|公共数据目录:通:G,电子证照共享调用:证通:G,政务服务好差评:人通:G
"""

# name | type | length | theme | flags (p personal, s sensitive, f fixed length) | definition
_ELEMENT_TABLE = """
姓名|S|50|人|p|自然人在户籍登记中使用的正式姓名
公民身份号码|S|18|人|psf|公安机关为公民编制的唯一的、终身不变的身份代码
统一社会信用代码|S|18|企|f|法人和其他组织的唯一、终身不变的法定身份识别码
企业名称|S|200|企||在登记机关依法登记的法人和其他组织的名称
证照编号|S|64|证||电子证照上载明的证照编号
性别|S|1|人|pf|人的生理性别，采用GB/T 2261.1代码
出生日期|T|8|人|p|人出生的公历年月日
民族|S|2|人|pf|人所属的民族，采用GB/T 3304代码
联系电话|S|20|人|ps|可以联系到本人的电话号码
住所|S|200|址||法人和其他组织登记的主要办事机构所在地
户籍地址|S|200|址|ps|人户籍登记的详细地址
法定代表人姓名|S|50|企|p|依法代表法人行使民事权利的负责人的姓名
注册资本|D|18|企||登记的出资额，单位为万元
成立日期|T|8|企||法人和其他组织依法成立的日期
发证机关|S|100|证||颁发证照的机关全称
发证日期|T|8|证||证照颁发的日期
有效期起始日期|T|8|证||证照有效期的起始日期
有效期截止日期|T|8|证||证照有效期的截止日期
社会保障号码|S|18|保|psf|社会保障卡上记载的个人社会保障号码
纳税人识别号|S|20|税||税务机关赋予纳税人的识别号码
学校名称|S|100|教||学校的规范全称
医疗机构名称|S|200|健||医疗机构执业许可证上登记的名称
不动产单元号|S|28|房|f|按GB/T 37346编制的不动产单元代码
号牌号码|S|15|车|p|机动车号牌上载明的号码
项目代码|S|24|项|f|投资项目在线审批监管平台赋予项目的唯一代码
行政区划代码|S|6|址|f|采用GB/T 2260的县级以上行政区划代码
经营场所|S|200|址||从事经营活动的场所地址
企业类型|S|4|企|f|按登记管理规定划分的市场主体类型代码
经营范围|S|2000|企||登记机关核准的经营项目
登记机关|S|100|企||核准登记的机关全称
经营状态|S|2|企|f|市场主体存续、吊销、注销等状态代码
行业代码|S|5|企||采用GB/T 4754的国民经济行业代码
从业人数|I|10|企||期末从业人员数量
营业期限截止日期|T|8|企||营业执照载明的营业期限截止日期
许可范围|S|1000|证||行政许可准予从事的活动范围
证照状态|S|2|证|f|证照有效、注销、吊销等状态代码
手机号码|S|11|人|psf|本人使用的移动电话号码
电子邮箱|S|100|人|p|本人使用的电子邮件地址
国籍|S|3|人|pf|采用GB/T 2659的国家和地区代码
职业|S|50|人|p|本人从事的职业类别
婚姻状况|S|2|人|psf|采用GB/T 2261.2的婚姻状况代码
政治面貌|S|2|人|pf|采用GB/T 4762的政治面貌代码
学历|S|2|教|pf|采用GB/T 4658的学历代码
健康状况|S|2|健|psf|采用GB/T 2261.3的健康状况代码
残疾等级|S|1|健|psf|残疾人证上评定的残疾等级
邮政编码|S|6|址|f|通信地址的邮政编码
经度|D|12|址||WGS-84坐标系下的经度
纬度|D|12|址||WGS-84坐标系下的纬度
街道名称|S|50|址||所属街道或乡镇的名称
参保状态|S|2|保|pf|社会保险参保缴费状态代码
缴费基数|D|18|保|ps|社会保险缴费工资基数，单位为元
参保险种|S|3|保|f|社会保险险种代码
参保单位名称|S|200|保||参加社会保险的用人单位名称
缴费年月|S|6|保|f|社会保险费所属年月
医保个人账户余额|D|18|保|ps|基本医疗保险个人账户余额，单位为元
纳税人名称|S|200|税||税务登记的纳税人名称
税种|S|3|税|f|税收种类代码
应纳税额|D|18|税|s|按税法规定计算的应缴税款，单位为元
纳税信用等级|S|1|税|f|纳税信用评价结果等级
税款所属期|S|6|税|f|税款所属的年月
学籍号|S|19|教|psf|全国中小学生学籍信息管理系统赋予的学籍号
入学年月|S|6|教|pf|学生入学的年月
毕业证书编号|S|20|教|p|毕业证书上载明的编号
年级|S|2|教|f|学生所在年级代码
诊疗科目|S|200|健||医疗机构核准登记的诊疗科目
疫苗名称|S|100|健||接种疫苗的通用名称
接种日期|T|8|健|p|疫苗接种的日期
出生医学证明编号|S|10|健|psf|出生医学证明上载明的编号
不动产权证号|S|50|房|p|不动产权证书上载明的证号
房屋坐落|S|200|房|p|房屋所在的详细地址
建筑面积|D|12|房||房屋的建筑面积，单位为平方米
土地用途|S|4|房|f|采用GB/T 21010的土地利用现状分类代码
权利人名称|S|200|房|p|不动产权利人的姓名或名称
抵押状态|S|1|房|pf|不动产是否设有抵押权
号牌种类|S|2|车|f|采用GA 24.7的机动车号牌种类代码
车辆识别代号|S|17|车|f|机动车的车辆识别代号（VIN）
驾驶证档案编号|S|12|车|psf|机动车驾驶证档案编号
准驾车型|S|10|车|p|驾驶证核定的准驾车型代号
项目名称|S|200|项||投资项目的名称
总投资额|D|18|项||项目总投资，单位为万元
建设地点|S|200|项||项目建设的详细地点
开工日期|T|8|项||项目开工的日期
业务流水号|S|64|通||业务办理系统生成的流水号
办理状态|S|2|通|f|业务受理、办理、办结等状态代码
申请日期|T|8|通||提出申请的日期
办结日期|T|8|通||业务办结的日期
处罚决定书文号|S|100|通||行政处罚决定书的文号
违法行为|S|1000|通||当事人违法行为的简要描述
处罚种类|S|2|通|f|警告、罚款、没收违法所得等处罚种类代码
罚款金额|D|18|通||罚款数额，单位为元
数据更新时间|DT|14|通||数据最近一次更新的时间
"""

_PERSON_QUALIFIERS = (
    "申请人",
    "经办人",
    "联系人",
    "配偶",
    "监护人",
    "户主",
    "新生儿",
    "母亲",
    "父亲",
    "委托代理人",
    "被保险人",
    "受益人",
)
_UNIT_QUALIFIERS = ("申请单位", "建设单位", "施工单位", "用人单位", "投资方", "受托单位")

# certificate name | department short name | holder (P/E) | validity years (0: none)
_CERT_TABLE = """
营业执照|市场监管局|E|0
食品经营许可证|市场监管局|E|5
药品经营许可证|市场监管局|E|5
特种设备使用登记证|市场监管局|E|0
居住证|公安局|P|1
机动车驾驶证|公安局|P|6
机动车行驶证|公安局|P|0
结婚证|民政局|P|0
离婚证|民政局|P|0
社会团体法人登记证书|民政局|E|5
社会保障卡|人社局|P|10
职业资格证书|人社局|P|0
就业创业证|人社局|P|0
教师资格证书|教育局|P|0
民办学校办学许可证|教育局|E|5
出生医学证明|卫健委|P|0
医疗机构执业许可证|卫健委|E|5
医师执业证书|卫健委|P|0
公共场所卫生许可证|卫健委|E|4
不动产权证书|资源规划局|P|0
建设用地规划许可证|资源规划局|E|0
建设工程规划许可证|资源规划局|E|2
建筑工程施工许可证|建设局|E|0
商品房预售许可证|建设局|E|0
建筑业企业资质证书|建设局|E|5
道路运输经营许可证|交通局|E|4
道路运输从业人员从业资格证|交通局|P|6
网络预约出租汽车运输证|交通局|E|8
完税证明|税务局|E|0
排污许可证|环境局|E|5
旅行社业务经营许可证|文旅局|E|0
娱乐经营许可证|文旅局|E|2
危险化学品经营许可证|应急局|E|3
安全生产许可证|应急局|E|3
退役军人优待证|退役军人局|P|0
律师执业证|司法局|P|0
公证员执业证|司法局|P|0
农药经营许可证|农业农村局|E|5
动物防疫条件合格证|农业农村局|E|0
户外广告设置许可证|执法局|E|3
海域使用权证书|海洋局|E|0
渔业船舶国籍证书|海洋局|E|5
对外贸易经营者备案登记表|商务局|E|0
取水许可证|水利局|E|5
中华人民共和国残疾人证|残联|P|0
住房公积金缴存证明|公积金中心|P|0
"""

_COMPONENTS: tuple[tuple[str, str], ...] = (
    ("统一身份认证组件", "身份认证"),
    ("电子印章组件", "电子签章"),
    ("电子证照调用组件", "电子证照"),
    ("统一支付组件", "公共支付"),
    ("短信消息推送组件", "消息通知"),
    ("OCR文字识别组件", "人工智能"),
    ("人脸识别核验组件", "人工智能"),
    ("地图服务组件", "地理信息"),
    ("数据共享交换组件", "数据交换"),
    ("工作流引擎", "流程管理"),
    ("电子档案归档组件", "电子档案"),
    ("安全审计组件", "安全审计"),
    ("区块链存证组件", "区块链"),
    ("智能客服组件", "人工智能"),
    ("统一搜索组件", "检索服务"),
    ("数据脱敏组件", "数据安全"),
    ("统一用户中心", "身份认证"),
    ("电子表单组件", "流程管理"),
    ("统一物流寄递组件", "公共服务"),
    ("视频会商组件", "协同办公"),
)
_ISSUES = ("", "二期", "三期", "升级版", "移动版", "信创版")

_SYSTEM_SUFFIXES = (
    "管理系统",
    "业务系统",
    "审批系统",
    "综合监管平台",
    "服务平台",
    "信息系统",
    "数据库",
    "移动端应用",
)
_SYSTEM_GENERIC = ("协同办公系统", "门户网站", "行政执法系统", "数据资源管理平台", "档案管理系统")
_FUNCTIONS = (
    "受理登记、审核审批、证照发放、统计分析",
    "信息采集、数据核验、共享交换、查询统计",
    "在线申报、材料预审、进度查询、结果送达",
    "监督检查、执法办案、信用评价、预警处置",
    "数据汇聚、质量检查、目录编制、共享服务",
    "业务办理、档案管理、报表统计、系统管理",
)
_NETWORKS = ("政务外网", "政务外网", "政务外网", "互联网", "政务内网")
_LIFECYCLE_CDF: tuple[tuple[float, Lifecycle], ...] = (
    (0.08, Lifecycle.PLANNED),
    (0.20, Lifecycle.DEVELOPING),
    (0.90, Lifecycle.OPERATING),
    (1.00, Lifecycle.DECOMMISSIONED),
)

_DATASET_SUFFIXES = ("信息", "信息", "信息", "信息", "数据", "台账", "明细", "统计信息", "名录")
_CATEGORIES = ("部门信息资源", "部门信息资源", "部门信息资源", "基础信息资源", "主题信息资源")
_FORMATS = (
    DataFormat.DATABASE,
    DataFormat.DATABASE,
    DataFormat.DATABASE,
    DataFormat.DATABASE,
    DataFormat.SPREADSHEET,
    DataFormat.ELECTRONIC_FILE,
    DataFormat.IMAGE,
)
_METHODS = (SharingMethod.API, SharingMethod.API, SharingMethod.DATABASE, SharingMethod.FILE)
_CYCLES: tuple[tuple[UpdateCycle, str], ...] = (
    (UpdateCycle.REALTIME, "实时"),
    (UpdateCycle.DAILY, "每日"),
    (UpdateCycle.DAILY, "每日"),
    (UpdateCycle.WEEKLY, "每周"),
    (UpdateCycle.MONTHLY, "每月"),
    (UpdateCycle.QUARTERLY, "每季度"),
    (UpdateCycle.YEARLY, "每年"),
    (UpdateCycle.IRREGULAR, "不定期"),
)
_SCENES = ("在业务办理中", "在行政审批中", "在日常监管中", "在公共服务中", "依法履职")
_SHARING_CONDITIONS = (
    "仅限用于政务服务事项办理，需经提供部门审核同意",
    "用于行政执法和监管，使用部门需说明用途并签署数据安全承诺书",
    "仅提供核验接口，不提供批量数据",
    "按最小必要原则共享，需经数据主管部门统筹审批",
    "限于本市党政机关履职使用，不得向第三方提供",
)
_NOT_SHARED_BASES = (
    "依据《中华人民共和国保守国家秘密法》，涉及国家秘密，不予共享",
    "依据《中华人民共和国个人信息保护法》，涉及敏感个人信息且无法定共享依据",
    "依据《中华人民共和国数据安全法》，属于核心数据，不予共享",
    "依据《福建省大数据发展条例》，法律法规明确规定不予共享",
    "依据《政务信息资源共享管理暂行办法》，涉及国家安全和商业秘密",
)
_OPEN_CONDITIONS = (
    "注册登录公共数据开放平台并签署数据使用协议后开放",
    "仅向科研机构开放，需提交数据使用申请",
    "经脱敏处理后按申请开放",
    "以数据沙箱方式开放，结果数据经审核后导出",
)
_GENERIC_FIELDS = (
    "记录标识",
    "备注",
    "数据来源",
    "创建时间",
    "审核意见",
    "经办人员",
    "处理结果",
    "信息状态",
    "归档编号",
    "附件材料清单",
    "登记序号",
    "核验结果",
    "采集渠道",
    "更新标志",
    "业务类型",
)
_SECRET_FIELDS = ("内部审查意见", "涉密批示内容", "侦查协查线索", "保密等级标识")
_FORM_GENERIC = ("申请事项说明", "办理方式", "送达方式", "是否加急", "补充说明", "取件地点")

# Matter name = subject + action; the action set depends on the subject's category letter,
# and an action may move the matter to another category ('' keeps the subject's).
_MATTER_ACTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "X": (("", ""), ("变更", ""), ("延续", ""), ("注销", ""), ("补办", "")),
    "Q": (("", ""), ("变更", ""), ("信息更正", ""), ("记录查询", "G")),
    "J": (("申请", ""), ("发放查询", "G"), ("变更", "")),
    "G": (("查询", ""), ("服务申请", ""), ("预约办理", ""), ("信息核验", "")),
    "B": (("", ""), ("变更", ""), ("注销", "")),
    "C": (("", ""), ("决定书查询", "G"), ("信用修复", "G")),
}
_MATTER_CATEGORIES = {
    "X": ("XK", "行政许可"),
    "Q": ("QR", "行政确认"),
    "J": ("JF", "行政给付"),
    "G": ("GG", "公共服务"),
    "B": ("BA", "行政备案"),
    "C": ("CF", "行政处罚"),
}
_TIME_LIMITS = (0, 1, 3, 5, 5, 7, 10, 15, 20, 30)
_ONE_THINGS = (
    "新生儿出生",
    "企业开办",
    "企业信息变更",
    "残疾人服务",
    "退休",
    "身后",
    "教育入学",
    "就医费用报销",
    "二手房转移登记及水电气网联动过户",
    "企业破产信息核查",
    "水电气网联合报装",
    "社会保障卡居民服务",
    "公民婚育",
    "退役军人服务",
    "灵活就业",
    "个体工商户开办",
    "开办运输企业",
    "涉企经营许可证办理",
    "企业上市合法合规信息核查",
    "建筑工程开工",
    "养老服务",
    "户口迁移",
)


_Policy = tuple[SharingType, str, OpenType, str, Grade, int]


@dataclass(frozen=True)
class _Subject:
    name: str
    themes: str
    category: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class _DeptType:
    name: str
    short: str
    domain: str
    district: bool
    subjects: tuple[_Subject, ...]


@dataclass(frozen=True)
class _ElementSpec:
    name: str
    data_type: FieldType
    length: int
    theme: str
    personal: bool
    sensitive: bool
    fixed: bool
    definition: str

    @property
    def representation(self) -> str:
        """The GB/T 7027-style representation format, e.g. ``c..50`` or ``c18``."""
        t = self.data_type
        if t is FieldType.DATE:
            return "YYYYMMDD"
        if t is FieldType.DATETIME:
            return "YYYYMMDDhhmmss"
        if t is FieldType.DECIMAL:
            return f"n..{self.length},2"
        if t is FieldType.INTEGER:
            return f"n..{self.length}"
        return f"c{self.length}" if self.fixed else f"c..{self.length}"


_TYPE_CODES = {
    "S": FieldType.STRING,
    "I": FieldType.INTEGER,
    "D": FieldType.DECIMAL,
    "T": FieldType.DATE,
    "DT": FieldType.DATETIME,
}


def _parse_departments() -> tuple[_DeptType, ...]:
    out: list[_DeptType] = []
    for line in _DEPT_TABLE.strip().splitlines():
        name, short, domain, district, subjects = line.split("|")
        parsed: list[_Subject] = []
        for item in subjects.split(","):
            subject, themes, category = item.split(":")
            tags = tuple(_THEMES[t] for t in themes)
            parsed.append(_Subject(subject, themes + "通", category, tags))
        out.append(_DeptType(name, short, domain, district == "1", tuple(parsed)))
    return tuple(out)


def _parse_elements() -> tuple[_ElementSpec, ...]:
    out: list[_ElementSpec] = []
    for line in _ELEMENT_TABLE.strip().splitlines():
        name, type_code, length, theme, flags, definition = line.split("|")
        out.append(
            _ElementSpec(
                name=name,
                data_type=_TYPE_CODES[type_code],
                length=int(length),
                theme=theme,
                personal="p" in flags,
                sensitive="s" in flags,
                fixed="f" in flags,
                definition=definition,
            )
        )
    return tuple(out)


def _parse_certs() -> tuple[tuple[str, str, HolderKind, int | None], ...]:
    out: list[tuple[str, str, HolderKind, int | None]] = []
    for line in _CERT_TABLE.strip().splitlines():
        name, short, holder, years = line.split("|")
        kind = HolderKind.PERSON if holder == "P" else HolderKind.ENTERPRISE
        out.append((name, short, kind, int(years) or None))
    return tuple(out)


_DEPT_TYPES = _parse_departments()
_ELEMENT_BASES = _parse_elements()
_CERT_TEMPLATES = _parse_certs()
_THEME_OWNER = {
    "人": "公安局",
    "企": "市场监管局",
    "址": "民政局",
    "证": "数据局",
    "保": "人社局",
    "税": "税务局",
    "教": "教育局",
    "健": "卫健委",
    "房": "资源规划局",
    "车": "公安局",
    "项": "发改委",
    "通": "数据局",
}
_THEME_KEYS = {
    "人": ("姓名", "公民身份号码"),
    "企": ("企业名称", "统一社会信用代码"),
    "证": ("证照编号",),
    "保": ("社会保障号码",),
    "税": ("纳税人识别号",),
    "教": ("学校名称",),
    "健": ("医疗机构名称",),
    "房": ("不动产单元号",),
    "车": ("号牌号码",),
    "项": ("项目代码",),
}
_SURFACE_BASES = {
    HolderKind.PERSON: ("姓名", "公民身份号码", "性别", "出生日期", "住所"),
    HolderKind.ENTERPRISE: ("企业名称", "统一社会信用代码", "法定代表人姓名", "住所"),
}
_SURFACE_COMMON = ("证照编号", "发证机关", "发证日期", "有效期截止日期")
_EPOCH = datetime(2016, 1, 1, 9, 0, tzinfo=UTC)
_FIRST_DAY = date(2016, 1, 1)


# --------------------------------------------------------------------------- generation


@dataclass
class _Dept:
    code: str
    region: str
    label: str  # region + short name, e.g. 思明区市场监管局
    name: str
    kind: _DeptType


@dataclass
class _Variant:
    """A field list shared by many datasets of one subject and openness class."""

    fields: tuple[DatasetField, ...]
    elements: tuple[int, ...]
    tail: str
    datasets: list[int] = field(default_factory=list)


class _Builder:
    """One generation run; holds the random source and cross-kind indexes."""

    def __init__(self, seed: int, size: LedgerSize) -> None:
        self.rng = random.Random(seed)
        self.size = size
        self.depts: list[_Dept] = []
        self.by_short: dict[str, list[int]] = {}
        self.systems_of: list[list[str]] = []
        self.components: list[str] = []
        self.elements: list[tuple[str, _ElementSpec]] = []
        self.element_by_name: dict[str, int] = {}
        self.subjects: list[_Subject] = []
        self.subject_ids: list[list[int]] = []
        self.pools: dict[tuple[int, int], tuple[list[int], list[int]]] = {}
        self.variants: dict[tuple[int, int, int], _Variant] = {}
        self.dataset_codes: list[str] = []
        self.dataset_range: list[tuple[int, int]] = []
        self.cert_codes: list[str] = []
        self.matter_codes: list[str] = []

    # -- departments ------------------------------------------------------------------

    def departments(self) -> list[Entity]:
        rng = self.rng
        n = self.size.departments
        kinds = list(_DEPT_TYPES)
        rng.shuffle(kinds)
        combos = [(0, k) for k in kinds]
        district = [(r, k) for r in range(1, len(_REGIONS)) for k in kinds if k.district]
        rng.shuffle(district)
        combos += district
        subject_index: dict[tuple[str, str], int] = {}
        out: list[Entity] = []
        for i in range(n):
            region_i, kind = combos[i % len(combos)]
            rounds = i // len(combos)
            region, region_name = _REGIONS[region_i]
            branch = f"第{rounds + 1}分局" if rounds else ""
            if region_i == 0:
                name = f"厦门市{kind.name}{branch}"
                short = f"市{kind.short}{branch}"
                label = f"厦门市{kind.short}{branch}"
            else:
                name = f"厦门市{region_name}{kind.name}{branch}"
                short = f"{region_name}{kind.short}{branch}"
                label = short
            code = make_uscc(region=region, seq=1000 + i)
            out.append(
                Department(
                    code=code,
                    name=name,
                    short_name=short,
                    aliases=(label,) if label != short else (f"厦门市{short}",),
                    region=region,
                    summary=f"{name}是{region_name}主管{kind.domain}工作的政府工作部门。",
                )
            )
            self.depts.append(_Dept(code, region, label, name, kind))
            self.by_short.setdefault(kind.short, []).append(i)
            ids: list[int] = []
            for subject in kind.subjects:
                key = (kind.short, subject.name)
                if key not in subject_index:
                    subject_index[key] = len(self.subjects)
                    self.subjects.append(subject)
                ids.append(subject_index[key])
            self.subject_ids.append(ids)
        return out

    def _spread(self, count: int) -> list[int]:
        """Owner department of each of `count` resources, skewed and grouped by department."""
        if not count:
            return []
        rng = self.rng
        weights = [rng.lognormvariate(0.0, 0.6) for _ in self.depts]
        cum: list[float] = []
        total = 0.0
        for w in weights:
            total += w
            cum.append(total)
        return sorted(rng.choices(range(len(self.depts)), cum_weights=cum, k=count))

    def _dept_for_theme(self, theme: str) -> int:
        owners = self.by_short.get(_THEME_OWNER[theme])
        if owners:
            return owners[0]
        return self.rng.randrange(len(self.depts))

    # -- components and systems -------------------------------------------------------

    def components_(self) -> list[Entity]:
        rng = self.rng
        out: list[Entity] = []
        for i in range(self.size.components):
            name, category = _COMPONENTS[i % len(_COMPONENTS)]
            issue = _ISSUES[(i // len(_COMPONENTS)) % len(_ISSUES)]
            rounds = i // (len(_COMPONENTS) * len(_ISSUES))
            full = f"{name}（{issue}）" if issue else name
            if rounds:
                full = f"{full}{rounds + 1}"
            owners = self.by_short.get("数据局")
            dept = owners[0] if owners else rng.randrange(len(self.depts))
            code = f"CMP-{i + 1:03d}"
            out.append(
                Component(
                    code=code,
                    name=full,
                    department=self.depts[dept].code,
                    category=category,
                    summary=f"全市共用的{category}能力，各部门应用系统可直接调用。",
                )
            )
            self.components.append(code)
        return out

    def systems(self) -> list[Entity]:
        rng = self.rng
        self.systems_of = [[] for _ in self.depts]
        out: list[Entity] = []
        for i, d in enumerate(self._spread(self.size.systems)):
            dept = self.depts[d]
            if rng.random() < 0.2:
                name = f"{dept.label}{rng.choice(_SYSTEM_GENERIC)}"
                business = dept.kind.domain
            else:
                subject = self.subjects[rng.choice(self.subject_ids[d])].name
                name = f"{dept.label}{subject}{rng.choice(_SYSTEM_SUFFIXES)}"
                business = subject
            r = rng.random()
            lifecycle = next(state for edge, state in _LIFECYCLE_CDF if r <= edge)
            k = min(len(self.components), rng.randint(0, 4))
            components = tuple(
                self.components[j] for j in sorted(rng.sample(range(len(self.components)), k))
            )
            code = f"XT-{dept.region}-{i + 1:05d}"
            out.append(
                System(
                    code=code,
                    name=name,
                    department=dept.code,
                    summary=f"{dept.name}建设的{business}业务系统，支撑相关业务的网上办理和数据汇聚。",
                    functions=rng.choice(_FUNCTIONS),
                    lifecycle=lifecycle,
                    lifecycle_events=self._events(lifecycle, dept),
                    components=components,
                    network=rng.choice(_NETWORKS),
                    contact=f"{dept.label}信息科 0592-{rng.randrange(2000000, 8999999)}",
                )
            )
            self.systems_of[d].append(code)
        return out

    def _events(self, lifecycle: Lifecycle, dept: _Dept) -> tuple[LifecycleEvent, ...]:
        rng = self.rng
        at = _EPOCH + timedelta(days=rng.randrange(0, 2500), minutes=rng.randrange(0, 480))
        events: list[LifecycleEvent] = []
        previous: Lifecycle | None = None
        by = f"{dept.label}信息科"
        for state in Lifecycle:
            events.append(
                LifecycleEvent(
                    from_state=previous,
                    to_state=state,
                    at=at,
                    by=by,
                    note="登记" if previous is None else "",
                )
            )
            if state is lifecycle:
                break
            previous = state
            at += timedelta(days=rng.randrange(30, 400))
        return tuple(events)

    # -- data elements ----------------------------------------------------------------

    def data_elements(self) -> list[Entity]:
        rng = self.rng
        specs = list(_ELEMENT_BASES)
        qualified: list[_ElementSpec] = []
        for base in _ELEMENT_BASES:
            if base.theme == "人":
                for q in _PERSON_QUALIFIERS:
                    qualified.append(_qualify(base, q, q + base.name))
            elif base.theme == "企":
                for q in _UNIT_QUALIFIERS:
                    stem = base.name[2:] if base.name.startswith("企业") else base.name
                    qualified.append(_qualify(base, q, q + stem))
            elif base.theme == "证":
                for cert, _short, _holder, _years in _CERT_TEMPLATES:
                    stem = base.name[2:] if base.name.startswith("证照") else base.name
                    qualified.append(_qualify(base, cert, cert + stem))
        rng.shuffle(qualified)
        specs += qualified
        by_name: dict[str, _ElementSpec] = {}
        for spec in specs:
            by_name.setdefault(spec.name, spec)
        unique = list(by_name.values())
        out: list[Entity] = []
        for i in range(self.size.data_elements):
            spec = unique[i % len(unique)]
            rounds = i // len(unique)
            if rounds:
                spec = _qualify(spec, "", f"{spec.name}（第{rounds + 1}版）")
            code = f"DE{i + 1:05d}"
            out.append(
                DataElement(
                    code=code,
                    name=spec.name,
                    department=self.depts[self._dept_for_theme(spec.theme)].code,
                    definition=spec.definition,
                    data_type=spec.data_type,
                    format=spec.representation,
                    personal=spec.personal,
                )
            )
            self.elements.append((code, spec))
            self.element_by_name.setdefault(spec.name, i)
        return out

    # -- datasets ---------------------------------------------------------------------

    def _pool(self, subject: int, cls: int) -> tuple[list[int], list[int]]:
        """Key and other element indexes a dataset of `subject` may bind (cls 0: public)."""
        key = (subject, cls)
        found = self.pools.get(key)
        if found is None:
            themes = self.subjects[subject].themes
            keys = [
                self.element_by_name[name]
                for t in themes
                for name in _THEME_KEYS.get(t, ())
                if name in self.element_by_name
            ]
            if cls == 0:
                keys = [i for i in keys if not self.elements[i][1].sensitive]
            key_set = dict.fromkeys(keys)
            rest = [
                i
                for i, (_code, spec) in enumerate(self.elements)
                if spec.theme in themes and i not in key_set and not (cls == 0 and spec.sensitive)
            ]
            found = (list(key_set), rest)
            self.pools[key] = found
        return found

    def _variant(self, subject: int, cls: int, variant: int) -> _Variant:
        key = (subject, cls, variant)
        found = self.variants.get(key)
        if found is not None:
            return found
        rng = self.rng
        k = self.size.fields_per_dataset
        keys, rest = self._pool(subject, cls)
        unbound = max(1, k // 4) if k >= 2 else 0
        n_bound = min(k - unbound, len(keys) + len(rest))
        chosen = keys[:n_bound]
        chosen += rng.sample(rest, min(len(rest), n_bound - len(chosen)))
        fields: list[DatasetField] = []
        for i in chosen:
            code, spec = self.elements[i]
            strings = spec.data_type is FieldType.STRING
            fields.append(
                DatasetField(
                    name=spec.name,
                    data_type=spec.data_type,
                    length=spec.length if strings else None,
                    data_element=code,
                    sensitive=spec.sensitive,
                )
            )
        free = k - len(fields)
        generic = [n for n in _GENERIC_FIELDS if n not in self.element_by_name]
        names = rng.sample(generic, min(free, len(generic)))
        names += [f"扩展信息项{j + 1}" for j in range(free - len(names))]
        secret = cls == 2 and free > 0 and rng.random() < 0.5
        for j, name in enumerate(names):
            if secret and j == 0:
                fields.append(
                    DatasetField(
                        name=rng.choice(_SECRET_FIELDS),
                        length=500,
                        sensitive=True,
                        secret=True,
                        description="涉密信息项，仅限本部门使用",
                    )
                )
            else:
                fields.append(DatasetField(name=name, length=200))
        shown = "、".join(f.name for f in fields[:3])
        found = _Variant(
            fields=tuple(fields),
            elements=tuple(chosen),
            tail=f"包括{shown}等{len(fields)}个信息项",
        )
        self.variants[key] = found
        return found

    def _policy(self) -> _Policy:
        """One draw of sharing, openness and grade that respects the catalog rules."""
        rng = self.rng
        r = rng.random()
        if r < 0.10:
            basis = rng.choice(_NOT_SHARED_BASES)
            grade = Grade.CORE if rng.random() < 0.3 else Grade.IMPORTANT
            return (SharingType.NOT_SHARED, basis, OpenType.NOT_OPEN, "", grade, 2)
        if r < 0.55:
            sharing, condition = SharingType.CONDITIONAL, rng.choice(_SHARING_CONDITIONS)
        else:
            sharing, condition = SharingType.UNCONDITIONAL, ""
        if rng.random() >= 0.8:
            return (sharing, condition, OpenType.NOT_OPEN, "", Grade.IMPORTANT, 1)
        o = rng.random()
        if o < 0.2:  # only GENERAL data without sensitive fields opens unconditionally
            return (sharing, condition, OpenType.UNCONDITIONAL, "", Grade.GENERAL, 0)
        if o < 0.4:
            opening = rng.choice(_OPEN_CONDITIONS)
            return (sharing, condition, OpenType.CONDITIONAL, opening, Grade.GENERAL, 1)
        return (sharing, condition, OpenType.NOT_OPEN, "", Grade.GENERAL, 1)

    def datasets(self) -> list[Entity]:
        rng = self.rng
        rand = rng.random
        n = self.size.datasets
        owners = self._spread(n)
        # Draw tables once: per dataset one draw picks a policy and one a profile.
        table = min(n, _TABLE)
        policies = [self._policy() for _ in range(table)]
        profiles = [
            (
                rng.choice(_CATEGORIES),
                rng.choice(_FORMATS),
                rng.choice(_METHODS),
                *rng.choice(_CYCLES),
                rng.choice(_DATASET_SUFFIXES),
                rng.choice(_SCENES),
                _FIRST_DAY + timedelta(days=rng.randrange(3000)),
            )
            for _ in range(table)
        ]
        self.dataset_range = [(0, 0)] * len(self.depts)
        out: list[Entity] = []
        codes = self.dataset_codes
        variant_of = self._variant
        variants = self.variants
        subjects = self.subjects
        start = 0
        for d, group in itertools.groupby(owners):
            count = sum(1 for _ in group)
            self.dataset_range[d] = (start, start + count)
            dept = self.depts[d]
            label, dept_code, dept_name = dept.label, dept.code, dept.name
            prefix = f"{dept.region}-{d + 1:03d}/"
            ids = self.subject_ids[d]
            n_ids = len(ids)
            systems = self.systems_of[d]
            n_sys = len(systems)
            for i in range(start, start + count):
                subject_id = ids[int(rand() * n_ids)]
                subject = subjects[subject_id]
                sharing, condition, opened, opening, grade, cls = policies[int(rand() * table)]
                category, fmt, method, cycle, cycle_zh, suffix, scene, day = profiles[
                    int(rand() * table)
                ]
                key = (subject_id, cls, int(rand() * _VARIANTS))
                variant = variants.get(key) or variant_of(*key)
                variant.datasets.append(i)
                r = rand()
                source = systems[int(r / 0.85 * n_sys)] if n_sys and r < 0.85 else None
                code = f"{prefix}{i + 1:06d}"
                codes.append(code)
                out.append(
                    Dataset(
                        code=code,
                        name=f"{label}{subject.name}{suffix}",
                        department=dept_code,
                        summary=f"{dept_name}{scene}形成的{subject.name}{suffix}，"
                        f"{variant.tail}，{cycle_zh}更新。",
                        category=category,
                        format=fmt,
                        fields=variant.fields,
                        sharing_type=sharing,
                        sharing_condition=condition,
                        sharing_method=method,
                        open_type=opened,
                        open_condition=opening,
                        grade=grade,
                        update_cycle=cycle,
                        publish_date=day,
                        source_system=source,
                        tags=subject.tags,
                    )
                )
            start += count
        return out

    def derivations(self) -> list[tuple[str, str]]:
        rng = self.rng
        rand = rng.random
        codes = self.dataset_codes
        top = 2 * self.size.derivations_per_dataset
        out: list[tuple[str, str]] = []
        if top == 0:
            return out
        for i in range(1, len(codes)):
            k = min(i, int(rand() * (top + 1)))
            picked: list[int] = []
            for _ in range(k):
                if rand() < _LOCAL_SHARE:
                    j = i - 1 - int(rand() * min(i, _WINDOW))
                else:
                    j = int(rand() * i)
                if j not in picked:
                    picked.append(j)
            derived = codes[i]
            out += [(derived, codes[j]) for j in picked]
        return out

    # -- certificates, matters, one things --------------------------------------------

    def certificate_types(self) -> list[Entity]:
        rng = self.rng
        n_dept = len(self.depts)
        templates: dict[str, list[tuple[str, HolderKind, int | None]]] = {}
        for name, short, holder, years in _CERT_TEMPLATES:
            templates.setdefault(short, []).append((name, holder, years))
        weights = [3.0 if d.kind.short in templates else 1.0 for d in self.depts]
        issued = [0] * n_dept
        names: dict[str, int] = {}
        out: list[Entity] = []
        for _i in range(self.size.certificate_types):
            d = rng.choices(range(n_dept), weights=weights)[0]
            while issued[d] >= _MAX_CERTS_PER_DEPT:
                d = (d + 1) % n_dept
            issued[d] += 1
            dept = self.depts[d]
            own = templates.get(dept.kind.short)
            if own:
                name, holder, years = own[(issued[d] - 1) % len(own)]
            else:
                subject = self.subjects[rng.choice(self.subject_ids[d])]
                name = f"{subject.name}证明"
                holder = HolderKind.PERSON if "人" in subject.themes else HolderKind.ENTERPRISE
                years = None
            used = names.get(name, 0)
            names[name] = used + 1
            if used:
                name = f"{name}（{2016 + used}版）"
            issuers = [self.depts[j].code for j in self.by_short[dept.kind.short]]
            surface: list[SurfaceField] = []
            for base in (*_SURFACE_BASES[holder], *_SURFACE_COMMON):
                found = self.element_by_name.get(base)
                if found is None:
                    surface.append(SurfaceField(name=base))
                else:
                    code, spec = self.elements[found]
                    surface.append(
                        SurfaceField(name=spec.name, data_element=code, sensitive=spec.sensitive)
                    )
            lo, hi = self.dataset_range[d] if self.dataset_range else (0, 0)
            source = (
                self.dataset_codes[rng.randrange(lo, hi)]
                if hi > lo and rng.random() < 0.7
                else None
            )
            code = f"{dept.code}{issued[d]:03d}"
            self.cert_codes.append(code)
            holder_zh = "自然人" if holder is HolderKind.PERSON else "法人和其他组织"
            out.append(
                CertificateType(
                    code=code,
                    name=name,
                    department=dept.code,
                    issuing_departments=tuple(issuers),
                    holder_kind=holder,
                    surface_fields=tuple(surface),
                    validity_years=years,
                    source_dataset=source,
                    sharing_type=(
                        SharingType.UNCONDITIONAL if rng.random() < 0.6 else SharingType.CONDITIONAL
                    ),
                    summary=f"{name}由{dept.name}制发，持证主体为{holder_zh}，"
                    "全市各部门办事时可调用电子证照免交纸质材料。",
                )
            )
        return out

    def matters(self) -> list[Entity]:
        rng = self.rng
        sources: dict[int, list[_Variant]] = {}
        for variant in self.variants.values():
            if variant.datasets:
                for e in variant.elements:
                    sources.setdefault(e, []).append(variant)
        out: list[Entity] = []
        k = self.size.form_fields_per_matter
        for i, d in enumerate(self._spread(self.size.matters)):
            dept = self.depts[d]
            subject_id = rng.choice(self.subject_ids[d])
            subject = self.subjects[subject_id]
            action, category = rng.choice(_MATTER_ACTIONS[subject.category])
            cat_code, cat_zh = _MATTER_CATEGORIES[category or subject.category]
            keys, rest = self._pool(subject_id, 1)
            elements = keys[:k] + rng.sample(rest, min(len(rest), max(0, k - len(keys))))
            form: list[FormField] = []
            for e in elements:
                code, spec = self.elements[e]
                feeds = sources.get(e)
                if feeds and rng.random() < 0.4:
                    fed = rng.choice(feeds).datasets
                    form.append(
                        FormField(
                            name=spec.name,
                            data_element=code,
                            collection=CollectionMode.PREFILL,
                            prefill_source=self.dataset_codes[rng.choice(fed)],
                        )
                    )
                else:
                    form.append(
                        FormField(name=spec.name, data_element=code, required=rng.random() < 0.8)
                    )
            extra = k - len(form)
            names = rng.sample(_FORM_GENERIC, min(extra, len(_FORM_GENERIC)))
            names += [f"其他申报信息{j + 1}" for j in range(extra - len(names))]
            form += [FormField(name=n, required=False) for n in names]
            n_mat = min(len(self.cert_codes), rng.randint(0, 3))
            materials = tuple(
                self.cert_codes[j] for j in rng.sample(range(len(self.cert_codes)), n_mat)
            )
            name = f"{subject.name}{action}"
            code = f"{dept.region}-{cat_code}-{i + 1:05d}"
            self.matter_codes.append(code)
            out.append(
                Matter(
                    code=code,
                    name=name,
                    department=dept.code,
                    category=cat_zh,
                    summary=f"{dept.name}依申请办理的{name}事项，申请人可通过网上办事大厅"
                    "或政务服务中心窗口提交申请。",
                    form_fields=tuple(form),
                    materials=materials,
                    time_limit_days=rng.choice(_TIME_LIMITS),
                )
            )
        return out

    def one_things(self) -> list[Entity]:
        rng = self.rng
        out: list[Entity] = []
        n_matters = len(self.matter_codes)
        owners = self.by_short.get("数据局")
        for i in range(self.size.one_things):
            base = _ONE_THINGS[i % len(_ONE_THINGS)]
            rounds = i // len(_ONE_THINGS)
            region = _REGIONS[rounds % len(_REGIONS)][1]
            name = f"{base}一件事" if rounds == 0 else f"{region}{base}一件事"
            if rounds >= len(_REGIONS):
                name = f"{name}（{rounds // len(_REGIONS) + 1}）"
            d = rng.choice(owners) if owners else rng.randrange(len(self.depts))
            k = rng.randint(min(2, n_matters), min(8, n_matters))
            picked = tuple(self.matter_codes[j] for j in rng.sample(range(n_matters), k))
            out.append(
                OneThing(
                    code=f"YJS-{i + 1:03d}",
                    name=name,
                    department=self.depts[d].code,
                    summary=f"将{base}涉及的{k}个事项集成办理，实现“一表申请、一次办结”。",
                    matters=picked,
                )
            )
        return out


def _qualify(base: _ElementSpec, qualifier: str, name: str) -> _ElementSpec:
    definition = f"{qualifier}的{base.name}：{base.definition}" if qualifier else base.definition
    return _ElementSpec(
        name=name,
        data_type=base.data_type,
        length=base.length,
        theme=base.theme,
        personal=base.personal,
        sensitive=base.sensitive,
        fixed=base.fixed,
        definition=definition,
    )


def generate_ledger(*, seed: int, size: LedgerSize) -> GeneratedLedger:
    """A synthetic ledger of `size`, the same for the same `seed` (see the module docstring)."""
    b = _Builder(seed, size)
    entities: list[Entity] = []
    # Hundreds of thousands of small immutable objects and no reference cycles: the cyclic
    # collector would only re-scan them over and over (about 15 % of the run time).
    with collector_paused():
        entities += b.departments()
        entities += b.components_()
        entities += b.systems()
        entities += b.data_elements()
        entities += b.datasets()
        derivations = b.derivations()
        entities += b.certificate_types()
        entities += b.matters()
        entities += b.one_things()
    return GeneratedLedger(entities=entities, derivations=derivations)
