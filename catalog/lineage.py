"""Lineage questions (血缘): where data comes from, where it goes, what a change affects, and
whether a derived dataset is classified at least as strictly as its sources.

Data flows against DERIVED_FROM, ISSUED_FROM, PREFILLED_FROM and REQUIRES_MATERIAL (each
points from the consumer to its provider) and along PRODUCES (system → dataset); "upstream"
therefore follows the first group forwards and PRODUCES backwards.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from operator import neg

from catalog.mapping import from_props
from catalog.model import KIND_LABEL_ZH, Dataset, Grade, Kind, SharingType
from catalog.problems import FieldIssue, NotFound, ValidationFailed
from catalog.relations import Rel, ref
from graph.port import Direction, Edge, GraphStore, NodeQuery, NodeRef, Traversal, iter_pages

PROVIDER_RELS = (Rel.DERIVED_FROM, Rel.ISSUED_FROM, Rel.PREFILLED_FROM, Rel.REQUIRES_MATERIAL)
PRODUCER_RELS = (Rel.PRODUCES,)
MAX_DEPTH = 10
MAX_NODES = 2000
GRADE_ORDER = {Grade.GENERAL: 0, Grade.IMPORTANT: 1, Grade.CORE: 2}


class LineageDirection(StrEnum):
    """Which way along the flow of data."""

    UPSTREAM = "UPSTREAM"
    DOWNSTREAM = "DOWNSTREAM"
    BOTH = "BOTH"


_WALK = {
    LineageDirection.UPSTREAM: Direction.OUT,
    LineageDirection.DOWNSTREAM: Direction.IN,
    LineageDirection.BOTH: Direction.BOTH,
}


class LineageGraph:
    """Nodes with their signed distance (upstream negative), the edges, whether it was cut.

    Kept as the store's compact walks (`graph.port.Traversal`); `nodes` and `edges` are made
    when first read, so a caller pays for the refs and edge tuples it actually uses."""

    __slots__ = ("_edges", "_nodes", "limit", "root", "truncated", "walks")

    def __init__(self, root: NodeRef, walks: Sequence[tuple[int, Traversal]], limit: int) -> None:
        self.root = root
        self.walks = walks  # (sign of the distances, walk): -1 upstream, 1 downstream
        self.truncated = any(walk.truncated for _sign, walk in walks)
        self.limit = limit
        self._nodes: Mapping[NodeRef, int] | None = None
        self._edges: list[Edge] | None = None

    @property
    def nodes(self) -> Mapping[NodeRef, int]:
        """Each node by ref with its signed distance from the root (made on first read)."""
        if self._nodes is None:
            if len(self.walks) == 1:
                sign, walk = self.walks[0]
                levels = walk.level_of
                self._nodes = (
                    walk.nodes
                    if sign > 0
                    else dict(
                        zip(
                            map(walk.ref_of.__getitem__, levels),
                            map(neg, levels.values()),
                            strict=True,
                        )
                    )
                )
            else:
                nodes = {self.root: 0}
                for sign, walk in self.walks:
                    ref_of = walk.ref_of
                    for number, distance in walk.level_of.items():
                        nodes.setdefault(ref_of[number], sign * distance)
                self._nodes = nodes
        return self._nodes

    def by_distance(self) -> list[tuple[NodeRef, int]]:
        """(ref, signed distance) of each node, by distance and then ref: the order a listing
        shows them in. One walk sorts its node numbers (which follow ref order) instead of
        refs."""
        if len(self.walks) != 1:
            return sorted(self.nodes.items(), key=lambda node: (node[1], node[0]))
        sign, walk = self.walks[0]
        ordered = sorted([(sign * level, number) for number, level in walk.level_of.items()])
        ref_of = walk.ref_of
        return [(ref_of[number], distance) for distance, number in ordered]

    @property
    def edges(self) -> list[Edge]:
        """The edges, sorted and distinct (made on first read). One walk's edges come that
        way; BOTH merges the two walks."""
        if self._edges is None:
            if len(self.walks) == 1:
                self._edges = list(self.walks[0][1].edges)
            else:
                edges = {(e.source, e.type, e.target, e.key): e for e in self.walks[0][1].edges}
                for _sign, walk in self.walks[1:]:
                    for e in walk.edges:
                        edges[(e.source, e.type, e.target, e.key)] = e
                self._edges = [edges[k] for k in sorted(edges)]
        return self._edges


@dataclass(frozen=True)
class Impact:
    """What a change to one resource affects downstream."""

    root: NodeRef
    affected: dict[Kind, list[str]]
    truncated: bool


def check_depth(depth: int) -> None:
    """Depth is a validated integer (never a query parameter): 1 to MAX_DEPTH."""
    if not 1 <= depth <= MAX_DEPTH:
        raise ValidationFailed(
            [
                FieldIssue(
                    "depth",
                    "DEPTH",
                    f"深度应在 1–{MAX_DEPTH} 之间",
                    f"depth must be between 1 and {MAX_DEPTH}",
                )
            ]
        )


def as_of_text(as_of: datetime | None) -> str | None:
    """The normalized UTC form that edge `since`/`until` props are compared in."""
    return None if as_of is None else as_of.astimezone(UTC).isoformat()


class Lineage:
    """Lineage queries over the graph port."""

    def __init__(self, *, store: GraphStore) -> None:
        self._store = store

    def _require(self, root: NodeRef) -> None:
        if not self._store.get_nodes(refs=[root]):
            raise NotFound(KIND_LABEL_ZH.get(Kind(root.label), root.label), root.code, path="id")

    def graph(
        self,
        *,
        root: NodeRef,
        direction: LineageDirection,
        depth: int,
        as_of: datetime | None = None,
        limit: int = MAX_NODES,
    ) -> LineageGraph:
        """Upstream and/or downstream of `root` to `depth` hops, as of a time.

        The answer keeps the store's compact walks (see `LineageGraph`); BOTH merges them
        when read. A root the store does not hold walks to nothing
        at all, which is how it is found missing (no separate look-up)."""
        check_depth(depth)
        ways = (
            [LineageDirection.UPSTREAM, LineageDirection.DOWNSTREAM]
            if direction is LineageDirection.BOTH
            else [direction]
        )
        walks = []
        for way in ways:
            walk = self._store.traverse(
                start=root,
                types=PROVIDER_RELS,
                reverse_types=PRODUCER_RELS,
                direction=_WALK[way],
                depth=depth,
                limit=limit,
                as_of=as_of_text(as_of),
            )
            if not walk.level_of:
                raise NotFound(
                    KIND_LABEL_ZH.get(Kind(root.label), root.label), root.code, path="id"
                )
            walks.append((-1 if way is LineageDirection.UPSTREAM else 1, walk))
        return LineageGraph(root, walks, limit)

    def path(
        self, *, source: NodeRef, target: NodeRef, as_of: datetime | None = None
    ) -> list[Edge]:
        """The shortest chain of lineage edges between two resources (either way), or []."""
        self._require(source)
        self._require(target)
        walk = self._store.traverse(
            start=source,
            types=PROVIDER_RELS,
            reverse_types=(),
            direction=Direction.BOTH,
            depth=MAX_DEPTH,
            limit=50_000,
            as_of=as_of_text(as_of),
        )
        if target not in walk.nodes:
            return []
        adjacent: dict[NodeRef, list[tuple[NodeRef, Edge]]] = {}
        for e in walk.edges:
            adjacent.setdefault(e.source, []).append((e.target, e))
            adjacent.setdefault(e.target, []).append((e.source, e))
        back: dict[NodeRef, tuple[NodeRef, Edge] | None] = {source: None}
        queue = deque([source])
        while queue:
            here = queue.popleft()
            for there, edge in sorted(adjacent.get(here, []), key=lambda p: (p[0], p[1].type)):
                if there not in back:
                    back[there] = (here, edge)
                    queue.append(there)
        chain: list[Edge] = []
        step = back.get(target)
        while step is not None:
            previous, edge = step
            chain.append(edge)
            step = back[previous]
        return list(reversed(chain))

    def impact(self, *, root: NodeRef) -> Impact:
        """Everything downstream of `root` (datasets, e-license types, matters, systems)."""
        self._require(root)
        walk = self._store.traverse(
            start=root,
            types=PROVIDER_RELS,
            reverse_types=PRODUCER_RELS,
            direction=Direction.IN,
            depth=MAX_DEPTH,
            limit=MAX_NODES,
        )
        affected: dict[Kind, list[str]] = {}
        for node in sorted(walk.nodes):
            if node != root:
                affected.setdefault(Kind(node.label), []).append(node.code)
        return Impact(root, affected, walk.truncated)

    def classification_issues(
        self, datasets: Sequence[Dataset], batch: dict[str, Dataset] | None = None
    ) -> list[FieldIssue]:
        """A derived dataset must be graded at least as strictly as its sources, and nothing
        derived (directly or not) from 不予共享 data may be 无条件共享.

        Each issue names the chain that causes it."""
        issues: list[FieldIssue] = []
        known = dict(batch or {})
        for ds in datasets:
            if not ds.derived_from:
                continue
            for i, derivation in enumerate(ds.derived_from):
                source = known.get(derivation.source) or self._dataset(derivation.source)
                if source is None:
                    continue
                if GRADE_ORDER[source.grade] > GRADE_ORDER[ds.grade]:
                    issues.append(
                        FieldIssue(
                            f"derivedFrom[{i}].source",
                            "GRADE_BELOW_SOURCE",
                            f"派生资源的分级不能低于来源：{ds.code} ← {source.code}"
                            f"（{source.grade.value}）",
                            f"a derived dataset must be graded at least as strictly as its source: "
                            f"{ds.code} <- {source.code} ({source.grade.value})",
                        )
                    )
                if ds.sharing_type is SharingType.UNCONDITIONAL:
                    blocked = self._not_shared_ancestor(source, known)
                    if blocked is not None:
                        chain = " ← ".join([ds.code, *blocked])
                        issues.append(
                            FieldIssue(
                                f"derivedFrom[{i}].source",
                                "DERIVED_FROM_NOT_SHARED",
                                f"由不予共享数据派生的资源不能无条件共享：{chain}",
                                f"a dataset derived from NOT_SHARED data cannot be UNCONDITIONAL: "
                                f"{chain.replace('←', '<-')}",
                            )
                        )
        return issues

    def conflicts(self) -> list[tuple[str, FieldIssue]]:
        """Every classification conflict along lineage in the ledger, by dataset code (data
        registered before a rule, or whose source was re-graded later)."""
        found: list[tuple[str, FieldIssue]] = []
        for page in iter_pages(self._store, query=NodeQuery(Kind.DATASET.value)):
            for node in page:
                if node.props.get("derived_from"):
                    ds = from_props(Dataset, dict(node.props))
                    found += [(ds.code, issue) for issue in self.classification_issues([ds])]
        return found

    def _dataset(self, code: str) -> Dataset | None:
        node = self._store.get_nodes(refs=[ref(Kind.DATASET, code)]).get(ref(Kind.DATASET, code))
        return None if node is None else from_props(Dataset, dict(node.props))

    def _not_shared_ancestor(self, source: Dataset, known: dict[str, Dataset]) -> list[str] | None:
        """The chain from `source` up to the first 不予共享 ancestor (breadth first), if any."""
        back: dict[str, str | None] = {source.code: None}
        queue = deque([source])
        while queue:
            here = queue.popleft()
            if here.sharing_type is SharingType.NOT_SHARED:
                found: list[str] = []
                step: str | None = here.code
                while step is not None:
                    found.append(step)
                    step = back[step]
                return list(reversed(found))
            if len(back) > MAX_NODES:
                return None
            for d in here.derived_from:
                if d.source not in back:
                    parent = known.get(d.source) or self._dataset(d.source)
                    if parent is not None:
                        back[d.source] = here.code
                        queue.append(parent)
        return None
