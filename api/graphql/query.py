"""Read side: lookups by code or global id, filtered lists, Chinese search, the summary."""

from __future__ import annotations

from typing import Any

import strawberry

from api.graphql.connection import (
    Connection,
    bad_input,
    check_first,
    connection,
    decode_cursor,
    encode_cursor,
    forbidden,
    offset_connection,
    offset_of,
)
from api.graphql.context import Info
from api.graphql.enums import (
    DataFormat,
    Grade,
    HolderKind,
    Lifecycle,
    OpenType,
    ResourceKind,
    SharingType,
    UpdateCycle,
)
from api.graphql.nodes import (
    CertificateType,
    Component,
    DataElement,
    Dataset,
    Department,
    Matter,
    Node,
    OneThing,
    System,
    parse_global_id,
    to_node,
)
from catalog.ledger import MAX_PAGE, ListFilter
from catalog.model import Kind
from catalog.principal import Role


@strawberry.input(description="Filters shared by every list.")
class CommonFilter:
    department: str | None = None
    name_contains: str | None = None


@strawberry.input
class SystemFilter(CommonFilter):
    lifecycle: Lifecycle | None = None


@strawberry.input
class DatasetFilter(CommonFilter):
    sharing_type: SharingType | None = None
    open_type: OpenType | None = None
    grade: Grade | None = None
    update_cycle: UpdateCycle | None = None
    format: DataFormat | None = None
    source_system: str | None = None
    unregistered: bool | None = None


@strawberry.input
class DataElementFilter(CommonFilter):
    personal: bool | None = None


@strawberry.input
class CertificateTypeFilter(CommonFilter):
    holder_kind: HolderKind | None = None
    sharing_type: SharingType | None = None


@strawberry.input
class CategoryFilter(CommonFilter):
    category: str | None = None


def _filter(value: CommonFilter | None) -> ListFilter:
    if value is None:
        return ListFilter()
    equals: dict[str, str | int | bool] = {}
    for name, given in vars(value).items():
        if name in ("department", "name_contains") or given is None:
            continue
        equals[name] = given.value if hasattr(given, "value") else given
    return ListFilter(department=value.department, equals=equals, name_contains=value.name_contains)


def _expect_owners(info: Info, entities: list[Any]) -> None:
    """Let the page's owners be fetched together when the first is asked for."""
    info.context.loaders.expect(
        (Kind.DEPARTMENT, code)
        for e in entities
        if isinstance(code := getattr(e, "department", None), str) and code
    )


def _list(
    info: Info, kind: Kind, filter: CommonFilter | None, first: int, after: str | None
) -> Connection[Any]:
    ledger = info.context.ledger
    flt = _filter(filter)
    page = ledger.page(kind=kind, filter=flt, after=decode_cursor(after), first=check_first(first))
    _expect_owners(info, [s.entity for s in page.items])
    return connection(
        [(encode_cursor(s.entity.code), to_node(s)) for s in page.items],
        has_next=page.has_next,
        after=after,
        count=lambda: ledger.count(kind=kind, filter=flt),
    )


@strawberry.type(description="Who the caller is.")
class Me:
    client_id: str
    name: str
    role: str
    department: str | None


@strawberry.type
class KindCount:
    kind: ResourceKind
    count: int


@strawberry.type
class LifecycleCount:
    lifecycle: Lifecycle
    count: int


@strawberry.type
class DepartmentTotals:
    department_code: str
    total: int
    counts: list[KindCount]
    lifecycle: list[LifecycleCount]

    @strawberry.field
    async def department(self, info: Info) -> Department | None:
        stored = await info.context.loaders.entity.load((Kind.DEPARTMENT, self.department_code))
        return None if stored is None else Department.of(stored)


@strawberry.type(description="一本账 totals: city-wide and per department.")
class LedgerSummary:
    totals: list[KindCount]
    lifecycle: list[LifecycleCount]
    departments: list[DepartmentTotals]


