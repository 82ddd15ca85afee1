"""Output types: every catalog object is a `Node` with a global id and its domain code."""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Awaitable
from datetime import date, datetime
from typing import Any, TypeVar, cast

import strawberry

from api.graphql.context import Context, Info
from api.graphql.enums import (
    CollectionMode,
    DataFormat,
    FieldType,
    Grade,
    HolderKind,
    Lifecycle,
    OpenType,
    SharingMethod,
    SharingType,
    UpdateCycle,
)
from api.graphql.fast_plan import context_resolver
from catalog import model
from catalog.model import Kind
from catalog.relations import Rel
from graph.port import Direction

_T = TypeVar("_T")


_URLSAFE = bytes.maketrans(b"+/", b"-_")
_ID_PREFIX = {kind: f"{kind.value}:".encode() for kind in Kind}


def global_id(kind: Kind, code: str) -> strawberry.ID:
    """The opaque global id of a catalog node: `base64.urlsafe_b64encode` of "Kind:code",
    with its steps called directly (a page makes a hundred)."""
    encoded = binascii.b2a_base64(_ID_PREFIX[kind] + code.encode(), newline=False)
    return encoded.translate(_URLSAFE).decode()  # type: ignore[return-value]


def parse_global_id(value: str) -> tuple[Kind, str] | None:
    """(kind, code) inside a global id, or None when it is not one of ours."""
    try:
        label, _, code = base64.urlsafe_b64decode(value.encode()).decode().partition(":")
        return Kind(label), code
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


@strawberry.interface(description="Anything with a global id; fetch it again with `node(id:)`.")
class Node:
    id: strawberry.ID


@strawberry.interface(description="A ledger entry: its code, name, version and change times.")
class Resource(Node):
    code: str
    name: str
    version: int
    created_at: datetime
    updated_at: datetime
    updated_by: str


def _make(cls: type[_T], values: dict[str, Any]) -> _T:
    """An instance of a strawberry type with `values` as its fields, as the type's dataclass
    `__init__` would set them (these types have none of `__post_init__`, slots or init-only
    fields; `tests/api/test_nodes.py` checks that every builder gives what `__init__` gives):
    a page builds about a thousand of them."""
    made = object.__new__(cls)
    made.__dict__.update(values)
    return made


def _base(stored: model.Stored[Any], kind: Kind) -> dict[str, Any]:
    e = stored.entity
    return {
        "id": global_id(kind, e.code),
        "code": e.code,
        "name": e.name,
        "version": stored.version,
        "created_at": stored.created_at,
        "updated_at": stored.updated_at,
        "updated_by": stored.updated_by,
    }


async def _one(info: Info, kind: Kind, code: str | None) -> Any:
    if not code:
        return None
    stored = await info.context.loaders.entity.load((kind, code))
    return None if stored is None else to_node(stored)


async def _many(info: Info, kind: Kind, codes: tuple[str, ...] | list[str]) -> list[Any]:
    return [to_node(s) for s in await info.context.loaders.many([(kind, c) for c in codes])]


async def _neighbours(
    info: Info, kind: Kind, code: str, rel: str, direction: Direction
) -> list[Any]:
    keys = await info.context.loaders.neighbours.load((kind, code, rel, direction))
    return [to_node(s) for s in await info.context.loaders.many(keys)]


def _owner(source: Owned, context: Context) -> Awaitable[Department | None] | Department | None:
    """The owning department: at once when its page already knows it (see
    `Loaders.expect`), else through the batching loader. Items of one owner share its
    object."""
    key = (Kind.DEPARTMENT, source.department_code)
    built = context.loaders.built
    if key in built:
        node: Department | None = built[key]
        return node
    found = context.loaders.entity_soon(key)
    if isinstance(found, Awaitable):
        return _later_node(found)
    node = built[key] = None if found is None else to_node(found)
    return node


async def _later_node(found: Awaitable[model.Stored[Any] | None]) -> Any:
    stored = await found
    return None if stored is None else to_node(stored)


@strawberry.interface(description="A resource maintained by one department.")
class Owned(Resource):
    department_code: str

    @strawberry.field(
        description="The department that maintains it (提供方 / 责任部门).",
        metadata=context_resolver(_owner),
    )
    async def department(self, info: Info) -> Department | None:
        found = _owner(self, info.context)
        return await found if isinstance(found, Awaitable) else found


