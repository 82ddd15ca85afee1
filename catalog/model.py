"""Domain types of the ledger (一本账): what a department registers and what others browse.

Plain frozen dataclasses: the ledger validates them (`catalog.rules`), stores them through the
graph port as property maps (`catalog.mapping`) and hands them to the API unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")


class Kind(StrEnum):
    """Every kind of catalog node; the value is the graph label."""

    DEPARTMENT = "Department"
    SYSTEM = "System"
    COMPONENT = "Component"
    DATASET = "Dataset"
    DATA_ELEMENT = "DataElement"
    CERTIFICATE_TYPE = "CertificateType"
    MATTER = "Matter"
    ONE_THING = "OneThing"


class Lifecycle(StrEnum):
    """System lifecycle 谋划 → 开发 → 运维 → 注销; moves only forward."""

    PLANNED = "PLANNED"
    DEVELOPING = "DEVELOPING"
    OPERATING = "OPERATING"
    DECOMMISSIONED = "DECOMMISSIONED"


LIFECYCLE_ORDER: tuple[Lifecycle, ...] = tuple(Lifecycle)


class SharingType(StrEnum):
    """共享类型: 无条件共享 / 有条件共享 / 不予共享."""

    UNCONDITIONAL = "UNCONDITIONAL"
    CONDITIONAL = "CONDITIONAL"
    NOT_SHARED = "NOT_SHARED"


class OpenType(StrEnum):
    """开放属性: 无条件开放 / 有条件开放 / 不予开放."""

    UNCONDITIONAL = "UNCONDITIONAL"
    CONDITIONAL = "CONDITIONAL"
    NOT_OPEN = "NOT_OPEN"


class Grade(StrEnum):
    """数据分级 per GB/T 43697-2024: 一般 / 重要 / 核心."""

    GENERAL = "GENERAL"
    IMPORTANT = "IMPORTANT"
    CORE = "CORE"


class UpdateCycle(StrEnum):
    """更新周期 of a catalog entry."""

    REALTIME = "REALTIME"
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"
    QUARTERLY = "QUARTERLY"
    YEARLY = "YEARLY"
    IRREGULAR = "IRREGULAR"


class SharingMethod(StrEnum):
    """共享方式: 接口 / 文件下载 / 库表交换."""

    API = "API"
    FILE = "FILE"
    DATABASE = "DATABASE"


class DataFormat(StrEnum):
    """信息资源格式 (政务信息资源目录编制指南)."""

    DATABASE = "DATABASE"
    ELECTRONIC_FILE = "ELECTRONIC_FILE"
    SPREADSHEET = "SPREADSHEET"
    IMAGE = "IMAGE"
    STREAM = "STREAM"
    OTHER = "OTHER"


class FieldType(StrEnum):
    """Data type of a 信息项 or 数据元."""

    STRING = "STRING"
    INTEGER = "INTEGER"
    DECIMAL = "DECIMAL"
    DATE = "DATE"
    DATETIME = "DATETIME"
    BOOLEAN = "BOOLEAN"
    BINARY = "BINARY"


class HolderKind(StrEnum):
    """持证主体类型: a person (公民身份号码) or an enterprise (统一社会信用代码)."""

    PERSON = "PERSON"
    ENTERPRISE = "ENTERPRISE"


class CollectionMode(StrEnum):
    """How a matter's form field gets its value: typed by the applicant, or prefilled."""

    ORIGINAL = "ORIGINAL"
    PREFILL = "PREFILL"


@dataclass(frozen=True, kw_only=True)
class LifecycleEvent:
    """One lifecycle move of a system: from, to, when and by whom."""

    from_state: Lifecycle | None
    to_state: Lifecycle
    at: datetime
    by: str
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class Department:
    """A government body (部门), identified by its 统一社会信用代码."""

    code: str
    name: str
    short_name: str = ""
    aliases: tuple[str, ...] = ()
    region: str = "350200"
    summary: str = ""


@dataclass(frozen=True, kw_only=True)
class System:
    """An application system (应用系统) owned by one department."""

    code: str
    name: str
    department: str
    summary: str = ""
    functions: str = ""
    lifecycle: Lifecycle = Lifecycle.PLANNED
    lifecycle_events: tuple[LifecycleEvent, ...] = ()
    components: tuple[str, ...] = ()
    network: str = "政务外网"
    contact: str = ""


@dataclass(frozen=True, kw_only=True)
class Component:
    """A shared building block (公共组件) that systems use."""

    code: str
    name: str
    department: str
    category: str
    summary: str = ""


@dataclass(frozen=True, kw_only=True)
class DatasetField:
    """A column (信息项) of a dataset, optionally bound to a standard data element."""

    name: str
    data_type: FieldType = FieldType.STRING
    length: int | None = None
    data_element: str | None = None
    sensitive: bool = False
    secret: bool = False
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class FieldMapping:
    """Column-level lineage: this dataset's `target_field` comes from the source's field."""

    source_field: str
    target_field: str


