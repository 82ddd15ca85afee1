"""Application systems (应用系统) of the demo ledger, as the 2024 census would list them.

Names, owners, summaries and functions are hand-written; lifecycle histories (which month a
system was planned, built, put into operation) are seeded detail. A few systems deliberately
describe near-identical functions in different departments, as real censuses find.
"""

from __future__ import annotations

from datetime import UTC, datetime

from catalog.demo import components as c
from catalog.demo.departments import dept_code, dept_short
from catalog.demo.seed import rng_for
from catalog.model import Lifecycle, LifecycleEvent, System

P, D, OP, X = Lifecycle.PLANNED, Lifecycle.DEVELOPING, Lifecycle.OPERATING, Lifecycle.DECOMMISSIONED

Row = tuple[int, str, str, Lifecycle, int, tuple[str, ...], str, str]


def system_code(no: int) -> str:
    """The code of demo system number `no` (``SYS-350200-0001`` …)."""
    return f"SYS-350200-{no:04d}"


def systems() -> list[System]:
    """Every demo application system."""
    out: list[System] = []
    for no, dept, name, state, year, comps, summary, functions in _rows():
        code = system_code(no)
        short = dept_short(dept)
        out.append(
            System(
                code=code,
                name=name,
                department=dept_code(dept),
                summary=summary,
                functions=functions,
                lifecycle=state,
                lifecycle_events=_history(code, state, year, short),
                components=comps,
                network="互联网" if "网上" in name or "i厦门" in functions else "政务外网",
                contact=f"{short}信息化工作机构",
            )
        )
    return out