@strawberry.type
class Query:
    @strawberry.field(description="The authenticated caller.")
    def me(self, info: Info) -> Me:
        p = info.context.principal
        return Me(client_id=p.client_id, name=p.name, role=p.role.value, department=p.department)

    @strawberry.field(description="Any catalog object by its global id.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        parsed = parse_global_id(id)
        if parsed is None:
            raise bad_input("id", "BAD_ID", "id 格式无效", "not a valid id")
        stored = await info.context.loaders.entity.load(parsed)
        return None if stored is None else to_node(stored)

    @strawberry.field(description="A resource of any kind by kind and domain code.")
    async def resource(self, info: Info, kind: ResourceKind, code: str) -> Node | None:
        stored = await info.context.loaders.entity.load((Kind(kind), code))
        return None if stored is None else to_node(stored)

    @strawberry.field
    def departments(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: CommonFilter | None = None,
    ) -> Connection[Department]:
        return _list(info, Kind.DEPARTMENT, filter, first, after)

    @strawberry.field
    def systems(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: SystemFilter | None = None,
    ) -> Connection[System]:
        return _list(info, Kind.SYSTEM, filter, first, after)

    @strawberry.field
    def components(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: CategoryFilter | None = None,
    ) -> Connection[Component]:
        return _list(info, Kind.COMPONENT, filter, first, after)

    @strawberry.field
    def datasets(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: DatasetFilter | None = None,
    ) -> Connection[Dataset]:
        return _list(info, Kind.DATASET, filter, first, after)

    @strawberry.field
    def data_elements(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: DataElementFilter | None = None,
    ) -> Connection[DataElement]:
        return _list(info, Kind.DATA_ELEMENT, filter, first, after)

    @strawberry.field
    def certificate_types(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: CertificateTypeFilter | None = None,
    ) -> Connection[CertificateType]:
        return _list(info, Kind.CERTIFICATE_TYPE, filter, first, after)

    @strawberry.field
    def matters(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: CategoryFilter | None = None,
    ) -> Connection[Matter]:
        return _list(info, Kind.MATTER, filter, first, after)

    @strawberry.field
    def one_things(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: CommonFilter | None = None,
    ) -> Connection[OneThing]:
        return _list(info, Kind.ONE_THING, filter, first, after)

    @strawberry.field(
        description="Search every kind (or the given kinds) by Chinese or Latin text."
    )
    def search(
        self,
        info: Info,
        text: str,
        kinds: list[ResourceKind] | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Node]:
        offset = offset_of(after)
        wanted = [Kind(k) for k in kinds or []]
        found = info.context.ledger.search(
            text=text, kinds=wanted, first=min(offset + check_first(first) + 1, MAX_PAGE * 10)
        )
        _expect_owners(info, [s.entity for s in found[offset : offset + first]])
        return offset_connection([to_node(s) for s in found], first=first, after=after)

    @strawberry.field(
        description="Per-department totals and lifecycle counts (admins and auditors)."
    )
    def ledger_summary(self, info: Info) -> LedgerSummary:
        if info.context.principal.role not in (Role.ADMIN, Role.AUDITOR):
            raise forbidden(
                "仅管理员和审计人员可查看一本账汇总",
                "only admins and auditors see the ledger summary",
            )
        summary = info.context.ledger.summary()
        return LedgerSummary(
            totals=[KindCount(kind=k, count=summary.totals.get(k, 0)) for k in Kind],
            lifecycle=[LifecycleCount(lifecycle=s, count=n) for s, n in summary.lifecycle.items()],
            departments=[
                DepartmentTotals(
                    department_code=d.department,
                    total=sum(d.counts.values()),
                    counts=[KindCount(kind=k, count=n) for k, n in d.counts.items()],
                    lifecycle=[
                        LifecycleCount(lifecycle=s, count=n) for s, n in d.lifecycle.items()
                    ],
                )
                for d in summary.departments
            ],
        )
