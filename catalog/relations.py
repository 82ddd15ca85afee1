"""How each entity hangs in the graph: its references (checked on write) and its edges.

Relationship types (DESIGN.md): OWNS, PRODUCES, USES, BINDS, AUTHORITATIVE_SOURCE, ISSUES,
ISSUED_FROM, COLLECTS, PREFILLED_FROM, REQUIRES_MATERIAL, INCLUDES.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import NamedTuple

from catalog.model import (
    KIND_OF,
    CertificateType,
    Component,
    DataElement,
    Dataset,
    DatasetField,
    Department,
    Derivation,
    Entity,
    Kind,
    Matter,
    OneThing,
    SurfaceField,
    System,
)
from graph.port import Direction, EdgeReplace, EdgeTarget, NodeRef


class Rel:
    """Relationship type names, shared by the ledger, lineage and the API."""

    OWNS = "OWNS"
    PRODUCES = "PRODUCES"
    USES = "USES"
    BINDS = "BINDS"
    AUTHORITATIVE_SOURCE = "AUTHORITATIVE_SOURCE"
    ISSUES = "ISSUES"
    ISSUED_FROM = "ISSUED_FROM"
    COLLECTS = "COLLECTS"
    PREFILLED_FROM = "PREFILLED_FROM"
    REQUIRES_MATERIAL = "REQUIRES_MATERIAL"
    INCLUDES = "INCLUDES"
    DERIVED_FROM = "DERIVED_FROM"


ALL_RELATIONS: tuple[str, ...] = tuple(
    value for name, value in vars(Rel).items() if name.isupper() and isinstance(value, str)
)
ALL_LABELS: tuple[str, ...] = tuple(kind.value for kind in Kind)


class Reference(NamedTuple):
    """A code in an entity that must name an existing node (a tuple: bulk loads make
    hundreds of thousands)."""

    path: str
    kind: Kind
    code: str


def ref(kind: Kind, code: str) -> NodeRef:
    """The graph identity of a catalog node."""
    return _new(NodeRef, (_LABELS[kind], code))


# Bulk loads make ~1M refs and ~800k edge targets: they are made by tuple.__new__ directly
# (the same tuples; a named tuple's own __new__ is a Python function, ~3x the cost).
_new = tuple.__new__
_NO_PROPS = EdgeTarget._field_defaults["props"]
_LABELS: dict[Kind, str] = {kind: kind.value for kind in Kind}


def references(entity: Entity) -> list[Reference]:
    """Every code in `entity` that must name an existing node, with its input path."""
    out: list[Reference] = []
    if not isinstance(entity, Department):
        out.append(Reference("department", Kind.DEPARTMENT, entity.department))
    if isinstance(entity, System):
        out += [
            Reference(f"components[{i}]", Kind.COMPONENT, c)
            for i, c in enumerate(entity.components)
        ]
    elif isinstance(entity, Dataset):
        if entity.source_system:
            out.append(Reference("sourceSystem", Kind.SYSTEM, entity.source_system))
        out += [
            Reference(f"fields[{i}].dataElement", Kind.DATA_ELEMENT, f.data_element)
            for i, f in enumerate(entity.fields)
            if f.data_element
        ]
        out += [
            Reference(f"derivedFrom[{i}].source", Kind.DATASET, d.source)
            for i, d in enumerate(entity.derived_from)
        ]
    elif isinstance(entity, DataElement):
        if entity.authoritative_dataset:
            out.append(
                Reference("authoritativeDataset", Kind.DATASET, entity.authoritative_dataset)
            )
    elif isinstance(entity, CertificateType):
        out += [
            Reference(f"issuingDepartments[{i}]", Kind.DEPARTMENT, d)
            for i, d in enumerate(entity.issuing_departments)
        ]
        out += [
            Reference(f"surfaceFields[{i}].dataElement", Kind.DATA_ELEMENT, f.data_element)
            for i, f in enumerate(entity.surface_fields)
            if f.data_element
        ]
        if entity.source_dataset:
            out.append(Reference("sourceDataset", Kind.DATASET, entity.source_dataset))
    elif isinstance(entity, Matter):
        for i, f in enumerate(entity.form_fields):
            if f.data_element:
                out.append(
                    Reference(f"formFields[{i}].dataElement", Kind.DATA_ELEMENT, f.data_element)
                )
            if f.prefill_source:
                out.append(
                    Reference(f"formFields[{i}].prefillSource", Kind.DATASET, f.prefill_source)
                )
        out += [
            Reference(f"materials[{i}]", Kind.CERTIFICATE_TYPE, c)
            for i, c in enumerate(entity.materials)
        ]
    elif isinstance(entity, OneThing):
        out += [Reference(f"matters[{i}]", Kind.MATTER, c) for i, c in enumerate(entity.matters)]
    return out


def edges_of(entity: Entity) -> list[EdgeReplace]:
    """The edges that `entity` implies, as replacements at its node."""
    if isinstance(entity, Department):
        return []
    me = _new(NodeRef, (_LABELS[_kind(entity)], entity.code))
    out = [_replace(me, Rel.OWNS, [_to(_DEPARTMENT, entity.department)], Direction.IN)]
    if isinstance(entity, System):
        out.append(_replace(me, Rel.USES, [_to(_COMPONENT, c) for c in entity.components]))
    elif isinstance(entity, Dataset):
        producers = [_to(_SYSTEM, entity.source_system)] if entity.source_system else []
        out.append(_replace(me, Rel.PRODUCES, producers, Direction.IN))
        out.append(_replace(me, Rel.BINDS, _bound(entity.fields)))
        out.append(_replace(me, Rel.DERIVED_FROM, [_derivation(d) for d in entity.derived_from]))
    elif isinstance(entity, DataElement):
        source = entity.authoritative_dataset
        out.append(
            _replace(me, Rel.AUTHORITATIVE_SOURCE, [_to(_DATASET, source)] if source else [])
        )
    elif isinstance(entity, CertificateType):
        issuers = [_to(_DEPARTMENT, d) for d in entity.issuing_departments]
        out.append(_replace(me, Rel.ISSUES, issuers, Direction.IN))
        out.append(_replace(me, Rel.BINDS, _bound(entity.surface_fields)))
        source = entity.source_dataset
        out.append(_replace(me, Rel.ISSUED_FROM, [_to(_DATASET, source)] if source else []))
    elif isinstance(entity, Matter):
        out.append(
            _replace(
                me,
                Rel.COLLECTS,
                [
                    _new(
                        EdgeTarget,
                        (
                            _new(NodeRef, (_DATA_ELEMENT, f.data_element)),
                            f.name,
                            {"mode": f.collection.value, "required": f.required},
                        ),
                    )
                    for f in entity.form_fields
                    if f.data_element
                ],
            )
        )
        out.append(
            _replace(
                me,
                Rel.PREFILLED_FROM,
                [
                    _new(
                        EdgeTarget, (_new(NodeRef, (_DATASET, f.prefill_source)), f.name, _NO_PROPS)
                    )
                    for f in entity.form_fields
                    if f.prefill_source
                ],
            )
        )
        out.append(
            _replace(
                me, Rel.REQUIRES_MATERIAL, [_to(_CERTIFICATE_TYPE, c) for c in entity.materials]
            )
        )
    elif isinstance(entity, OneThing):
        out.append(_replace(me, Rel.INCLUDES, [_to(_MATTER, c) for c in entity.matters]))
    return out


_DEPARTMENT = Kind.DEPARTMENT.value
_COMPONENT = Kind.COMPONENT.value
_SYSTEM = Kind.SYSTEM.value
_DATASET = Kind.DATASET.value
_DATA_ELEMENT = Kind.DATA_ELEMENT.value
_CERTIFICATE_TYPE = Kind.CERTIFICATE_TYPE.value
_MATTER = Kind.MATTER.value


def _to(label: str, code: str) -> EdgeTarget:
    """A plain edge target (no key, no props)."""
    return _new(EdgeTarget, (_new(NodeRef, (label, code)), "", _NO_PROPS))


def _replace(
    node: NodeRef, type: str, targets: list[EdgeTarget], direction: Direction = Direction.OUT
) -> EdgeReplace:
    return _new(EdgeReplace, (node, type, targets, direction))


def _bound(fields: Sequence[DatasetField] | Sequence[SurfaceField]) -> list[EdgeTarget]:
    """BINDS targets of fields bound to a data element: keyed by the field's name."""
    return [
        _new(
            EdgeTarget,
            (_new(NodeRef, (_DATA_ELEMENT, f.data_element)), f.name, {"sensitive": f.sensitive}),
        )
        for f in fields
        if f.data_element
    ]