def _history(code: str, state: Lifecycle, year: int, by: str) -> tuple[LifecycleEvent, ...]:
    """A plausible lifecycle history ending in `state`; `year` is when it reached OPERATING
    (or, for a system not yet operating, when it was planned)."""
    rng = rng_for("system", code)
    order = [P, D, OP, X]
    reached = order[: order.index(state) + 1]
    start = year - (0 if state in (P, D) else 1)
    dates = [datetime(start, rng.randint(1, 4), rng.randint(1, 28), 9, 30, tzinfo=UTC)]
    for i in range(1, len(reached)):
        prev = dates[-1]
        gap = 6 + rng.randint(0, 8) if reached[i] is not X else 36 + rng.randint(0, 30)
        total = prev.year * 12 + prev.month - 1 + gap
        when = datetime(total // 12, total % 12 + 1, rng.randint(1, 28), 10, 0, tzinfo=UTC)
        dates.append(min(when, datetime(2024, 5, 31, 10, 0, tzinfo=UTC)))
    notes = {P: "列入年度信息化项目计划", D: "立项批复，进入建设", OP: "通过验收，上线运行",
             X: "功能并入新系统，停止运行"}  # fmt: skip
    events: list[LifecycleEvent] = []
    for i, to in enumerate(reached):
        events.append(
            LifecycleEvent(
                from_state=reached[i - 1] if i else None,
                to_state=to,
                at=dates[i],
                by=by,
                note=notes[to],
            )
        )
    return tuple(events)


def _rows() -> tuple[Row, ...]:
    # fmt: off
    return (
        (1, "SJJ", "厦门市政务数据共享交换平台", OP, 2018, (c.EXCHANGE, c.ID_AUTH),
         "全市政务数据共享交换的枢纽，连接各部门业务系统与省、国家共享平台。",
         "提供数据目录注册发布、共享申请审批、接口服务代理与计量、库表和文件交换、"
         "数据质量校验和异议处理。"),
        (2, "SJJ", "厦门市一体化数字资源管理平台", D, 2024, (c.EXCHANGE, c.ID_AUTH, c.ELICENSE,
         c.SIGNATURE),
         "IRS：应用系统、数据资源、公共组件和证照类型的一本账管理与一平台调度。",
         "资源普查登记、一揽子申请审批、授权调用与签名响应、数据血缘分析、"
         "数据最多采一次分析、审计留痕。"),
        (3, "SJJ", "厦门市电子证照库", OP, 2017, (c.ELICENSE, c.SEAL, c.SIGNATURE, c.EXCHANGE),
         "全市电子证照的归集、签发和共享应用系统。",
         "证照目录管理、电子证照制证签发、证照归集、持证人授权用证、证照核验、用证记录。"),
        (4, "SJJ", "一人一档个人数据专题库系统", OP, 2021, (c.EXCHANGE, c.ID_AUTH),
         "汇聚户籍、社保、医保、公积金、证照等个人数据，形成一人一档。",
         "个人数据汇聚治理、个人画像、授权查询、表单预填、免证办事数据支撑。"),
        (5, "SJJ", "一企一档法人数据专题库系统", OP, 2021, (c.EXCHANGE, c.ID_AUTH),
         "汇聚登记、税务、社保、公积金、信用、证照等企业数据，形成一企一档。",
         "企业数据汇聚治理、企业画像、授权查询、表单预填、惠企政策精准匹配数据支撑。"),
        (6, "SJJ", "厦门市公共数据开放平台", OP, 2019, (c.ID_AUTH,),
         "面向社会开放公共数据，提供数据集下载和开放接口。",
         "开放目录发布、数据集下载、开放接口申请、开发者管理、数据应用展示。"),
        (7, "SJJ", "厦门市政务信息资源共享平台（一期）", X, 2016, (),
         "2016年建设的首期共享平台，已由政务数据共享交换平台替代。",
         "信息资源目录发布、共享申请、库表交换。"),
        (8, "SJJ", "城市大脑数据中台（二期）", P, 2024, (c.EXCHANGE,),
         "谋划中的城市级数据中台，整合数据汇聚、治理与服务能力。",
         "提供数据目录注册发布、共享申请审批、接口服务代理与计量、库表交换、"
         "数据质量校验、数据治理和数据资产运营。"),
        (9, "ZWFW", "综合收件系统", OP, 2019, (c.ID_AUTH, c.ELICENSE, c.BOOKING, c.LOGISTICS),
         "一窗受理的前台收件系统，统一收取各部门事项的申请材料。",
         "事项申报、表单填写与预填、材料收取与电子证照免提交、收件登记、分发至部门审批系统、"
         "出件与寄递。"),
        (10, "ZWFW", "通用审批系统", OP, 2019, (c.SEAL, c.SIGNATURE, c.ELICENSE, c.ARCHIVE),
         "供未建审批系统的部门使用的通用审批后台。",
         "受理、审查、决定、办结流程配置，电子印章用印，审批结果电子证照签发，办件归档。"),
        (11, "ZWFW", "12345便民服务热线系统", OP, 2017, (c.SMS, c.RATING),
         "市民热线诉求受理、派单、办理、回访的全流程系统。",
         "电话、网络、短信多渠道诉求受理，工单派发与督办，知识库，满意度回访，热点分析。"),
        (12, "ZWFW", "e政务自助服务终端管理系统", OP, 2018, (c.ID_AUTH, c.FACE, c.ELICENSE,
         c.PAYMENT),
         "布设在社区、银行网点的e政务自助终端的管理与业务系统。",
         "终端设备管理、人脸识别实名、自助申报、证明打印、缴费、终端运行监控。"),
        (13, "ZWFW", "高效办成一件事主题服务系统", D, 2024, (c.ID_AUTH, c.ELICENSE, c.PAYMENT),
         "“一件事”套餐式服务的集成办理系统。",
         "一件事情形引导、一表申请、一次提交、并联审批分发、结果统一送达。"),
        (14, "ZWFW", "政务服务好差评系统", OP, 2020, (c.RATING, c.SMS),
         "政务服务评价数据采集、差评整改和统计分析。",
         "评价采集、差评核实整改、回访、评价数据报送省平台。"),
        (15, "ZWFW", "企业开办全程网办专区", D, 2024, (c.ID_AUTH, c.SEAL, c.SIGNATURE),
         "市行政服务中心牵头建设的企业开办专区。",
         "企业设立登记申报、名称自主申报、公章刻制、发票申领、社保和公积金登记、"
         "银行开户预约一次办结，电子营业执照和电子印章同步发放。"),
        (16, "GA", "人口信息管理系统", OP, 2015, (c.EXCHANGE,),
         "全市户籍人口和流动人口的登记管理系统。",
         "户口登记、迁移、变更、注销，户籍证明，人口统计，人口基础信息共享。"),
        (17, "GA", "居住证管理系统", OP, 2016, (c.ID_AUTH, c.FACE),
         "流动人口居住登记和居住证签注管理。",
         "居住登记、居住证申领、签注、挂失补领、积分入学居住年限核验。"),
        (18, "GA", "印章治安管理信息系统", OP, 2018, (c.SEAL,),
         "印章刻制备案和电子印章同步制发管理。",
         "印章刻制备案、刻章企业管理、印章信息查询、电子印章同步制发。"),
        (19, "SCJG", "市场主体登记注册系统", OP, 2014, (c.ID_AUTH, c.SIGNATURE, c.ELICENSE),
         "企业、个体工商户、农民专业合作社的设立、变更、注销登记系统。",
         "名称自主申报、设立变更注销登记、电子营业执照签发、登记信息公示、年报。"),
        (20, "SCJG", "企业开办一网通办平台", OP, 2020, (c.ID_AUTH, c.SEAL, c.SIGNATURE),
         "市场监管局建设的企业开办一网通办平台。",
         "企业设立登记申报、名称自主申报、公章刻制、发票申领、社保和公积金登记、"
         "银行开户预约一次办结，电子营业执照和电子印章同步发放。"),
        (21, "SCJG", "食品经营许可系统", OP, 2016, (c.ID_AUTH, c.ELICENSE, c.SEAL),
         "食品经营许可的申请、审查、发证和监管系统。",
         "食品经营许可新办、变更、延续、注销，告知承诺审批，电子许可证签发，许可信息公示。"),
        (22, "SCJG", "药品经营许可管理系统", OP, 2017, (c.ELICENSE,),
         "药品零售、批发企业经营许可管理。",
         "药品经营许可核发、变更、换证、注销，GSP检查记录。"),
        (23, "SCJG", "原食品流通许可系统", X, 2012, (),
         "原工商部门食品流通许可系统，已被食品经营许可系统取代。",
         "食品流通许可申请、审查和发证。"),
        (24, "YB", "医保信息平台（厦门）", OP, 2021, (c.ID_AUTH, c.FACE, c.PAYMENT, c.EXCHANGE),
         "国家统一医保信息平台在厦门的部署，覆盖参保、结算、基金监管。",
         "参保登记、缴费、待遇核定、异地就医备案、医疗费用结算、医保电子凭证、基金监管。"),
        (25, "YB", "医保智能审核系统", P, 2024, (),
         "谋划建设的医保基金智能审核和监控系统。",
         "医保结算数据规则审核、疑点筛查、飞行检查线索管理。"),
        (26, "RS", "社会保障信息系统（金保工程）", OP, 2013, (c.ID_AUTH, c.EXCHANGE, c.PAYMENT),
         "社会保险经办的核心业务系统。",
         "单位和个人参保登记、缴费基数申报、养老保险待遇核定与发放、退休审批、"
         "关系转移接续、丧葬抚恤待遇。"),
        (27, "RS", "社会保障卡管理系统", OP, 2014, (c.ID_AUTH, c.FACE, c.LOGISTICS),
         "社会保障卡的申领、制发、挂失和电子社保卡管理。",
         "社保卡申领、即时制卡、挂失补换、电子社保卡签发、居民服务一卡通应用。"),
        (28, "RS", "就业创业补贴申报系统", OP, 2019, (c.ID_AUTH, c.PAYMENT),
         "就业创业补贴政策的网上申报和发放。",
         "惠企惠民政策发布、企业和个人补贴申报、资格比对、审核、资金拨付、政策兑现公示。"),
        (29, "SW", "电子税务局（厦门）", OP, 2017, (c.ID_AUTH, c.SIGNATURE, c.PAYMENT),
         "纳税人办理涉税业务的网上平台。",
         "税务登记、纳税申报、税款缴纳、发票申领、清税证明开具、纳税信用查询。"),
        (30, "SW", "金税三期工程（厦门）", X, 2016, (),
         "原税收征管系统，已随新电子税务局上线停用。",
         "税收征收管理、申报征收、发票管理。"),
        (31, "ZJ", "工程建设项目审批管理系统", OP, 2019,
         (c.ID_AUTH, c.SEAL, c.ELICENSE, c.EXCHANGE),
         "工程建设项目从立项到竣工验收的全流程审批系统。",
         "项目赋码关联、并联审批、联合审图、施工许可、联合验收、审批结果证照签发。"),
        (32, "ZJ", "商品房网签备案系统", OP, 2015, (c.SIGNATURE,),
         "新建商品房和存量房买卖合同网签备案。",
         "楼盘表管理、合同网签、备案、资金监管。"),
        (33, "GJJ", "住房公积金综合业务系统", OP, 2016, (c.EXCHANGE, c.PAYMENT),
         "住房公积金归集、提取、贷款核心业务系统。",
         "单位开户、个人账户设立、汇缴补缴、提取、贷款、缴存证明出具、账户转移接续。"),
        (34, "GJJ", "住房公积金网上服务大厅", OP, 2018, (c.ID_AUTH, c.FACE, c.SMS),
         "缴存单位和职工的线上公积金服务渠道。",
         "网上提取、缴存证明打印、单位信息变更、贷款进度查询，接入i厦门。"),
        (35, "WJ", "出生医学证明管理系统", OP, 2017, (c.ELICENSE, c.SEAL),
         "助产机构出生医学证明签发与管理。",
         "新生儿出生信息登记、出生医学证明签发、补发换发、电子出生证签发与共享。"),
        (36, "WJ", "全民健康信息平台", OP, 2016, (c.EXCHANGE,),
         "全市卫生健康数据汇聚平台。",
         "电子健康档案、电子病历共享、死亡医学证明信息、预防接种信息、卫生统计。"),
        (37, "WJ", "医疗机构和医师电子化注册系统", OP, 2018, (c.ELICENSE,),
         "医疗机构执业登记和医师执业注册。",
         "医疗机构执业许可、医师执业注册、变更、注销，电子证照签发。"),
        (38, "WJ", "卫生健康监督信息系统", OP, 2015, (c.ELICENSE,),
         "公共场所卫生许可和卫生监督执法。",
         "公共场所卫生许可、供水单位卫生许可、卫生监督检查、行政处罚。"),
        (39, "JY", "义务教育招生报名系统", OP, 2019, (c.ID_AUTH, c.EXCHANGE),
         "小学一年级和初中一年级网上招生报名。",
         "报名登记、户籍房产和居住证信息核验、积分计算、学位分配、录取结果查询。"),
        (40, "JY", "教师资格认定管理系统", OP, 2017, (c.ELICENSE,),
         "教师资格申请、认定和证书管理。",
         "教师资格认定申请、体检结论录入、审核、证书制发。"),
        (41, "ZRZY", "不动产登记系统", OP, 2016, (c.ID_AUTH, c.FACE, c.ELICENSE, c.PAYMENT),
         "不动产统一登记业务系统。",
         "首次、转移、变更、抵押、注销登记，不动产权证书和证明签发，登记信息查询，"
         "二手房交易登记与税费一窗办理。"),
        (42, "ZRZY", "多规合一业务协同平台", OP, 2015, (c.EXCHANGE,),
         "国土空间规划“一张图”和项目策划生成协同。",
         "规划一张图、项目策划生成、建设工程规划许可、规划条件核实。"),
        (43, "HJ", "排污许可管理信息平台（厦门）", OP, 2017, (c.ELICENSE,),
         "全国排污许可证管理信息平台厦门部分。",
         "排污许可申请、审核、核发、变更、延续、执行报告、许可信息公开。"),
        (44, "HJ", "排污权交易管理系统", OP, 2019, (c.PAYMENT,),
         "排污权核定、有偿使用和交易管理。",
         "初始排污权核定、有偿使用费缴纳、排污权交易、储备管理。"),
        (45, "JT", "道路运输管理信息系统", OP, 2016, (c.ELICENSE,),
         "道路客货运输经营许可和车辆管理。",
         "道路运输经营许可、车辆营运证、从业资格、年审。"),
        (46, "MZ", "婚姻登记管理系统", OP, 2014, (c.BOOKING, c.ELICENSE),
         "结婚、离婚登记和婚姻登记档案管理。",
         "婚姻登记预约、结婚登记、离婚登记、补领证件、婚姻登记档案查询。"),
        (47, "MZ", "殡葬管理服务系统", OP, 2018, (c.PAYMENT,),
         "遗体接运火化和殡葬惠民补助管理。",
         "遗体接运、火化登记、火化证明出具、惠民殡葬补助发放。"),
        (48, "MZ", "社会救助信息系统", OP, 2017, (c.ID_AUTH, c.PAYMENT, c.EXCHANGE),
         "低保、特困、临时救助和困难残疾人补贴的申请审核发放。",
         "救助申请、家庭经济状况核对、审核审批、补贴资金发放、动态管理。"),
        (49, "CL", "残疾人证管理系统", OP, 2016, (c.ELICENSE,),
         "残疾人证申领、评定和换领管理。",
         "残疾评定申请、评残结果录入、残疾人证核发、换领、注销。"),
        (50, "CL", "残疾人两项补贴系统", OP, 2019, (c.ID_AUTH, c.PAYMENT),
         "困难残疾人生活补贴和重度残疾人护理补贴的申请审核。",
         "补贴申请、家庭经济状况核对、审核审批、补贴资金发放、动态管理。"),
        (51, "TYJR", "退役军人服务管理系统", OP, 2020, (c.ID_AUTH, c.ELICENSE),
         "退役军人信息采集、安置和优待证管理。",
         "退役报到、信息采集、安置待遇、优待证申领、优抚对象管理。"),
        (52, "FG", "信用厦门（公共信用信息平台）", OP, 2016, (c.EXCHANGE,),
         "公共信用信息归集、公示和信用修复。",
         "双公示信息归集、信用报告、失信名单、信用修复申请受理与协同。"),
        (53, "FG", "惠企政策免申即享平台", OP, 2022, (c.ID_AUTH, c.PAYMENT, c.EXCHANGE),
         "惠企政策精准匹配、免申即享兑现平台。",
         "惠企惠民政策发布、企业画像与政策匹配、免申即享资格比对、审核、资金拨付、"
         "政策兑现公示。"),
        (54, "FG", "投资项目在线审批监管平台（厦门）", OP, 2017, (c.EXCHANGE,),
         "投资项目赋码、审批核准备案。",
         "项目赋码、审批核准备案、办理结果共享、项目监管。"),
        (55, "SF", "公共法律服务平台", OP, 2019, (c.ID_AUTH, c.BOOKING),
         "法律援助、公证、调解等公共法律服务的线上入口。",
         "法律援助申请、公证预约、人民调解申请、法律咨询。"),
        (56, "SF", "社区矫正信息管理系统", OP, 2017, (),
         "社区矫正对象的执行管理系统（内网）。",
         "矫正对象入矫、定位监管、教育帮扶、解矫。"),
        (57, "CZ", "统一公共支付平台", OP, 2017, (c.PAYMENT,),
         "政务服务缴费和非税收入统一收缴。",
         "缴款码生成、多渠道支付、对账、电子票据开具。"),
        (58, "SZYL", "水电气网联合报装服务系统", D, 2024, (c.ID_AUTH, c.ELICENSE, c.PAYMENT),
         "供水、供电、燃气、通信网络报装一表申请、联合办理。",
         "报装一表申请、联合踏勘、外线工程道路挖掘许可并联审批、进度跟踪、联动过户。"),
        (59, "SZYL", "城市道路挖掘占道审批系统", OP, 2018, (c.ELICENSE,),
         "城市道路挖掘、占用和户外招牌设置审批。",
         "挖掘占道申请、审批、现场核查、修复验收，户外招牌设置审批。"),
        (60, "TB", "台胞台企服务平台", OP, 2020, (c.ID_AUTH,),
         "为台胞台企提供政策咨询和同等待遇服务。",
         "台胞证实名、政策咨询、台企登记辅导、台胞就业创业服务。"),
        (61, "SHW", "外商投资信息报告系统（厦门）", OP, 2020, (c.EXCHANGE,),
         "外商投资企业初始、变更报告和年度报告。",
         "外商投资初始报告、变更报告、年度报告、数据统计。"),
        (62, "GX", "中小企业公共服务平台", OP, 2018, (c.ID_AUTH,),
         "中小企业政策、融资和服务资源对接。",
         "政策发布、融资对接、服务机构入驻、企业诉求受理。"),
        (63, "YC", "烟草专卖许可证管理系统（厦门）", OP, 2015, (c.ELICENSE,),
         "烟草专卖零售许可证的核发管理。",
         "零售许可证新办、延续、变更、停业、歇业，合理布局核查。"),
        (64, "MZ", "公民身后一件事联办系统", P, 2024, (c.ID_AUTH, c.EXCHANGE),
         "谋划中的公民身后事项联办系统。",
         "死亡信息推送、户口注销、社保医保待遇终止、公积金提取、遗产继承登记联办。"),
        (65, "WJ", "出生医学证明管理系统（一期）", X, 2010, (),
         "原出生医学证明单机版管理系统。",
         "出生医学证明登记和打印。"),
    )
    # fmt: on