@strawberry.type(description="部门: a government body, identified by its 统一社会信用代码.")
class Department(Resource):
    short_name: str
    aliases: list[str]
    region: str
    summary: str

    @classmethod
    def of(cls, s: model.Stored[Any]) -> Department:
        e: model.Department = s.entity
        values = _base(s, Kind.DEPARTMENT)
        values.update(
            short_name=e.short_name, aliases=list(e.aliases), region=e.region, summary=e.summary
        )
        return _make(cls, values)


@strawberry.type(description="One lifecycle move of a system.")
class LifecycleEvent:
    from_state: Lifecycle | None
    to_state: Lifecycle
    at: datetime
    by: str
    note: str


@strawberry.type(description="Another system that looks like this one, how much and why.")
class SystemLookalike:
    code: str
    score: float
    reason: str
    reason_en: str


@strawberry.type(description="应用系统: an application system with its lifecycle.")
class System(Owned):
    summary: str
    functions: str
    lifecycle: Lifecycle
    lifecycle_events: list[LifecycleEvent]
    network: str
    component_codes: strawberry.Private[tuple[str, ...]]

    @classmethod
    def of(cls, s: model.Stored[Any]) -> System:
        e: model.System = s.entity
        return cls(
            **_base(s, Kind.SYSTEM),
            department_code=e.department,
            summary=e.summary,
            functions=e.functions,
            lifecycle=e.lifecycle,
            network=e.network,
            lifecycle_events=[
                LifecycleEvent(
                    from_state=v.from_state, to_state=v.to_state, at=v.at, by=v.by, note=v.note
                )
                for v in e.lifecycle_events
            ],
            component_codes=e.components,
        )

    @strawberry.field(description="Public components this system uses.")
    async def components(self, info: Info) -> list[Component]:
        return await _many(info, Kind.COMPONENT, self.component_codes)

    @strawberry.field(
        description="Systems this one looks like (应用查重): check after registering."
    )
    def possible_duplicates(self, info: Info, threshold: float = 0.6) -> list[SystemLookalike]:
        from api.graphql.census import all_systems  # the census module imports this one
        from catalog.census.duplicates import find_duplicate_systems

        pairs = find_duplicate_systems(
            all_systems(info.context.ledger), threshold=threshold, focus=[self.code]
        )
        return [
            SystemLookalike(
                code=p.second if p.first == self.code else p.first,
                score=p.score,
                reason=p.reason,
                reason_en=p.reason_en,
            )
            for p in pairs
        ]

    @strawberry.field(description="Datasets this system produces.")
    async def datasets(self, info: Info) -> list[Dataset]:
        return await _neighbours(info, Kind.SYSTEM, self.code, Rel.PRODUCES, Direction.OUT)


@strawberry.type(description="公共组件: a shared building block.")
class Component(Owned):
    category: str
    summary: str

    @classmethod
    def of(cls, s: model.Stored[Any]) -> Component:
        e: model.Component = s.entity
        return cls(
            **_base(s, Kind.COMPONENT),
            department_code=e.department,
            category=e.category,
            summary=e.summary,
        )

    @strawberry.field(description="Systems that use this component.")
    async def used_by(self, info: Info) -> list[System]:
        return await _neighbours(info, Kind.COMPONENT, self.code, Rel.USES, Direction.IN)


@strawberry.type(description="信息项: a column of a dataset.")
class DatasetField:
    """Served straight from the entity's `model.DatasetField` (a page has hundreds of them):
    the attribute names are the domain's, `data_element` holding the element's code."""

    name: str
    data_type: FieldType
    length: int | None
    data_element: str | None = strawberry.field(name="dataElementCode")
    sensitive: bool
    secret: bool
    description: str

    @strawberry.field(name="dataElement")
    async def data_element_node(self, info: Info) -> DataElement | None:
        return await _one(info, Kind.DATA_ELEMENT, self.data_element)


@strawberry.type(
    description="A derivation: the source dataset, the job, when it held, column mapping."
)
class Derivation:
    source_code: str
    job: str
    since: datetime | None
    until: datetime | None
    field_mappings: list[FieldMapping]

    @strawberry.field
    async def source(self, info: Info) -> Dataset | None:
        return await _one(info, Kind.DATASET, self.source_code)


