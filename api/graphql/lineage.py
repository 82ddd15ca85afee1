"""Lineage over GraphQL: upstream/downstream graphs as of a date, paths, and impact."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

import strawberry

from api.graphql.context import Info
from api.graphql.nodes import (
    CertificateType,
    Dataset,
    Matter,
    Node,
    System,
    global_id,
    parse_global_id,
    to_node,
)
from api.graphql.problems import AnyProblem, attempt
from api.graphql.sharing import Grant
from catalog import lineage as domain
from catalog.model import Kind
from catalog.problems import FieldIssue, ValidationFailed
from catalog.relations import ref
from graph.port import Edge, NodeRef

if TYPE_CHECKING:
    from catalog.lineage import LineageDirection
else:
    LineageDirection = strawberry.enum(domain.LineageDirection, name="LineageDirection")


@strawberry.type(description="Column-level lineage: a target field fed by a source field.")
class FieldLineage:
    source: str
    target: str


@strawberry.type(description="One node of a lineage graph; depth < 0 upstream, > 0 downstream.")
class LineageNode:
    node: Node
    depth: int


@strawberry.type(description="One lineage edge, with the job that made it and when it held.")
class LineageEdge:
    source_id: strawberry.ID
    target_id: strawberry.ID
    type: str
    job: str | None
    since: datetime | None
    until: datetime | None
    fields: list[FieldLineage]

    @classmethod
    def of(cls, edge: Edge, id_of: Callable[[NodeRef], strawberry.ID] | None = None) -> LineageEdge:
        """`id_of`: the global id of a ref, when the caller keeps them (a node has many edges)."""
        props = edge.props
        if id_of is None:
            id_of = _global_id
        return cls(
            source_id=id_of(edge.source),
            target_id=id_of(edge.target),
            type=edge.type,
            job=props.get("job") or None,
            since=datetime.fromisoformat(props["since"]) if props.get("since") else None,
            until=datetime.fromisoformat(props["until"]) if props.get("until") else None,
            fields=[
                FieldLineage(source=f["source"], target=f["target"])
                for f in props.get("fields", [])
            ],
        )


@strawberry.type(description="A resource's lineage; `truncated` says the answer hit `limit` nodes.")
class LineageGraph:
    root: Node
    nodes: list[LineageNode]
    edges: list[LineageEdge]
    truncated: bool
    limit: int


@strawberry.type(description="The shortest lineage chain between two resources (empty if none).")
class LineagePath:
    found: bool
    edges: list[LineageEdge]


@strawberry.type(description="What a change to this resource affects downstream.")
class Impact:
    root: Node
    datasets: list[Dataset]
    certificate_types: list[CertificateType]
    matters: list[Matter]
    systems: list[System]
    grants: list[Grant]
    truncated: bool


LineageResult: TypeAlias = Annotated[LineageGraph | AnyProblem, strawberry.union("LineageResult")]
LineagePathResult: TypeAlias = Annotated[
    LineagePath | AnyProblem, strawberry.union("LineagePathResult")
]
ImpactResult: TypeAlias = Annotated[Impact | AnyProblem, strawberry.union("ImpactResult")]


def _global_id(node: NodeRef) -> strawberry.ID:
    return global_id(Kind(node.label), node.code)


def _ref(value: str, path: str) -> NodeRef:
    parsed = parse_global_id(value)
    if parsed is None:
        raise ValidationFailed(
            [
                FieldIssue(
                    path,
                    "BAD_ID",
                    "id 格式无效，请使用查询返回的 id",
                    "not a valid id; use an id returned by a query",
                )
            ]
        )
    return ref(*parsed)


async def _nodes(info: Info, refs: list[NodeRef]) -> dict[NodeRef, Any]:
    keys = [(Kind(r.label), r.code) for r in refs]
    loaded = await info.context.loaders.entity.load_many(keys)
    return {r: to_node(s) for r, s in zip(refs, loaded, strict=True) if s is not None}


@strawberry.type(
    description="A classification conflict along lineage, with the chain that causes it."
)
class ClassificationConflict:
    dataset_code: str
    code: str
    message: str
    message_en: str

    @strawberry.field
    async def dataset(self, info: Info) -> Dataset | None:
        return (await _nodes(info, [ref(Kind.DATASET, self.dataset_code)])).get(
            ref(Kind.DATASET, self.dataset_code)
        )


@strawberry.type
class LineageQuery:
    @strawberry.field(
        description="Derived datasets graded below a source, or 无条件共享 from 不予共享 data."
    )
    def classification_conflicts(self, info: Info) -> list[ClassificationConflict]:
        return [
            ClassificationConflict(
                dataset_code=code, code=i.code, message=i.message, message_en=i.message_en
            )
            for code, i in info.context.lineage.conflicts()
        ]

    @strawberry.field(
        description="Upstream and/or downstream of a resource, to `depth` hops, as of a time."
    )
    async def lineage(
        self,
        info: Info,
        id: strawberry.ID,
        direction: LineageDirection = domain.LineageDirection.BOTH,
        depth: int = 2,
        as_of: datetime | None = None,
    ) -> LineageResult:
        graph = attempt(
            lambda: info.context.lineage.graph(
                root=_ref(id, "id"), direction=direction, depth=depth, as_of=as_of
            ),
            backend_error=info.context.backend_error,
        )
        if not isinstance(graph, domain.LineageGraph):
            return graph
        listed = graph.by_distance()
        nodes = await _nodes(info, [r for r, _d in listed])
        ids: dict[NodeRef, strawberry.ID] = {}

        def id_of(node: NodeRef) -> strawberry.ID:
            found = ids.get(node)
            if found is None:
                found = ids[node] = _global_id(node)
            return found

        return LineageGraph(
            root=nodes[graph.root],
            nodes=[LineageNode(node=nodes[r], depth=d) for r, d in listed if r in nodes],
            edges=[LineageEdge.of(e, id_of) for e in graph.edges],
            truncated=graph.truncated,
            limit=graph.limit,
        )

    @strawberry.field(description="The shortest chain of lineage edges between two resources.")
    def lineage_path(
        self,
        info: Info,
        from_: Annotated[strawberry.ID, strawberry.argument(name="from")],
        to: strawberry.ID,
        as_of: datetime | None = None,
    ) -> LineagePathResult:
        edges = attempt(
            lambda: info.context.lineage.path(
                source=_ref(from_, "from"), target=_ref(to, "to"), as_of=as_of
            ),
            backend_error=info.context.backend_error,
        )
        if not isinstance(edges, list):
            return edges
        return LineagePath(found=bool(edges), edges=[LineageEdge.of(e) for e in edges])

    @strawberry.field(
        description="What is affected if this dataset, system or e-license type changes."
    )
    async def impact(self, info: Info, id: strawberry.ID) -> ImpactResult:
        found = attempt(
            lambda: info.context.lineage.impact(root=_ref(id, "id")),
            backend_error=info.context.backend_error,
        )
        if not isinstance(found, domain.Impact):
            return found
        root = found.root
        refs = [root] + [ref(k, c) for k, codes in found.affected.items() for c in codes]
        nodes = await _nodes(info, refs)

        def of(kind: Kind) -> list[Any]:
            return [
                nodes[ref(kind, c)] for c in found.affected.get(kind, []) if ref(kind, c) in nodes
            ]

        shared = {
            ref(k, c)
            for k in (Kind.DATASET, Kind.CERTIFICATE_TYPE)
            for c in [root.code, *found.affected.get(k, [])]
        }
        now = datetime.now().astimezone()
        grants = [
            Grant.of(g, now)
            for g in info.context.sharing.grants(principal=info.context.principal)
            if ref(
                Kind.DATASET if g.resource_kind == "DATASET" else Kind.CERTIFICATE_TYPE,
                g.resource_code,
            )
            in shared
        ]
        return Impact(
            root=nodes[root],
            datasets=of(Kind.DATASET),
            certificate_types=of(Kind.CERTIFICATE_TYPE),
            matters=of(Kind.MATTER),
            systems=of(Kind.SYSTEM),
            grants=grants,
            truncated=found.truncated,
        )