def _derivation(d: Derivation) -> EdgeTarget:
    props: dict[str, object] = {"job": d.job}
    if d.since is not None:
        props["since"] = d.since.astimezone(UTC).isoformat()
    if d.until is not None:
        props["until"] = d.until.astimezone(UTC).isoformat()
    if d.fields:
        props["fields"] = [{"source": m.source_field, "target": m.target_field} for m in d.fields]
    return _new(EdgeTarget, (_new(NodeRef, (_DATASET, d.source)), "", props))


def owner_of(entity: Entity) -> str | None:
    """The department that maintains `entity` (None for a department itself)."""
    return None if isinstance(entity, Department) else entity.department


def search_text(entity: Entity, *, department_name: str = "") -> str:
    """The words a person might type to find `entity`, beyond its name."""
    parts: list[str] = [entity.code, department_name]
    if isinstance(entity, Department):
        parts += [entity.short_name, *entity.aliases, entity.summary]
    elif isinstance(entity, System):
        parts += [entity.summary, entity.functions]
    elif isinstance(entity, Component):
        parts += [entity.category, entity.summary]
    elif isinstance(entity, Dataset):
        parts += [entity.summary, entity.category, *entity.tags, *(f.name for f in entity.fields)]
    elif isinstance(entity, DataElement):
        parts += [entity.definition]
    elif isinstance(entity, CertificateType):
        parts += [entity.summary, *(f.name for f in entity.surface_fields)]
    elif isinstance(entity, Matter):
        parts += [entity.category, entity.summary]
    elif isinstance(entity, OneThing):
        parts += [entity.summary]
    return " ".join(p for p in parts if p)


def _kind(entity: Entity) -> Kind:
    return KIND_OF[type(entity)]
