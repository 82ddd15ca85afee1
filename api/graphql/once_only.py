"""数据最多采一次 over GraphQL: the collect-once report and where a data element is collected."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import strawberry

from api.graphql.context import Info
from api.graphql.nodes import CertificateType, DataElement, Dataset, Department, Matter, to_node
from catalog import once_only as domain
from catalog.model import Kind

if TYPE_CHECKING:
    from catalog.model import CollectionMode
    from catalog.once_only import PrefillMode
else:
    from api.graphql.enums import CollectionMode

    PrefillMode = strawberry.enum(domain.PrefillMode, name="PrefillMode")

MAX_MATTERS = 200


async def _load(info: Info, kind: Kind, code: str | None) -> Any:
    if not code:
        return None
    stored = await info.context.loaders.entity.load((kind, code))
    return None if stored is None else to_node(stored)


@strawberry.type(
    description="How one form field gets its value: prefilled, could be, or must be asked."
)
class PrefillStep:
    field_name: str
    data_element_code: str
    mode: PrefillMode
    source_code: str | None

    @strawberry.field
    async def data_element(self, info: Info) -> DataElement | None:
        return await _load(info, Kind.DATA_ELEMENT, self.data_element_code)

    @strawberry.field(description="The dataset that fills (or could fill) this field.")
    async def source(self, info: Info) -> Dataset | None:
        return await _load(info, Kind.DATASET, self.source_code)


def _step(step: domain.PrefillStep) -> PrefillStep:
    return PrefillStep(
        field_name=step.field,
        data_element_code=step.data_element,
        mode=step.mode,
        source_code=step.source,
    )


@strawberry.type(description="Once-only findings of one matter.")
class MatterOnceOnly:
    matter_code: str
    score: float
    items: int
    redundant_collections: list[PrefillStep]
    prefill_plan: list[PrefillStep]
    waivable_material_codes: list[str]

    @strawberry.field
    async def matter(self, info: Info) -> Matter | None:
        return await _load(info, Kind.MATTER, self.matter_code)

    @strawberry.field(description="Materials whose e-license is shareable: 免提交.")
    async def waivable_materials(self, info: Info) -> list[CertificateType]:
        found = [await _load(info, Kind.CERTIFICATE_TYPE, c) for c in self.waivable_material_codes]
        return [f for f in found if f is not None]


@strawberry.type
class AreaScore:
    score: float
    items: int
    redundant: int
    waivable: int
    department_code: str | None = None

    @strawberry.field
    async def department(self, info: Info) -> Department | None:
        return await _load(info, Kind.DEPARTMENT, self.department_code)


def _area(area: domain.AreaScore, department: str | None = None) -> AreaScore:
    return AreaScore(
        score=area.score,
        items=area.items,
        redundant=area.redundant,
        waivable=area.waivable,
        department_code=department,
    )


@strawberry.type(
    description="数据最多采一次: redundant collections, prefill plans, waivable materials, scores."
)
class CollectOnceReport:
    city: AreaScore
    departments: list[AreaScore]
    matter_count: int
    matters: list[MatterOnceOnly] = strawberry.field(
        description=f"The matters, worst score first (at most {MAX_MATTERS})."
    )


@strawberry.type(description="One place that collects a data element.")
class Collection:
    matter_code: str
    field_name: str
    mode: CollectionMode

    @strawberry.field
    async def matter(self, info: Info) -> Matter | None:
        return await _load(info, Kind.MATTER, self.matter_code)


@strawberry.type(description="Where a data element comes from and where it is collected or held.")
class ElementUsage:
    element_code: str
    authoritative_source_code: str | None
    collected_by: list[Collection]
    carried_by_codes: list[str]

    @strawberry.field
    async def authoritative_source(self, info: Info) -> Dataset | None:
        return await _load(info, Kind.DATASET, self.authoritative_source_code)


@strawberry.type
class OnceOnlyQuery:
    @strawberry.field(
        description="The collect-once report for the city, a department or one matter."
    )
    def collect_once(
        self, info: Info, department_code: str | None = None, matter_code: str | None = None
    ) -> CollectOnceReport:
        report = info.context.once_only.report(department=department_code, matter=matter_code)
        worst = sorted(report.matters, key=lambda m: (m.score, m.matter))[:MAX_MATTERS]
        return CollectOnceReport(
            city=_area(report.city),
            departments=[_area(a, code) for code, a in report.departments.items()],
            matter_count=len(report.matters),
            matters=[
                MatterOnceOnly(
                    matter_code=m.matter,
                    score=m.score,
                    items=m.items,
                    redundant_collections=[_step(s) for s in m.redundant],
                    prefill_plan=[_step(s) for s in m.plan],
                    waivable_material_codes=list(m.waivable),
                )
                for m in worst
            ],
        )

    @strawberry.field(description="Where a data element comes from, who collects it, who holds it.")
    def data_element_usage(self, info: Info, code: str) -> ElementUsage | None:
        usage = info.context.once_only.element(code=code)
        if usage is None:
            return None
        return ElementUsage(
            element_code=usage.element,
            authoritative_source_code=usage.authoritative_source,
            collected_by=[
                Collection(matter_code=m, field_name=f, mode=mode)
                for m, f, mode in usage.collected_by
            ],
            carried_by_codes=usage.carried_by,
        )
