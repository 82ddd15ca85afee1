"""The `GraphStore` port: what the catalog needs from a graph database, and nothing more.

Nodes are identified by (label, code) and carry a flat map of JSON-compatible properties plus
an owner (the department code, or None) and a version for optimistic concurrency. Edges are
identified by (source, type, target, key) so that one node may point at another several times
(a form asking for two ID numbers). Every adapter implements every method; one contract suite
in `tests/contract` runs over all of them.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
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


@dataclass(frozen=True)
class Traversal:
    """What a breadth-first walk reached: each node with its hop count, the edges it used,
    and whether it stopped early because `limit` nodes were reached."""

    nodes: Mapping[NodeRef, int]
    edges: Sequence[Edge]
    truncated: bool


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
