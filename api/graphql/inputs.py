"""Inputs for registering (`…Input`, required fields) and patching (`…Patch`, all optional).

Input field names are the domain's (camelCased by strawberry), so conversion is mechanical.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any, get_args, get_type_hints

import strawberry
from strawberry.types.unset import UNSET

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
from catalog.mapping import load_fields
from catalog.problems import FieldIssue, ValidationFailed


def as_dict(value: Any) -> Any:
    """A strawberry input as plain values, dropping fields left UNSET."""
    if isinstance(value, list | tuple):
        return [as_dict(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: as_dict(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if getattr(value, f.name) is not UNSET
        }
    return value


def to_entity(cls: type[Any], value: Any) -> Any:
    """A domain entity from a registration input."""
    return cls(**load_fields(cls, as_dict(value)))


def to_patch(cls: type[Any], value: Any) -> dict[str, Any]:
    """Domain-typed changes from a patch input (only the fields that were given).

    An explicit null is allowed only where the domain field is optional.
    """
    given = as_dict(value)
    hints = get_type_hints(cls)
    nulls = [k for k, v in given.items() if v is None and type(None) not in get_args(hints[k])]
    if nulls:
        raise ValidationFailed(
            [
                FieldIssue(
                    _camel(k),
                    "NULL_NOT_ALLOWED",
                    "此字段不能为 null，不修改请省略该字段",
                    "this field cannot be null; omit it to leave it unchanged",
                )
                for k in nulls
            ]
        )
    return load_fields(cls, given)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


@strawberry.input
class DepartmentInput:
    code: str
    name: str
    short_name: str = ""
    aliases: list[str] = strawberry.field(default_factory=list)
    region: str = "350200"
    summary: str = ""


@strawberry.input
class DepartmentPatch:
    name: str | None = UNSET
    short_name: str | None = UNSET
    aliases: list[str] | None = UNSET
    region: str | None = UNSET
    summary: str | None = UNSET


@strawberry.input
class SystemInput:
    code: str
    name: str
    department: str
    summary: str = ""
    functions: str = ""
    lifecycle: Lifecycle = Lifecycle.PLANNED
    components: list[str] = strawberry.field(default_factory=list)
    network: str = "政务外网"
    contact: str = ""


@strawberry.input
class SystemPatch:
    name: str | None = UNSET
    department: str | None = UNSET
    summary: str | None = UNSET
    functions: str | None = UNSET
    components: list[str] | None = UNSET
    network: str | None = UNSET
    contact: str | None = UNSET


@strawberry.input
class ComponentInput:
    code: str
    name: str
    department: str
    category: str
    summary: str = ""


@strawberry.input
class ComponentPatch:
    name: str | None = UNSET
    department: str | None = UNSET
    category: str | None = UNSET
    summary: str | None = UNSET


@strawberry.input
class DatasetFieldInput:
    name: str
    data_type: FieldType = FieldType.STRING
    length: int | None = None
    data_element: str | None = None
    sensitive: bool = False
    secret: bool = False
    description: str = ""


@strawberry.input(description="Column-level lineage of one derivation.")
class FieldMappingInput:
    source_field: str
    target_field: str


@strawberry.input(
    description="This dataset is derived from `source` by `job`, from `since` until `until`."
)
class DerivationInput:
    source: str
    job: str = ""
    since: datetime | None = None
    until: datetime | None = None
    fields: list[FieldMappingInput] = strawberry.field(default_factory=list)


@strawberry.input
class DatasetInput:
    code: str
    name: str
    department: str
    summary: str
    fields: list[DatasetFieldInput]
    category: str = "部门信息资源"
    format: DataFormat = DataFormat.DATABASE
    sharing_type: SharingType = SharingType.CONDITIONAL
    sharing_condition: str = ""
    sharing_method: SharingMethod = SharingMethod.API
    open_type: OpenType = OpenType.NOT_OPEN
    open_condition: str = ""
    grade: Grade = Grade.GENERAL
    update_cycle: UpdateCycle = UpdateCycle.DAILY
    publish_date: date | None = None
    source_system: str | None = None
    tags: list[str] = strawberry.field(default_factory=list)
    derived_from: list[DerivationInput] = strawberry.field(default_factory=list)


@strawberry.input
class DatasetPatch:
    name: str | None = UNSET
    department: str | None = UNSET
    summary: str | None = UNSET
    fields: list[DatasetFieldInput] | None = UNSET
    category: str | None = UNSET
    format: DataFormat | None = UNSET
    sharing_type: SharingType | None = UNSET
    sharing_condition: str | None = UNSET
    sharing_method: SharingMethod | None = UNSET
    open_type: OpenType | None = UNSET
    open_condition: str | None = UNSET
    grade: Grade | None = UNSET
    update_cycle: UpdateCycle | None = UNSET
    publish_date: date | None = UNSET
    source_system: str | None = UNSET
    tags: list[str] | None = UNSET
    derived_from: list[DerivationInput] | None = UNSET
    unregistered: bool | None = UNSET


@strawberry.input
class DataElementInput:
    code: str
    name: str
    department: str
    definition: str = ""
    data_type: FieldType = FieldType.STRING
    format: str = ""
    personal: bool = False
    authoritative_dataset: str | None = None


@strawberry.input
class DataElementPatch:
    name: str | None = UNSET
    department: str | None = UNSET
    definition: str | None = UNSET
    data_type: FieldType | None = UNSET
    format: str | None = UNSET
    personal: bool | None = UNSET
    authoritative_dataset: str | None = UNSET


@strawberry.input
class SurfaceFieldInput:
    name: str
    data_element: str | None = None
    sensitive: bool = False


@strawberry.input
class CertificateTypeInput:
    code: str
    name: str
    department: str
    holder_kind: HolderKind
    surface_fields: list[SurfaceFieldInput]
    issuing_departments: list[str] = strawberry.field(default_factory=list)
    validity_years: int | None = None
    source_dataset: str | None = None
    sharing_type: SharingType = SharingType.CONDITIONAL
    summary: str = ""


@strawberry.input
class CertificateTypePatch:
    name: str | None = UNSET
    department: str | None = UNSET
    holder_kind: HolderKind | None = UNSET
    surface_fields: list[SurfaceFieldInput] | None = UNSET
    issuing_departments: list[str] | None = UNSET
    validity_years: int | None = UNSET
    source_dataset: str | None = UNSET
    sharing_type: SharingType | None = UNSET
    summary: str | None = UNSET


@strawberry.input
class FormFieldInput:
    name: str
    data_element: str | None = None
    required: bool = True
    collection: CollectionMode = CollectionMode.ORIGINAL
    prefill_source: str | None = None


@strawberry.input
class MatterInput:
    code: str
    name: str
    department: str
    category: str = "行政许可"
    summary: str = ""
    form_fields: list[FormFieldInput] = strawberry.field(default_factory=list)
    materials: list[str] = strawberry.field(default_factory=list)
    time_limit_days: int | None = None


@strawberry.input
class MatterPatch:
    name: str | None = UNSET
    department: str | None = UNSET
    category: str | None = UNSET
    summary: str | None = UNSET
    form_fields: list[FormFieldInput] | None = UNSET
    materials: list[str] | None = UNSET
    time_limit_days: int | None = UNSET


@strawberry.input
class OneThingInput:
    code: str
    name: str
    department: str
    matters: list[str]
    summary: str = ""


@strawberry.input
class OneThingPatch:
    name: str | None = UNSET
    department: str | None = UNSET
    matters: list[str] | None = UNSET
    summary: str | None = UNSET