@strawberry.type
class FieldMapping:
    source_field: str
    target_field: str


@strawberry.type(description="信息资源: a catalog entry with the 政务信息资源目录 fields.")
class Dataset(Owned):
    summary: str
    category: str
    format: DataFormat
    fields: list[DatasetField]
    sharing_type: SharingType
    sharing_condition: str
    sharing_method: SharingMethod
    open_type: OpenType
    open_condition: str
    grade: Grade
    update_cycle: UpdateCycle
    publish_date: date | None
    source_system_code: str | None
    tags: list[str]
    derived_from: list[Derivation]
    unregistered: bool = strawberry.field(
        description="A placeholder made from lineage events, waiting for its owner to claim it."
    )

    @classmethod
    def of(cls, s: model.Stored[Any]) -> Dataset:
        e: model.Dataset = s.entity
        values = dict(vars(e))  # the entity's fields, renamed and completed below
        if type(e) is not model.Dataset or len(values) != _DATASET_FIELDS:
            return cls._of_fields(s)
        values["department_code"] = values.pop("department")
        values["source_system_code"] = values.pop("source_system")
        values["fields"] = list(e.fields)  # domain fields serve as they are (`DatasetField`)
        values["tags"] = list(e.tags)
        values["derived_from"] = _derivations(e) if e.derived_from else []
        values["id"] = global_id(Kind.DATASET, e.code)
        values["version"] = s.version
        values["created_at"] = s.created_at
        values["updated_at"] = s.updated_at
        values["updated_by"] = s.updated_by
        return _make(cls, values)

    @classmethod
    def _of_fields(cls, s: model.Stored[Any]) -> Dataset:
        """`of`, reading each field of the entity."""
        e: model.Dataset = s.entity
        values = _base(s, Kind.DATASET)
        values.update(
            department_code=e.department,
            summary=e.summary,
            category=e.category,
            format=e.format,
            # the domain fields have every attribute `DatasetField` reads (see its docstring)
            fields=cast("list[DatasetField]", list(e.fields)),
            sharing_type=e.sharing_type,
            sharing_condition=e.sharing_condition,
            sharing_method=e.sharing_method,
            open_type=e.open_type,
            open_condition=e.open_condition,
            grade=e.grade,
            update_cycle=e.update_cycle,
            publish_date=e.publish_date,
            source_system_code=e.source_system,
            tags=list(e.tags),
            unregistered=e.unregistered,
            derived_from=_derivations(e),
        )
        return _make(cls, values)

    @strawberry.field(description="The system that produces this dataset.")
    async def source_system(self, info: Info) -> System | None:
        return await _one(info, Kind.SYSTEM, self.source_system_code)


_DATASET_FIELDS = len(dataclasses.fields(model.Dataset))


def _derivations(e: model.Dataset) -> list[Derivation]:
    return [
        Derivation(
            source_code=d.source,
            job=d.job,
            since=d.since,
            until=d.until,
            field_mappings=[
                FieldMapping(source_field=m.source_field, target_field=m.target_field)
                for m in d.fields
            ],
        )
        for d in e.derived_from
    ]


@strawberry.type(description="数据元: a standard data item.")
class DataElement(Owned):
    definition: str
    data_type: FieldType
    format: str
    personal: bool
    authoritative_dataset_code: str | None

    @classmethod
    def of(cls, s: model.Stored[Any]) -> DataElement:
        e: model.DataElement = s.entity
        return cls(
            **_base(s, Kind.DATA_ELEMENT),
            department_code=e.department,
            definition=e.definition,
            data_type=e.data_type,
            format=e.format,
            personal=e.personal,
            authoritative_dataset_code=e.authoritative_dataset,
        )

    @strawberry.field(description="权威来源: the dataset that is the source of truth.")
    async def authoritative_dataset(self, info: Info) -> Dataset | None:
        return await _one(info, Kind.DATASET, self.authoritative_dataset_code)


@strawberry.type(description="A 照面 field of an e-license type.")
class SurfaceField:
    name: str
    data_element_code: str | None
    sensitive: bool

    @strawberry.field
    async def data_element(self, info: Info) -> DataElement | None:
        return await _one(info, Kind.DATA_ELEMENT, self.data_element_code)


