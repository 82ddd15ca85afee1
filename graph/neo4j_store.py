"""The production `GraphStore`: Neo4j 5 over Bolt with the official driver.

Every node is `(:Node:<Label>)` with `label` and `code` (unique together) and its domain
properties: primitives as Neo4j properties (so Cypher users and filters can see them), the exact
property map as JSON in `_props` (so nested values such as a dataset's fields round-trip).
Edges carry `_key` and `_props`. Managed transactions retry transient errors; every query has a
timeout; labels and relationship types are parameters (`$(...)`, Neo4j 5.26), never formatted
into the query text.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, LiteralString, cast

import neo4j
import orjson
from neo4j import GraphDatabase, ManagedTransaction, Query
from neo4j.exceptions import ConstraintError, DriverError, Neo4jError, ServiceUnavailable

from graph.port import (
    EMPTY_TRAVERSAL,
    BackendUnavailable,
    ChangeSet,
    CountRow,
    Direction,
    Edge,
    EdgeReplace,
    MissingEndpoint,
    Node,
    NodeQuery,
    NodeRef,
    NodeWrite,
    SearchHit,
    Traversal,
    VersionConflict,
)
from graph.text import tokens
from graph.walk import Raw, hop_types, walk

SCHEMA = (
    "CREATE CONSTRAINT node_identity IF NOT EXISTS"
    " FOR (n:Node) REQUIRE (n.label, n.code) IS UNIQUE",
    "CREATE INDEX node_owner IF NOT EXISTS FOR (n:Node) ON (n.label, n._owner)",
    "CREATE FULLTEXT INDEX node_text IF NOT EXISTS FOR (n:Node) ON EACH [n.name, n._search]"
    " OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk'}}",
)
LOCK_VERSIONS = (
    "UNWIND $refs AS r OPTIONAL MATCH (n:Node {label: r.label, code: r.code})"
    " SET n._locked = true RETURN r.label AS label, r.code AS code, coalesce(n._version, 0) AS v"
)
UPSERT_NODES = (
    "UNWIND $rows AS row MERGE (n:Node {label: row.label, code: row.code})"
    " WITH n, row, n._created AS created, coalesce(n._version, 0) AS version"
    " SET n = row.map, n:$(row.label), n._created = coalesce(created, $now),"
    " n._updated = $now, n._version = version + row.writes"
)
CREATE_NODES = (
    "UNWIND $rows AS row CREATE (n:Node) SET n = row.map, n:$(row.label),"
    " n._created = $now, n._updated = $now, n._version = 1"
)
DELETE_OUT = (
    "UNWIND $reps AS rep MATCH (n:Node {label: rep.label, code: rep.code})"
    " OPTIONAL MATCH (n)-[r:$(rep.type)]->() DELETE r"
)
DELETE_IN = (
    "UNWIND $reps AS rep MATCH (n:Node {label: rep.label, code: rep.code})"
    " OPTIONAL MATCH (n)<-[r:$(rep.type)]-() DELETE r"
)
CREATE_EDGES = (
    "UNWIND $edges AS e MATCH (a:Node {label: e.sl, code: e.sc})"
    " MATCH (b:Node {label: e.dl, code: e.dc})"
    " CREATE (a)-[r:$(e.type)]->(b) SET r = e.props RETURN count(r) AS created"
)
EXISTING = (
    "UNWIND $refs AS r MATCH (n:Node {label: r.label, code: r.code})"
    " RETURN r.label AS label, r.code AS code"
)
FIND_MISSING = (
    "UNWIND $refs AS r OPTIONAL MATCH (n:Node {label: r.label, code: r.code})"
    " WITH r, n WHERE n IS NULL RETURN r.label AS label, r.code AS code LIMIT 1"
)
NODE_FIELDS = (
    "n.label AS label, n.code AS code, n._owner AS owner, n._props AS props,"
    " n._version AS version, n._created AS created, n._updated AS updated, n._by AS by,"
    " n._search AS search"
)
GET_NODES = "UNWIND $refs AS r MATCH (n:Node {label: r.label, code: r.code}) RETURN " + NODE_FIELDS
FILTER = (
    " WHERE ($owner IS NULL OR n._owner = $owner)"
    " AND ($name IS NULL OR n.name CONTAINS $name)"
    " AND all(k IN keys($eq) WHERE n[k] = $eq[k])"
)
FIND_NODES = (
    "MATCH (n:Node {label: $label}) WHERE n.code > $after WITH n"
    + FILTER
    + " RETURN "
    + NODE_FIELDS
    + " ORDER BY n.code LIMIT $limit"
)
COUNT_NODES = "MATCH (n:Node {label: $label})" + FILTER + " RETURN count(n) AS c"
EDGES_OUT = (
    "UNWIND $codes AS c MATCH (n:Node {label: $label, code: c})-[r:$($type)]->(m:Node)"
    " RETURN n.label AS sl, n.code AS sc, m.label AS dl, m.code AS dc, r._key AS key,"
    " r._props AS props"
)
EDGES_IN = (
    "UNWIND $codes AS c MATCH (n:Node {label: $label, code: c})<-[r:$($type)]-(m:Node)"
    " RETURN m.label AS sl, m.code AS sc, n.label AS dl, n.code AS dc, r._key AS key,"
    " r._props AS props"
)
SEARCH = (
    "CALL db.index.fulltext.queryNodes('node_text', $query) YIELD node, score"
    " WHERE ($labels IS NULL OR node.label IN $labels)"
    # the index reader may lag a commit by a moment: check hits against the stored text
    " AND all(t IN $tokens WHERE"
    " toLower(coalesce(node.name, '') + ' ' + coalesce(node._search, '')) CONTAINS t)"
    " RETURN node.label AS label, node.code AS code, score"
    " ORDER BY score DESC, size(node.name), node.code LIMIT $limit"
)
COUNT_BY_OWNER = "MATCH (n:Node {label: $label}) RETURN n._owner AS owner, null AS v, count(*) AS c"
COUNT_BY_PROP = (
    "MATCH (n:Node {label: $label}) RETURN n._owner AS owner, n[$prop] AS v, count(*) AS c"
)
PING = "RETURN 1 AS ok"
START_ID = "MATCH (n:Node {label: $label, code: $code}) RETURN elementId(n) AS id"
HOP_FIELDS = (
    " RETURN elementId(a) AS a, a.label AS al, a.code AS ac, elementId(b) AS b, b.label AS bl,"
    " b.code AS bc, type(r) AS type, r._key AS key, r._props AS props"
)
HOP_OUT = (
    "UNWIND $ids AS id MATCH (a:Node)-[r]->(b:Node) WHERE elementId(a) = id"
    " AND type(r) IN $types" + HOP_FIELDS
)
HOP_IN = (
    "UNWIND $ids AS id MATCH (a:Node)-[r]->(b:Node) WHERE elementId(b) = id"
    " AND type(r) IN $types" + HOP_FIELDS
)
RESTORE_NODES = (
    "UNWIND $rows AS row MERGE (n:Node {label: row.label, code: row.code})"
    " SET n = row.map, n:$(row.label)"
)
RESTORE_EDGES = (
    "UNWIND $edges AS e MATCH (a:Node {label: e.sl, code: e.sc})"
    " MATCH (b:Node {label: e.dl, code: e.dc})"
    " MERGE (a)-[r:$(e.type) {_key: e.props._key}]->(b) SET r = e.props RETURN count(r) AS created"
)
RESERVED = frozenset({"label", "code"})
_BATCH = 2000


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _primitive(value: Any) -> bool:
    if isinstance(value, str | int | float | bool):
        return True
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def _node_map(props: Mapping[str, Any], owner: str | None, search: str, by: str) -> dict[str, Any]:
    flat = {k: v for k, v in props.items() if k not in RESERVED and _primitive(v)}
    flat.update(_props=_json(props), _search=search, _by=by)
    if owner is not None:
        flat["_owner"] = owner
    return flat


def _lucene(text: str) -> str | None:
    """Every CJK bigram / word required, each quoted so no query syntax leaks through."""
    toks = list(dict.fromkeys(tokens(text)))
    if not toks:
        return None
    return " ".join('+"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"' for t in toks)


class Neo4jGraphStore:
    """`GraphStore` over a Neo4j 5 server (single instance, cluster or Aura)."""

    def __init__(
        self,
        url: str,
        *,
        user: str,
        password: str,
        database: str | None = None,
        timeout_s: float = 30.0,
        pool_size: int = 20,
    ) -> None:
        self._driver = GraphDatabase.driver(
            url,
            auth=(user, password),
            max_connection_pool_size=pool_size,
            connection_acquisition_timeout=10.0,
            connection_timeout=5.0,
            max_transaction_retry_time=15.0,
        )
        self._database = database
        self._timeout = timeout_s
        self._call(lambda: self._create_schema())

    def _create_schema(self) -> None:
        with self._session() as session:
            for statement in SCHEMA:
                session.run(Query(self._q(statement), timeout=self._timeout)).consume()

    def _session(self) -> neo4j.Session:
        return self._driver.session(database=self._database)

    @staticmethod
    def _q(text: str) -> LiteralString:
        """Queries are module constants; the timeout rides on the unit of work."""
        return text

    def _timed(self, work: Any) -> Any:
        return neo4j.unit_of_work(timeout=self._timeout)(work)

    @staticmethod
    def _call(action: Any) -> Any:
        try:
            return action()
        except (ServiceUnavailable, DriverError) as exc:
            raise BackendUnavailable(f"neo4j: {type(exc).__name__}") from exc
        except Neo4jError as exc:
            if exc.code and exc.code.startswith("Neo.TransientError"):
                raise BackendUnavailable(f"neo4j: {exc.code}") from exc
            raise

    def _read(self, work: Any) -> Any:
        def run() -> Any:
            with self._session() as session:
                return session.execute_read(self._timed(work))

        return self._call(run)

    # -- writes ---------------------------------------------------------------------------

    def apply(self, *, changes: ChangeSet) -> None:
        """Node writes then edge replacements in one managed write transaction."""
        if not changes.nodes and not changes.edges:
            return
        now = _now()

        def work(tx: ManagedTransaction) -> None:
            # nodes that existed before this change set are the only ones with edges to drop
            touched = [{"label": r.node.label, "code": r.node.code} for r in changes.edges]
            existed = {
                NodeRef(r["label"], r["code"])
                for i in range(0, len(touched), _BATCH)
                for r in tx.run(self._q(EXISTING), refs=touched[i : i + _BATCH])
            }
            checked = [w for w in changes.nodes if w.expect_version is not None]
            if checked:
                refs = [{"label": w.ref.label, "code": w.ref.code} for w in checked]
                found = {
                    (r["label"], r["code"]): r["v"]
                    for r in tx.run(self._q(LOCK_VERSIONS), refs=refs)
                }
                for w in checked:
                    actual = int(found[(w.ref.label, w.ref.code)])
                    if w.expect_version != actual:
                        raise VersionConflict(w.ref, w.expect_version or 0, actual)
            # a node written twice in one change set keeps the later write and counts both
            # (as the embedded store does): one row per node, in first-write order
            writes: dict[NodeRef, int] = {}
            last: dict[NodeRef, NodeWrite] = {}
            for w in changes.nodes:
                writes[w.ref] = writes.get(w.ref, 0) + 1
                last[w.ref] = w
            rows = [
                {
                    "label": ref.label,
                    "code": ref.code,
                    "writes": writes[ref],
                    "map": {
                        **_node_map(w.props, w.owner, w.search_text, w.by),
                        "label": ref.label,
                        "code": ref.code,
                    },
                }
                for ref, w in last.items()
            ]
            # create-only writes use CREATE so that the uniqueness constraint refuses a
            # concurrent twin (MERGE would wait for it and then overwrite it)
            create_only = [w.expect_version == 0 and writes[w.ref] == 1 for w in last.values()]
            fresh = [r for r, c in zip(rows, create_only, strict=True) if c]
            other = [r for r, c in zip(rows, create_only, strict=True) if not c]
            for query, batch in ((CREATE_NODES, fresh), (UPSERT_NODES, other)):
                for i in range(0, len(batch), _BATCH):
                    tx.run(self._q(query), rows=batch[i : i + _BATCH], now=now).consume()
            self._replace_edges(tx, changes, existed)

        def run() -> None:
            with self._session() as session:
                session.execute_write(self._timed(work))

        try:
            self._call(run)
        except ConstraintError as exc:  # a concurrent create of the same code won the race
            first = changes.nodes[0].ref if changes.nodes else NodeRef("", "")
            raise VersionConflict(first, 0, 1) from exc

    def _replace_edges(
        self, tx: ManagedTransaction, changes: ChangeSet, existed: set[NodeRef]
    ) -> None:
        """Replacements apply in order: a later one sees the edges an earlier one wrote.
        They run in segments, deletes then creates; a new segment starts where a
        replacement could delete an edge the current segment creates (a bulk load, with each
        node's edges replaced once, is one segment)."""
        has_edges = set(existed)
        for segment in _segments(changes.edges):
            for direction, query in ((Direction.OUT, DELETE_OUT), (Direction.IN, DELETE_IN)):
                reps = [
                    {"label": r.node.label, "code": r.node.code, "type": r.type}
                    for r in segment
                    if r.direction is direction and r.node in has_edges
                ]
                for i in range(0, len(reps), _BATCH):
                    tx.run(self._q(query), reps=reps[i : i + _BATCH]).consume()
            edges = []
            for rep in segment:
                for t in rep.targets:
                    out = rep.direction is Direction.OUT
                    src, dst = (rep.node, t.target) if out else (t.target, rep.node)
                    edges.append(_edge_row(src, dst, rep.type, t.key, t.props))
                    has_edges.update((src, dst))
            self._create_edges(tx, CREATE_EDGES, edges)

    def _create_edges(
        self, tx: ManagedTransaction, query: str, edges: list[dict[str, Any]]
    ) -> None:
        created = 0
        for i in range(0, len(edges), _BATCH):
            record = tx.run(self._q(query), edges=edges[i : i + _BATCH]).single()
            created += int(record["created"]) if record else 0
        if created != len(edges):
            refs = [{"label": e[k + "l"], "code": e[k + "c"]} for e in edges for k in ("s", "d")]
            missing = tx.run(self._q(FIND_MISSING), refs=refs).single()
            what = f"{missing['label']} {missing['code']}" if missing else "an endpoint"
            raise MissingEndpoint(f"edge endpoint {what} does not exist")

    # -- reads ----------------------------------------------------------------------------

    def get_nodes(self, *, refs: Sequence[NodeRef]) -> dict[NodeRef, Node]:
        """Fetch nodes by identity in one read transaction."""
        if not refs:
            return {}
        params = [{"label": r.label, "code": r.code} for r in dict.fromkeys(refs)]

        def work(tx: ManagedTransaction) -> list[dict[str, Any]]:
            return [r.data() for r in tx.run(self._q(GET_NODES), refs=params)]

        return {node.ref: node for node in map(_node, self._read(work))}

    def find_nodes(self, *, query: NodeQuery, after: str | None, limit: int) -> list[Node]:
        """Keyset page of nodes matching `query`, ordered by code."""
        params = {**_filter(query), "after": after or "", "limit": int(limit)}

        def work(tx: ManagedTransaction) -> list[dict[str, Any]]:
            return [r.data() for r in tx.run(self._q(FIND_NODES), params)]

        return [_node(row) for row in self._read(work)]

    def count_nodes(self, *, query: NodeQuery) -> int:
        """Number of nodes matching `query`."""

        def work(tx: ManagedTransaction) -> int:
            record = tx.run(self._q(COUNT_NODES), _filter(query)).single()
            return int(record["c"]) if record else 0

        return int(self._read(work))

    def edges(
        self, *, refs: Sequence[NodeRef], type: str, direction: Direction
    ) -> dict[NodeRef, list[Edge]]:
        """Edges of `type` at each ref, grouped by ref, ordered by the far end and key."""
        result: dict[NodeRef, list[Edge]] = {ref: [] for ref in refs}
        by_label: dict[str, list[str]] = {}
        for ref in result:
            by_label.setdefault(ref.label, []).append(ref.code)
        ways = [Direction.OUT, Direction.IN] if direction is Direction.BOTH else [direction]

        def work(tx: ManagedTransaction) -> list[tuple[Direction, dict[str, Any]]]:
            rows = []
            for label, codes in by_label.items():
                for way in ways:
                    query = EDGES_OUT if way is Direction.OUT else EDGES_IN
                    for r in tx.run(self._q(query), label=label, codes=codes, type=type):
                        rows.append((way, r.data()))
            return rows

        for way, row in self._read(work):
            edge = Edge(
                NodeRef(row["sl"], row["sc"]),
                type,
                NodeRef(row["dl"], row["dc"]),
                row["key"] or "",
                orjson.loads(row["props"]) if row["props"] else {},
            )
            near = edge.source if way is Direction.OUT else edge.target
            result[near].append(edge)
        for ref, found in result.items():
            found.sort(key=lambda e, r=ref: (e.target if e.source == r else e.source, e.key))  # type: ignore[misc]
        return result

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
        """BFS one hop per query (frontier by element id) inside one read transaction."""
        out_types, in_types = hop_types(direction, types, reverse_types)

        def work(tx: ManagedTransaction) -> Traversal:
            record = tx.run(self._q(START_ID), label=start.label, code=start.code).single()
            if record is None:
                return EMPTY_TRAVERSAL

            refs: dict[str, NodeRef] = {}

            def hop(frontier: Sequence[str]) -> list[tuple[bool, Raw[str]]]:
                out: list[tuple[bool, Raw[str]]] = []
                for fwd, query, wanted in ((True, HOP_OUT, out_types), (False, HOP_IN, in_types)):
                    if not wanted:
                        continue
                    for r in tx.run(self._q(query), ids=list(frontier), types=wanted):
                        refs[r["a"]] = NodeRef(r["al"], r["ac"])
                        refs[r["b"]] = NodeRef(r["bl"], r["bc"])
                        out.append((fwd, (r["a"], r["b"], r["type"], r["key"] or "", r["props"])))
                return out

            return walk(
                record["id"],
                start,
                hop,
                lambda _ids: refs,
                _edge_props,
                depth=depth,
                limit=limit,
                as_of=as_of,
            )

        result: Traversal = self._read(work)
        return result

    def search(self, *, text: str, labels: Sequence[str], limit: int) -> list[SearchHit]:
        """Full-text search with Neo4j's `cjk` analyzer: every bigram/word required."""
        query = _lucene(text)
        if query is None:
            return []
        params = {
            "query": query,
            "tokens": list(dict.fromkeys(tokens(text))),
            "labels": list(labels) or None,
            "limit": int(limit),
        }

        def work(tx: ManagedTransaction) -> list[SearchHit]:
            return [
                SearchHit(NodeRef(r["label"], r["code"]), float(r["score"]))
                for r in tx.run(self._q(SEARCH), params)
            ]

        return list(self._read(work))

    def count_by(self, *, label: str, prop: str | None) -> list[CountRow]:
        """Counts grouped by owner, and by the value of `prop` when given."""

        def work(tx: ManagedTransaction) -> list[CountRow]:
            if prop is None:
                result = tx.run(self._q(COUNT_BY_OWNER), label=label)
            else:
                result = tx.run(self._q(COUNT_BY_PROP), label=label, prop=prop)
            return [
                CountRow(r["owner"], None if r["v"] is None else str(r["v"]), int(r["c"]))
                for r in result
            ]

        return list(self._read(work))

    def restore(self, *, nodes: Sequence[Node], edges: Sequence[Edge]) -> None:
        """Write exported nodes and edges exactly (MERGE, so a re-import changes nothing)."""
        rows = [
            {
                "label": n.ref.label,
                "code": n.ref.code,
                "map": {
                    **_node_map(n.props, n.owner, n.search_text, n.updated_by),
                    "label": n.ref.label,
                    "code": n.ref.code,
                    "_version": n.version,
                    "_created": n.created_at.isoformat(),
                    "_updated": n.updated_at.isoformat(),
                },
            }
            for n in nodes
        ]
        wanted = [_edge_row(e.source, e.target, e.type, e.key, e.props) for e in edges]

        def work(tx: ManagedTransaction) -> None:
            for i in range(0, len(rows), _BATCH):
                tx.run(self._q(RESTORE_NODES), rows=rows[i : i + _BATCH]).consume()
            self._create_edges(tx, RESTORE_EDGES, wanted)

        def run() -> None:
            with self._session() as session:
                session.execute_write(self._timed(work))

        self._call(run)

    def read_mark(self) -> Hashable | None:
        """None: a server shared by replicas has no cheap change counter to read."""
        return None

    def ping(self) -> None:
        """Run a trivial query; raise `BackendUnavailable` if it fails."""
        self._read(lambda tx: tx.run(self._q(PING)).single())

    def close(self) -> None:
        """Close the driver and its connection pool."""
        self._driver.close()


def _edge_row(
    src: NodeRef, dst: NodeRef, type: str, key: str, props: Mapping[str, Any]
) -> dict[str, Any]:
    stored = {k: v for k, v in props.items() if _primitive(v)}
    stored.update(_key=key, _props=_json(dict(props)))
    return {
        "sl": src.label,
        "sc": src.code,
        "dl": dst.label,
        "dc": dst.code,
        "type": type,
        "props": stored,
    }


def _edge_props(raw: str | None) -> Mapping[str, Any]:
    return cast("Mapping[str, Any]", orjson.loads(raw)) if raw else {}


def _filter(query: NodeQuery) -> dict[str, Any]:
    return {
        "label": query.label,
        "owner": query.owner,
        "name": query.name_contains or None,
        "eq": dict(query.equals),
    }


def _node(row: Mapping[str, Any]) -> Node:
    return Node(
        ref=NodeRef(row["label"], row["code"]),
        props=orjson.loads(row["props"]),
        owner=row["owner"],
        version=int(row["version"]),
        created_at=datetime.fromisoformat(row["created"]),
        updated_at=datetime.fromisoformat(row["updated"]),
        updated_by=row["by"],
        search_text=row["search"] or "",
    )


def _segments(replaces: Sequence[EdgeReplace]) -> list[list[EdgeReplace]]:
    """Split replacements where one could delete an edge created earlier in its segment."""
    segments: list[list[EdgeReplace]] = [[]]
    created: set[tuple[NodeRef, str]] = set()
    for rep in replaces:
        if (rep.node, rep.type) in created:
            segments.append([])
            created = set()
        segments[-1].append(rep)
        for t in rep.targets:
            created.update(((rep.node, rep.type), (t.target, rep.type)))
    return [s for s in segments if s]