@dataclass(frozen=True, kw_only=True)
class Derivation:
    """This dataset is derived from `source` by `job`, observed from `since` until `until`."""

    source: str
    job: str = ""
    since: datetime | None = None
    until: datetime | None = None
    fields: tuple[FieldMapping, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Dataset:
    """A catalog entry (政务信息资源目录条目) provided by one department."""

    code: str
    name: str
    department: str
    summary: str
    category: str = "部门信息资源"
    format: DataFormat = DataFormat.DATABASE
    fields: tuple[DatasetField, ...] = ()
    sharing_type: SharingType = SharingType.CONDITIONAL
    sharing_condition: str = ""
    sharing_method: SharingMethod = SharingMethod.API
    open_type: OpenType = OpenType.NOT_OPEN
    open_condition: str = ""
    grade: Grade = Grade.GENERAL
    update_cycle: UpdateCycle = UpdateCycle.DAILY
    publish_date: date | None = None
    source_system: str | None = None
    tags: tuple[str, ...] = ()
    derived_from: tuple[Derivation, ...] = ()
    unregistered: bool = False


@dataclass(frozen=True, kw_only=True)
class DataElement:
    """A standard data item (数据元), optionally with its authoritative source dataset."""

    code: str
    name: str
    department: str
    definition: str = ""
    data_type: FieldType = FieldType.STRING
    format: str = ""
    personal: bool = False
    authoritative_dataset: str | None = None


@dataclass(frozen=True, kw_only=True)
class SurfaceField:
    """A 照面 field printed on an e-license, bound to a data element where one exists."""

    name: str
    data_element: str | None = None
    sensitive: bool = False


@dataclass(frozen=True, kw_only=True)
class CertificateType:
    """An e-license type (证照类型); its code is the defining body's USCC + a 3-digit number."""

    code: str
    name: str
    department: str
    issuing_departments: tuple[str, ...] = ()
    holder_kind: HolderKind = HolderKind.ENTERPRISE
    surface_fields: tuple[SurfaceField, ...] = ()
    validity_years: int | None = None
    source_dataset: str | None = None
    sharing_type: SharingType = SharingType.CONDITIONAL
    summary: str = ""


@dataclass(frozen=True, kw_only=True)
class FormField:
    """A field of a matter's application form: which data element it collects, and how."""

    name: str
    data_element: str | None = None
    required: bool = True
    collection: CollectionMode = CollectionMode.ORIGINAL
    prefill_source: str | None = None


@dataclass(frozen=True, kw_only=True)
class Matter:
    """An administrative service (政务服务事项) with its form and required materials."""

    code: str
    name: str
    department: str
    category: str = "行政许可"
    summary: str = ""
    form_fields: tuple[FormField, ...] = ()
    materials: tuple[str, ...] = ()
    time_limit_days: int | None = None


@dataclass(frozen=True, kw_only=True)
class OneThing:
    """A bundle of matters done together (高效办成一件事)."""

    code: str
    name: str
    department: str
    summary: str = ""
    matters: tuple[str, ...] = ()


Entity = (
    Department | System | Component | Dataset | DataElement | CertificateType | Matter | OneThing
)

KIND_OF: dict[type[object], Kind] = {
    Department: Kind.DEPARTMENT,
    System: Kind.SYSTEM,
    Component: Kind.COMPONENT,
    Dataset: Kind.DATASET,
    DataElement: Kind.DATA_ELEMENT,
    CertificateType: Kind.CERTIFICATE_TYPE,
    Matter: Kind.MATTER,
    OneThing: Kind.ONE_THING,
}
TYPE_OF: dict[Kind, type[Entity]] = {kind: cls for cls, kind in KIND_OF.items()}  # type: ignore[misc]

KIND_LABEL_ZH: dict[Kind, str] = {
    Kind.DEPARTMENT: "部门",
    Kind.SYSTEM: "应用系统",
    Kind.COMPONENT: "公共组件",
    Kind.DATASET: "信息资源",
    Kind.DATA_ELEMENT: "数据元",
    Kind.CERTIFICATE_TYPE: "证照类型",
    Kind.MATTER: "政务服务事项",
    Kind.ONE_THING: "一件事",
}


@dataclass(frozen=True, kw_only=True)
class Stored(Generic[T]):
    """An entity as the ledger holds it: with its version and timestamps."""

    entity: T
    version: int
    created_at: datetime
    updated_at: datetime
    updated_by: str = ""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, keyset-paginated by code."""

    items: list[T] = field(default_factory=list)
    has_next: bool = False
    total: int = 0
