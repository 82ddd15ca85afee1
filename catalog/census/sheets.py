"""The census sheets: one description per sheet drives the templates, the reader, the writer,
the JSON Schemas and the mapping of a rule's field path back to a column.

A column's `key` is the field path the ledger's rules use (``sharingType``, ``dataElement``);
its attribute on the domain type is the snake_case of the key. A child sheet (信息项, 照面项,
表单项, 生命周期记录) lists one row per item, keyed by its parent's code in the first column,
in the order the items should appear — a clerk can paste a database's column list into it,
and the parent's catalog row is typed once instead of being repeated on every field row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum, StrEnum

from catalog.model import (
    CertificateType,
    CollectionMode,
    Component,
    DataElement,
    DataFormat,
    Dataset,
    DatasetField,
    Department,
    Derivation,
    FieldType,
    FormField,
    Grade,
    HolderKind,
    Kind,
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


class ColumnType(Enum):
    """How a cell is read and written."""

    TEXT = "text"
    CODE = "code"
    INT = "int"
    DATE = "date"
    DATETIME = "datetime"
    BOOL = "bool"
    ENUM = "enum"
    LIST = "list"
    MAPPINGS = "mappings"


@dataclass(frozen=True)
class Column:
    """One column: its rule path `key`, Chinese header, cell kind and the help a clerk reads."""

    key: str
    header: str
    kind: ColumnType = ColumnType.TEXT
    required: bool = False
    enum: type[StrEnum] | None = None
    help: str = ""
    help_en: str = ""
    width: int = 18

    @property
    def attr(self) -> str:
        """The attribute of the domain type this column fills."""
        return re.sub(r"(?<!^)([A-Z])", r"_\1", self.key).lower()


@dataclass(frozen=True)
class SheetSpec:
    """One sheet: its title, the domain type of a row, and its columns.

    A child sheet names its parent sheet and the parent's tuple attribute it fills; its first
    column holds the parent's code.
    """

    name: str
    key: str
    row_type: type[object]
    columns: tuple[Column, ...]
    kind: Kind | None = None
    parent: str | None = None
    collection: str | None = None
    title_en: str = ""

    def column(self, key: str) -> Column | None:
        """The column of rule path `key`, if this sheet has one."""
        return next((c for c in self.columns if c.key == key), None)


C, T = Column, ColumnType
_DEPT_HELP = "18 位统一社会信用代码，须已在部门表中或本次一并导入"
_DEPT_HELP_EN = "18-character unified social credit code of a registered department"
_LIST_HELP = "多个时用顿号“、”分隔"
_LIST_HELP_EN = "separate several with 、 or a comma"

DEPARTMENTS = SheetSpec(
    "部门", "departments", Department,
    (
        C("code", "统一社会信用代码", T.CODE, True, help="18 位，末位为校验码",
          help_en="18 characters, the last is a check character"),
        C("name", "部门名称", required=True, width=28),
        C("shortName", "简称"),
        C("aliases", "别名", T.LIST, help=_LIST_HELP, help_en=_LIST_HELP_EN),
        C("region", "行政区划代码", T.CODE, help="6 位，如 350200", help_en="6 digits"),
        C("summary", "主要职责", width=40),
    ),
    kind=Kind.DEPARTMENT, title_en="departments",
)  # fmt: skip

COMPONENTS = SheetSpec(
    "公共组件", "components", Component,
    (
        C("code", "组件编码", T.CODE, True),
        C("name", "组件名称", required=True, width=24),
        C("department", "所属部门统一社会信用代码", T.CODE, True, help=_DEPT_HELP,
          help_en=_DEPT_HELP_EN),
        C("category", "组件类别", required=True, help="如 身份认证、电子印章、支付"),
        C("summary", "组件简介", width=40),
    ),
    kind=Kind.COMPONENT, title_en="public components",
)  # fmt: skip

SYSTEMS = SheetSpec(
    "应用系统", "systems", System,
    (
        C("code", "系统编码", T.CODE, True, help="字母、数字和 . _ / -，2–64 位"),
        C("name", "系统名称", required=True, width=28),
        C("department", "所属部门统一社会信用代码", T.CODE, True, help=_DEPT_HELP,
          help_en=_DEPT_HELP_EN),
        C("summary", "系统简介", width=40),
        C("functions", "功能描述", width=48, help="主要功能，用于应用查重",
          help_en="main functions; used to find duplicate systems"),
        C("lifecycle", "生命周期", T.ENUM, True, Lifecycle,
          help="只能向前推进：谋划→开发→运维→注销", help_en="moves only forward"),
        C("components", "使用的公共组件编码", T.LIST, help=_LIST_HELP, help_en=_LIST_HELP_EN),
        C("network", "部署网络", help="政务外网、政务内网或互联网；空白为政务外网"),
        C("contact", "联系人", width=24),
    ),
    kind=Kind.SYSTEM, title_en="application systems",
)  # fmt: skip

LIFECYCLE_EVENTS = SheetSpec(
    "生命周期记录", "systemLifecycleEvents", LifecycleEvent,
    (
        C("systemCode", "系统编码", T.CODE, True),
        C("fromState", "原状态", T.ENUM, False, Lifecycle, help="首条记录留空"),
        C("toState", "新状态", T.ENUM, True, Lifecycle),
        C("at", "变更时间", T.DATETIME, True, help="如 2024-05-31 18:00（北京时间）",
          help_en="e.g. 2024-05-31 18:00 (Beijing time) or RFC 3339"),
        C("by", "操作人"),
        C("note", "备注", width=30),
    ),
    parent="应用系统", collection="lifecycle_events", title_en="system lifecycle history",
)  # fmt: skip

DATA_ELEMENTS = SheetSpec(
    "数据元", "dataElements", DataElement,
    (
        C("code", "数据元编码", T.CODE, True),
        C("name", "数据元名称", required=True, width=22),
        C("department", "所属部门统一社会信用代码", T.CODE, True, help=_DEPT_HELP,
          help_en=_DEPT_HELP_EN),
        C("definition", "定义", width=40),
        C("dataType", "数据类型", T.ENUM, False, FieldType),
        C("format", "表示格式", help="如 c18、n8(YYYYMMDD)"),
        C("personal", "是否个人信息", T.BOOL),
        C("authoritativeDataset", "权威来源信息资源代码", T.CODE),
    ),
    kind=Kind.DATA_ELEMENT, title_en="data elements",
)  # fmt: skip

DATASETS = SheetSpec(
    "信息资源", "datasets", Dataset,
    (
        C("code", "信息资源代码", T.CODE, True),
        C("name", "信息资源名称", required=True, width=26),
        C("department", "提供部门统一社会信用代码", T.CODE, True, help=_DEPT_HELP,
          help_en=_DEPT_HELP_EN),
        C("summary", "摘要", required=True, width=40),
        C("category", "资源分类", help="基础信息资源、主题信息资源或部门信息资源"),
        C("format", "资源格式", T.ENUM, False, DataFormat),
        C("sharingType", "共享类型", T.ENUM, True, SharingType),
        C("sharingCondition", "共享条件", width=36,
          help="有条件共享填写条件；不予共享填写法律法规或政策依据"),
        C("sharingMethod", "共享方式", T.ENUM, False, SharingMethod),
        C("openType", "开放属性", T.ENUM, True, OpenType, help="不予共享的资源必须不予开放"),
        C("openCondition", "开放条件", width=30),
        C("grade", "数据分级", T.ENUM, False, Grade, help="GB/T 43697-2024"),
        C("updateCycle", "更新周期", T.ENUM, False, UpdateCycle),
        C("publishDate", "发布日期", T.DATE, help="如 2024-05-01"),
        C("sourceSystem", "来源系统编码", T.CODE),
        C("tags", "标签", T.LIST, help=_LIST_HELP, help_en=_LIST_HELP_EN),
        C("unregistered", "待认领", T.BOOL,
          help="由血缘事件自动创建的占位资源为“是”；核实并补全后改为“否”即认领",
          help_en="是 for a placeholder made from lineage events; set 否 to claim it"),
    ),
    kind=Kind.DATASET, title_en="datasets",
)  # fmt: skip

DATASET_FIELDS = SheetSpec(
    "信息项", "datasetFields", DatasetField,
    (
        C("datasetCode", "信息资源代码", T.CODE, True, help="所属信息资源；每个信息项一行"),
        C("name", "信息项名称", required=True, width=22),
        C("dataType", "数据类型", T.ENUM, False, FieldType),
        C("length", "长度", T.INT),
        C("dataElement", "数据元编码", T.CODE),
        C("sensitive", "是否敏感", T.BOOL),
        C("secret", "是否涉密", T.BOOL, help="含涉密信息项的资源必须不予共享"),
        C("description", "说明", width=30),
    ),
    parent="信息资源", collection="fields", title_en="dataset fields",
)  # fmt: skip

DERIVATIONS = SheetSpec(
    "数据来源", "datasetDerivations", Derivation,
    (
        C("datasetCode", "信息资源代码", T.CODE, True, help="加工而成的信息资源；每个来源一行"),
        C("source", "来源信息资源代码", T.CODE, True),
        C("job", "加工任务", width=24, help="如 人口库归集"),
        C("since", "起始时间", T.DATETIME, help="如 2021-03-01 08:00（北京时间）"),
        C("until", "截止时间", T.DATETIME, help="仍在加工留空"),
        C("fields", "字段映射", T.MAPPINGS, width=40,
          help="来源信息项→本资源信息项，多个用“、”分隔；同名可只写一个",
          help_en="source field→this dataset's field, separated by 、"),
    ),
    parent="信息资源", collection="derived_from", title_en="dataset lineage (derived from)",
)  # fmt: skip

CERTIFICATE_TYPES = SheetSpec(
    "证照类型", "certificateTypes", CertificateType,
    (
        C("code", "证照类型代码", T.CODE, True, help="定义机构统一社会信用代码 + 3 位顺序码",
          help_en="the defining body's USCC followed by 3 digits", width=26),
        C("name", "证照名称", required=True, width=22),
        C("department", "定义部门统一社会信用代码", T.CODE, True, help=_DEPT_HELP,
          help_en=_DEPT_HELP_EN),
        C("issuingDepartments", "颁发部门统一社会信用代码", T.LIST, help=_LIST_HELP,
          help_en=_LIST_HELP_EN),
        C("holderKind", "持证主体类型", T.ENUM, False, HolderKind),
        C("validityYears", "有效年限", T.INT, help="长期有效留空"),
        C("sourceDataset", "来源信息资源代码", T.CODE),
        C("sharingType", "共享类型", T.ENUM, False, SharingType),
        C("summary", "证照简介", width=36),
    ),
    kind=Kind.CERTIFICATE_TYPE, title_en="e-license types",
)  # fmt: skip

SURFACE_FIELDS = SheetSpec(
    "照面项", "certificateSurfaceFields", SurfaceField,
    (
        C("certificateTypeCode", "证照类型代码", T.CODE, True, width=26),
        C("name", "照面项名称", required=True, width=22),
        C("dataElement", "数据元编码", T.CODE),
        C("sensitive", "是否敏感", T.BOOL),
    ),
    parent="证照类型", collection="surface_fields", title_en="e-license surface fields",
)  # fmt: skip

MATTERS = SheetSpec(
    "政务服务事项", "matters", Matter,
    (
        C("code", "事项编码", T.CODE, True, width=26),
        C("name", "事项名称", required=True, width=26),
        C("department", "实施部门统一社会信用代码", T.CODE, True, help=_DEPT_HELP,
          help_en=_DEPT_HELP_EN),
        C("category", "事项类型", help="行政许可、行政确认、行政给付、公共服务等"),
        C("summary", "事项简介", width=36),
        C("materials", "申请材料（证照类型代码）", T.LIST, help=_LIST_HELP,
          help_en=_LIST_HELP_EN, width=30),
        C("timeLimitDays", "承诺时限（工作日）", T.INT),
    ),
    kind=Kind.MATTER, title_en="administrative matters",
)  # fmt: skip

FORM_FIELDS = SheetSpec(
    "表单项", "matterFormFields", FormField,
    (
        C("matterCode", "事项编码", T.CODE, True, width=26),
        C("name", "表单项名称", required=True, width=22),
        C("dataElement", "数据元编码", T.CODE),
        C("required", "是否必填", T.BOOL, help="空白为“是”"),
        C("collection", "采集方式", T.ENUM, False, CollectionMode,
          help="共享预填须填写预填来源", help_en="PREFILL needs a source dataset"),
        C("prefillSource", "预填来源信息资源代码", T.CODE),
    ),
    parent="政务服务事项", collection="form_fields", title_en="matter form fields",
)  # fmt: skip

ONE_THINGS = SheetSpec(
    "一件事", "oneThings", OneThing,
    (
        C("code", "一件事编码", T.CODE, True),
        C("name", "一件事名称", required=True, width=24),
        C("department", "牵头部门统一社会信用代码", T.CODE, True, help=_DEPT_HELP,
          help_en=_DEPT_HELP_EN),
        C("summary", "简介", width=40),
        C("matters", "包含事项编码", T.LIST, True, help=_LIST_HELP, help_en=_LIST_HELP_EN,
          width=40),
    ),
    kind=Kind.ONE_THING, title_en="one-thing bundles",
)  # fmt: skip

SHEETS: tuple[SheetSpec, ...] = (
    DEPARTMENTS,
    COMPONENTS,
    SYSTEMS,
    LIFECYCLE_EVENTS,
    DATA_ELEMENTS,
    DATASETS,
    DATASET_FIELDS,
    DERIVATIONS,
    CERTIFICATE_TYPES,
    SURFACE_FIELDS,
    MATTERS,
    FORM_FIELDS,
    ONE_THINGS,
)
BY_NAME: dict[str, SheetSpec] = {s.name: s for s in SHEETS}
BY_KIND: dict[Kind, SheetSpec] = {s.kind: s for s in SHEETS if s.kind is not None}
CHILDREN: dict[str, tuple[SheetSpec, ...]] = {
    s.name: tuple(c for c in SHEETS if c.parent == s.name) for s in SHEETS if s.parent is None
}
INSTRUCTIONS_SHEET = "说明"

# The template files `write_templates` makes: file name -> the sheets in it.
TEMPLATE_FILES: tuple[tuple[str, tuple[SheetSpec, ...]], ...] = (
    ("01-部门.xlsx", (DEPARTMENTS,)),
    ("02-公共组件.xlsx", (COMPONENTS,)),
    ("03-应用系统.xlsx", (SYSTEMS, LIFECYCLE_EVENTS)),
    ("04-数据元.xlsx", (DATA_ELEMENTS,)),
    ("05-信息资源.xlsx", (DATASETS, DATASET_FIELDS, DERIVATIONS)),
    ("06-证照类型.xlsx", (CERTIFICATE_TYPES, SURFACE_FIELDS)),
    ("07-政务服务事项.xlsx", (MATTERS, FORM_FIELDS)),
    ("08-一件事.xlsx", (ONE_THINGS,)),
)


def normalize_header(text: str) -> str:
    """A header as typed, without the marks clerks add: spaces, ``*``, （必填）."""
    return re.sub(r"\s+|\*|（必填）|\(必填\)", "", text)