@strawberry.type(description="证照类型: an e-license type (GB/T 36903 证照类型代码).")
class CertificateType(Owned):
    holder_kind: HolderKind
    surface_fields: list[SurfaceField]
    validity_years: int | None
    sharing_type: SharingType
    summary: str
    issuing_department_codes: list[str]
    source_dataset_code: str | None

    @classmethod
    def of(cls, s: model.Stored[Any]) -> CertificateType:
        e: model.CertificateType = s.entity
        return cls(
            **_base(s, Kind.CERTIFICATE_TYPE),
            department_code=e.department,
            holder_kind=e.holder_kind,
            surface_fields=[
                SurfaceField(name=f.name, data_element_code=f.data_element, sensitive=f.sensitive)
                for f in e.surface_fields
            ],
            validity_years=e.validity_years,
            sharing_type=e.sharing_type,
            summary=e.summary,
            issuing_department_codes=list(e.issuing_departments),
            source_dataset_code=e.source_dataset,
        )

    @strawberry.field(description="Departments that issue e-licenses of this type.")
    async def issuing_departments(self, info: Info) -> list[Department]:
        return await _many(info, Kind.DEPARTMENT, self.issuing_department_codes)

    @strawberry.field(description="The dataset e-licenses of this type are issued from.")
    async def source_dataset(self, info: Info) -> Dataset | None:
        return await _one(info, Kind.DATASET, self.source_dataset_code)


@strawberry.type(description="A field of a matter's application form.")
class FormField:
    name: str
    data_element_code: str | None
    required: bool
    collection: CollectionMode
    prefill_source_code: str | None

    @strawberry.field
    async def data_element(self, info: Info) -> DataElement | None:
        return await _one(info, Kind.DATA_ELEMENT, self.data_element_code)

    @strawberry.field
    async def prefill_source(self, info: Info) -> Dataset | None:
        return await _one(info, Kind.DATASET, self.prefill_source_code)


@strawberry.type(description="政务服务事项: an administrative service with its form and materials.")
class Matter(Owned):
    category: str
    summary: str
    form_fields: list[FormField]
    material_codes: list[str]
    time_limit_days: int | None

    @classmethod
    def of(cls, s: model.Stored[Any]) -> Matter:
        e: model.Matter = s.entity
        return cls(
            **_base(s, Kind.MATTER),
            department_code=e.department,
            category=e.category,
            summary=e.summary,
            form_fields=[
                FormField(
                    name=f.name,
                    data_element_code=f.data_element,
                    required=f.required,
                    collection=f.collection,
                    prefill_source_code=f.prefill_source,
                )
                for f in e.form_fields
            ],
            material_codes=list(e.materials),
            time_limit_days=e.time_limit_days,
        )

    @strawberry.field(description="Certificate types required as materials (申请材料).")
    async def materials(self, info: Info) -> list[CertificateType]:
        return await _many(info, Kind.CERTIFICATE_TYPE, self.material_codes)

    @strawberry.field(description="一件事 bundles that include this matter.")
    async def one_things(self, info: Info) -> list[OneThing]:
        return await _neighbours(info, Kind.MATTER, self.code, Rel.INCLUDES, Direction.IN)


@strawberry.type(description="一件事: a bundle of matters done together.")
class OneThing(Owned):
    summary: str
    matter_codes: list[str]

    @classmethod
    def of(cls, s: model.Stored[Any]) -> OneThing:
        e: model.OneThing = s.entity
        return cls(
            **_base(s, Kind.ONE_THING),
            department_code=e.department,
            summary=e.summary,
            matter_codes=list(e.matters),
        )

    @strawberry.field(description="The matters of this bundle.")
    async def matters(self, info: Info) -> list[Matter]:
        return await _many(info, Kind.MATTER, self.matter_codes)


_BUILDERS: dict[Kind, Any] = {
    Kind.DEPARTMENT: Department.of,
    Kind.SYSTEM: System.of,
    Kind.COMPONENT: Component.of,
    Kind.DATASET: Dataset.of,
    Kind.DATA_ELEMENT: DataElement.of,
    Kind.CERTIFICATE_TYPE: CertificateType.of,
    Kind.MATTER: Matter.of,
    Kind.ONE_THING: OneThing.of,
}


def to_node(stored: model.Stored[Any]) -> Any:
    """The GraphQL object for a stored entity."""
    return _BUILDERS[model.KIND_OF[type(stored.entity)]](stored)
