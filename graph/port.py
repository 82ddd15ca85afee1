"""The `GraphStore` port: what the catalog needs from a graph database, and nothing more.

Nodes are identified by (label, code) and carry a flat map of JSON-compatible properties plus
an owner (the department code, or None) and a version for optimistic concurrency. Edges are
identified by (source, type, target, key) so that one node may point at another several times
(a form asking for two ID numbers). Every adapter implements every method; one contract suite
in `tests/contract` runs over all of them.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from itertools import repeat
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol

JsonValue = Any
MAX_DEPTH = 10
_NO_PROPS: Mapping[str, Any] = MappingProxyType({})


class Direction(StrEnum):
    """Which way to follow edges from a node."""

    OUT = "OUT"
    IN = "IN"
    BOTH = "BOTH"


class NodeRef(NamedTuple):
    """The identity of a node: its label and its domain code (a tuple: cheap, hashable)."""

    label: str
    code: str


@dataclass(frozen=True)
class Node:
    """A stored node."""

    ref: NodeRef
    props: Mapping[str, JsonValue]
    owner: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    updated_by: str
    search_text: str = ""


class Edge(NamedTuple):
    """A stored edge; `key` tells apart several edges of one type between the same nodes."""

    source: NodeRef
    type: str
    target: NodeRef
    key: str = ""
    props: Mapping[str, JsonValue] = _NO_PROPS


class NodeWrite(NamedTuple):
    """Create or replace one node.

    `expect_version`: None writes unconditionally (upsert); 0 requires that the node does not
    exist yet; n > 0 requires the stored version to be n. A mismatch raises `VersionConflict`
    and the whole change set is rolled back.
    """

    ref: NodeRef
    props: Mapping[str, JsonValue]
    owner: str | None
    search_text: str
    by: str
    expect_version: int | None = None


class EdgeTarget(NamedTuple):
    """One edge of an `EdgeReplace`: the far node, a key, and properties."""

    target: NodeRef
    key: str = ""
    props: Mapping[str, JsonValue] = _NO_PROPS


class EdgeReplace(NamedTuple):
    """Make the edges of `type` at `node` exactly `targets` (others of that type are removed).

    OUT: edges go node → target. IN: edges go target → node (an owner's OWNS edge written from
    the owned node's side).
    """

    node: NodeRef
    type: str
    targets: Sequence[EdgeTarget]
    direction: Direction = Direction.OUT


@dataclass(frozen=True)
class ChangeSet:
    """Writes applied atomically: all of them or none."""

    nodes: Sequence[NodeWrite] = ()
    edges: Sequence[EdgeReplace] = ()


@dataclass(frozen=True)
class NodeQuery:
    """A filter over nodes of one label: owner, exact property values, name substring."""

    label: str
    owner: str | None = None
    equals: Mapping[str, str | int | bool] = field(default_factory=dict)
    name_contains: str | None = None


@dataclass(frozen=True)
class SearchHit:
    """One full-text hit, best first."""

    ref: NodeRef
    score: float


@dataclass(frozen=True)
class CountRow:
    """One group of `count_by`."""

    owner: str | None
    value: str | None
    count: int


# node numbers in `Traversal.links` take this many bits (adapters number nodes below 2**64)
NODE_BITS = 64
_NODE_MASK = (1 << NODE_BITS) - 1
_PLAIN_EDGE: tuple[tuple[str, Mapping[str, JsonValue]], ...] = (("", _NO_PROPS),)
Variants = Mapping[int, Sequence[tuple[str, Mapping[str, JsonValue]]]]
_NO_VARIANTS: Variants = MappingProxyType({})


class Traversal:
    """What a breadth-first walk reached, kept in the compact form a walk ends with: ints
    for nodes and edges, and a table that turns node numbers into refs.

    Why: a 5-hop lineage answer has ~1,100 nodes and ~1,250 edges; making a ref-keyed dict and
    an `Edge` tuple of each cost more than the walk itself. Consumers that need refs or edges
    read `nodes` and `edges` (made once, on first read); those that can work on numbers (the
    lineage use case, GraphQL) read the compact fields and resolve only what they show.

    - `level_of`: node number -> hop count, in the order the walk reached the nodes (the start
      first, at 0). Every adapter numbers nodes so that ascending numbers are ascending refs.
    - `ref_of`: node number -> ref, at least for every node of `level_of` (an adapter may share
      one table between walks; entries are only ever added to it).
    - `links`: the edges used, one int per (source, type, target), ascending:
      source << (NODE_BITS + type_bits) | type index << NODE_BITS | target. Ascending ints are
      therefore edges sorted by (source, type, target); both ends are in `level_of`.
    - `types`: edge types by index, ascending.
    - `variants`: by link, the (key, props) of each edge of that link the walk followed, by
      key, for links that are not exactly one edge without key and props.
    - `truncated`: the walk stopped early because `limit` nodes were reached.
    """

    __slots__ = (
        "_edges",
        "_nodes",
        "level_of",
        "links",
        "ref_of",
        "truncated",
        "type_bits",
        "types",
        "variants",
    )

    def __init__(
        self,
        *,
        level_of: Mapping[int, int],
        ref_of: Mapping[int, NodeRef],
        links: Sequence[int] = (),
        types: Sequence[str] = (),
        variants: Variants = _NO_VARIANTS,
        truncated: bool = False,
    ) -> None:
        self.level_of = level_of
        self.ref_of = ref_of
        self.links = links
        self.types = types
        self.type_bits = type_bits(len(types))
        self.variants = variants
        self.truncated = truncated
        self._nodes: Mapping[NodeRef, int] | None = None
        self._edges: Sequence[Edge] | None = None

    @classmethod
    def of(
        cls, *, nodes: Mapping[NodeRef, int], edges: Sequence[Edge], truncated: bool
    ) -> Traversal:
        """The compact form of an answer given as refs and edges (small answers, tests)."""
        refs = sorted({*nodes, *(e.source for e in edges), *(e.target for e in edges)})
        number = {r: i for i, r in enumerate(refs)}
        return cls.packed(
            level_of={number[r]: level for r, level in nodes.items()},
            ref_of=dict(enumerate(refs)),
            edges=((number[e.source], e.type, number[e.target], e.key, e.props) for e in edges),
            truncated=truncated,
        )

    @classmethod
    def packed(
        cls,
        *,
        level_of: Mapping[int, int],
        ref_of: Mapping[int, NodeRef],
        edges: Iterable[tuple[int, str, int, str, Mapping[str, JsonValue]]],
        truncated: bool,
    ) -> Traversal:
        """The answer whose nodes are already numbered in ref order, its edges given as
        (source number, type, target number, key, props): packs the edges into `links`."""
        listed = list(edges)
        types = sorted({e[1] for e in listed})
        index = {t: i for i, t in enumerate(types)}
        bits = NODE_BITS + type_bits(len(types))
        grouped: dict[int, list[tuple[str, Mapping[str, JsonValue]]]] = {}
        for source, type_, target, key, props in listed:
            link = source << bits | index[type_] << NODE_BITS | target
            grouped.setdefault(link, []).append((key, props))
        return cls(
            level_of=level_of,
            ref_of=ref_of,
            links=sorted(grouped),
            types=types,
            variants={
                link: sorted(kp, key=lambda k: k[0])
                for link, kp in grouped.items()
                if len(kp) > 1 or kp[0][0] or kp[0][1]
            },
            truncated=truncated,
        )

    def link_ends(self, link: int) -> tuple[int, str, int]:
        """(source number, type, target number) of one of `links`."""
        return (
            link >> (NODE_BITS + self.type_bits),
            self.types[(link >> NODE_BITS) & ((1 << self.type_bits) - 1)],
            link & _NODE_MASK,
        )

    @property
    def nodes(self) -> Mapping[NodeRef, int]:
        """Each node reached, by ref, with its hop count (made on first read)."""
        if self._nodes is None:
            ref_of = self.ref_of
            self._nodes = dict(
                zip(map(ref_of.__getitem__, self.level_of), self.level_of.values(), strict=True)
            )
        return self._nodes

    @property
    def edges(self) -> Sequence[Edge]:
        """The edges used, sorted by (source, type, target, key) (made on first read)."""
        if self._edges is None:
            self._edges = self._make_edges()
        return self._edges

    def _make_edges(self) -> list[Edge]:
        ref = self.ref_of.__getitem__
        shift = NODE_BITS + self.type_bits
        if not self.variants and len(self.types) == 1:  # the usual lineage answer
            links = self.links
            ends = zip(
                map(ref, [k >> shift for k in links]),
                repeat(self.types[0]),
                map(ref, [k & _NODE_MASK for k in links]),
                repeat(""),
                repeat(_NO_PROPS),
                strict=False,
            )
            return list(map(tuple.__new__, repeat(Edge), ends))
        tmask = (1 << self.type_bits) - 1
        edges: list[Edge] = []
        for k in self.links:
            source, typ, target = (
                ref(k >> shift),
                self.types[(k >> NODE_BITS) & tmask],
                ref(k & _NODE_MASK),
            )
            for key, props in self.variants.get(k, _PLAIN_EDGE):
                edges.append(Edge(source, typ, target, key, props))
        return edges

    def __repr__(self) -> str:
        return (
            f"Traversal(nodes={dict(self.nodes)!r}, edges={list(self.edges)!r}, "
            f"truncated={self.truncated!r})"
        )


def type_bits(count: int) -> int:
    """Bits a `Traversal` link gives the type index when the walk followed `count` types."""
    return max(1, count.bit_length())


EMPTY_TRAVERSAL = Traversal(level_of={}, ref_of={})


class VersionConflict(Exception):
    """A `NodeWrite.expect_version` did not match; nothing of the change set was written."""

    def __init__(self, ref: NodeRef, expected: int, actual: int) -> None:
        super().__init__(f"{ref.label} {ref.code}: expected version {expected}, found {actual}")
        self.ref = ref
        self.expected = expected
        self.actual = actual


class MissingEndpoint(LookupError):
    """An edge names a node that does not exist; nothing of the change set was written."""


class BackendUnavailable(Exception):
    """The database cannot be reached or failed mid-operation; nothing was written."""


class GraphStore(Protocol):
    """Storage of the catalog graph. Methods are keyword-only and batch-friendly."""

    def apply(self, *, changes: ChangeSet) -> None:
        """Apply node writes and edge replacements in one transaction."""
        ...

    def get_nodes(self, *, refs: Sequence[NodeRef]) -> dict[NodeRef, Node]:
        """Fetch nodes by identity; missing ones are absent from the result."""
        ...

    def find_nodes(self, *, query: NodeQuery, after: str | None, limit: int) -> list[Node]:
        """Nodes matching `query`, ordered by code, strictly after code `after`."""
        ...

    def count_nodes(self, *, query: NodeQuery) -> int:
        """How many nodes match `query`."""
        ...

    def edges(
        self, *, refs: Sequence[NodeRef], type: str, direction: Direction
    ) -> dict[NodeRef, list[Edge]]:
        """Edges of `type` touching each of `refs` (OUT: refs are sources; IN: targets)."""
        ...

    def traverse(
        self,
        *,
        start: NodeRef,
        types: Sequence[str],
        direction: Direction,
        depth: int,
        limit: int,
        as_of: str | None = None,
        reverse_types: Sequence[str] = (),
    ) -> Traversal:
        """Breadth-first walk from `start` along edges of `types`, at most `depth` hops.

        OUT follows edges forwards, IN backwards, BOTH either way; `reverse_types` are followed
        the other way round (for relations that point against the flow of data, such as a
        system that PRODUCES a dataset). Cycles are walked once. With
        `as_of` (an RFC 3339 time) only edges whose `since`/`until` props contain it count.
        Stops after `limit` nodes (start excluded) and says so. Reads one consistent snapshot.
        Edges come sorted by (source, type, target, key); a start the store does not hold
        gives no nodes at all.
        """
        ...

    def search(self, *, text: str, labels: Sequence[str], limit: int) -> list[SearchHit]:
        """Full-text search over names and descriptions; must handle Chinese text."""
        ...

    def count_by(self, *, label: str, prop: str | None) -> list[CountRow]:
        """Counts of `label` nodes grouped by owner and (when given) a property's value."""
        ...

    def restore(self, *, nodes: Sequence[Node], edges: Sequence[Edge]) -> None:
        """Write nodes and edges exactly as exported (versions and times kept), idempotently.

        Used to move a catalog between backends; edges whose endpoints are missing raise
        `MissingEndpoint`. Existing edges are kept (restore only adds or overwrites).
        """
        ...

    def ping(self) -> None:
        """Raise `BackendUnavailable` unless the store answers."""
        ...

    def read_mark(self) -> Hashable | None:
        """A value that differs after any write to the store, by anyone (this process or
        another), as seen from the calling thread: what a reader may key a cache of decoded
        nodes on. None when the adapter cannot tell cheaply (then do not cache)."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...


def iter_pages(store: GraphStore, *, query: NodeQuery, size: int = 2000) -> Iterator[list[Node]]:
    """Every node matching `query`, a keyset page at a time (for whole-ledger work)."""
    after: str | None = None
    while True:
        page = store.find_nodes(query=query, after=after, limit=size)
        if page:
            yield page
        if len(page) < size:
            return
        after = page[-1].ref.code
