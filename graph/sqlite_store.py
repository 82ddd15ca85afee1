"""The embedded `GraphStore`: a property graph in one SQLite file (WAL mode).

Why SQLite and not an embedded graph engine: see README § Design. In short, it is the one
embedded engine that is crash-safe (WAL, fsync on commit), lets several processes write (the
server and the CLI), is maintained for the long term, and its recursive queries over an
indexed edge table stay within a small factor of an in-memory BFS.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import chain, islice, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson

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
from graph.sqlite_bulk import ImmediateInserts, Inserts, RowInsert, background_inserts
from graph.sqlite_walk import (
    META_SCHEMA,
    START_AND_GENERATION,
    WalkCache,
    edge_props,
    log_changes,
)
from graph.text import IndexedTexts, indexed_text, tokens
from graph.walk import Raw, hop_types, walk

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS nodes (
        id INTEGER PRIMARY KEY,
        label TEXT NOT NULL,
        code TEXT NOT NULL,
        owner TEXT,
        props TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        updated_by TEXT NOT NULL,
        search_text TEXT NOT NULL DEFAULT '',
        UNIQUE (label, code))""",
    "CREATE INDEX IF NOT EXISTS nodes_by_owner ON nodes (label, owner, code)",
    """CREATE TABLE IF NOT EXISTS edges (
        src INTEGER NOT NULL REFERENCES nodes(id),
        type TEXT NOT NULL,
        dst INTEGER NOT NULL REFERENCES nodes(id),
        key TEXT NOT NULL,
        props TEXT NOT NULL,
        PRIMARY KEY (src, type, dst, key)) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS edges_in ON edges (dst, type, src)",
    """CREATE VIRTUAL TABLE IF NOT EXISTS node_text USING fts5(
        label UNINDEXED, name, body, tokenize = 'unicode61')""",
    *META_SCHEMA,
)

SELECT_NODE_ID = "SELECT id, version FROM nodes WHERE label = ? AND code = ?"
INSERT_NODE = (
    "INSERT INTO nodes (label, code, owner, props, version, created_at, updated_at, updated_by,"
    " search_text) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)"
)
RESTORE_NODE = (
    "INSERT INTO nodes (label, code, owner, props, version, created_at, updated_at, updated_by,"
    " search_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (label, code) DO UPDATE SET"
    " owner = excluded.owner, props = excluded.props, version = excluded.version,"
    " created_at = excluded.created_at, updated_at = excluded.updated_at,"
    " updated_by = excluded.updated_by, search_text = excluded.search_text RETURNING id"
)
UPSERT_NODE = (
    "INSERT INTO nodes (label, code, owner, props, version, created_at, updated_at, updated_by,"
    " search_text) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?) ON CONFLICT (label, code) DO UPDATE SET"
    " owner = excluded.owner, props = excluded.props, version = version + 1,"
    " updated_at = excluded.updated_at, updated_by = excluded.updated_by,"
    " search_text = excluded.search_text RETURNING id, version"
)
MAX_NODE_ID = "SELECT coalesce(max(id), 0) FROM nodes"
IDS_OF_CODES = (
    "SELECT code, id FROM nodes WHERE label = ? AND code IN (SELECT value FROM json_each(?))"
)
UPDATE_NODE = (
    "UPDATE nodes SET owner = ?, props = ?, version = version + 1, updated_at = ?, updated_by = ?,"
    " search_text = ? WHERE id = ?"
)
DELETE_TEXT = "DELETE FROM node_text WHERE rowid = ?"
INSERT_TEXT = "INSERT INTO node_text (rowid, label, name, body) VALUES (?, ?, ?, ?)"
INSERT_EDGE = "INSERT OR REPLACE INTO edges (src, type, dst, key, props) VALUES (?, ?, ?, ?, ?)"
# Statements over many rows (`RowInsert`: head, the placeholders of one row, tail). A bulk
# upsert names the id of a node it creates (NULL: the node exists, or SQLite picks the id).
NODE_ROWS = RowInsert(
    "INSERT INTO nodes (id, label, code, owner, props, version, created_at, updated_at,"
    " updated_by, search_text) VALUES ",
    "(?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
    " ON CONFLICT (label, code) DO UPDATE SET"
    " owner = excluded.owner, props = excluded.props, version = version + 1,"
    " updated_at = excluded.updated_at, updated_by = excluded.updated_by,"
    " search_text = excluded.search_text",
)
TEXT_ROWS = RowInsert("INSERT INTO node_text (rowid, label, name, body) VALUES ", "(?, ?, ?, ?)")
DELETE_TEXTS = RowInsert(  # the subquery form: an index lookup per row, not a scan
    "DELETE FROM node_text WHERE rowid IN (SELECT column1 FROM (VALUES ", "(?)", "))"
)
DELETE_OUT = RowInsert(
    "DELETE FROM edges WHERE (src, type) IN (SELECT column1, column2 FROM (VALUES ",
    "(?, ?)",
    "))",
)
DELETE_IN = RowInsert(
    "DELETE FROM edges WHERE (dst, type) IN (SELECT column1, column2 FROM (VALUES ",
    "(?, ?)",
    "))",
)
EDGE_ROWS = RowInsert(
    "INSERT OR REPLACE INTO edges (src, type, dst, key, props) VALUES ", "(?, ?, ?, ?, ?)"
)
EDGE_KEY = itemgetter(0, 1, 2, 3)  # src, type, dst, key of an EDGE_ROWS row
_NODE = itemgetter(0)  # of an EdgeReplace
_TARGETS = itemgetter(2)  # of an EdgeReplace
_TARGET = itemgetter(0)  # of an EdgeTarget
# Unconditional change sets at least this large write their rows in the background.
BACKGROUND_MIN_WRITES = 2_000
NODE_BATCH = 5_000
EDGE_BATCH = 50_000
EDGE_CHUNK = 5_000  # edge replacements whose outside ends are read in one query per label
SELECT_NODE_BY_REF = (
    "SELECT id, label, code, owner, props, version, created_at, updated_at, updated_by,"
    " search_text"
    " FROM nodes WHERE label = ? AND code = ?"
)
FIND_NODES = (
    "SELECT id, label, code, owner, props, version, created_at, updated_at, updated_by,"
    " search_text"
    " FROM nodes WHERE label = :label AND code > :after"
    " AND (:owner IS NULL OR owner = :owner)"
    " AND (:name IS NULL OR instr(json_extract(props, '$.name'), :name) > 0)"
    " AND (:eq IS NULL OR NOT EXISTS ("
    "   SELECT 1 FROM json_each(:eq) AS f WHERE json_extract(nodes.props, '$.' || f.key)"
    "   IS NOT f.value))"
    " ORDER BY code LIMIT :limit"
)
COUNT_NODES = (
    "SELECT count(*) FROM nodes WHERE label = :label"
    " AND (:owner IS NULL OR owner = :owner)"
    " AND (:name IS NULL OR instr(json_extract(props, '$.name'), :name) > 0)"
    " AND (:eq IS NULL OR NOT EXISTS ("
    "   SELECT 1 FROM json_each(:eq) AS f WHERE json_extract(nodes.props, '$.' || f.key)"
    "   IS NOT f.value))"
)
EDGES_OUT = (
    "SELECT s.label, s.code, e.type, d.label, d.code, e.key, e.props"
    " FROM nodes s JOIN edges e ON e.src = s.id AND e.type = :type JOIN nodes d ON d.id = e.dst"
    " WHERE s.label = :label AND s.code IN (SELECT value FROM json_each(:codes))"
)
EDGES_IN = (
    "SELECT s.label, s.code, e.type, d.label, d.code, e.key, e.props"
    " FROM nodes d JOIN edges e ON e.dst = d.id AND e.type = :type JOIN nodes s ON s.id = e.src"
    " WHERE d.label = :label AND d.code IN (SELECT value FROM json_each(:codes))"
)
SEARCH = (
    "SELECT n.label, n.code, hit.score FROM ("
    "  SELECT rowid, bm25(node_text, 0.0, 10.0, 1.0) AS score FROM node_text"
    "  WHERE node_text MATCH :match"
    "  AND (:labels IS NULL OR label IN (SELECT value FROM json_each(:labels)))"
    "  ORDER BY score LIMIT :limit"
    ") AS hit JOIN nodes n ON n.id = hit.rowid ORDER BY hit.score, n.code"
)
COUNT_BY_OWNER = "SELECT owner, NULL, count(*) FROM nodes WHERE label = ? GROUP BY owner"
COUNT_BY_PROP = (
    "SELECT owner, json_extract(props, '$.' || ?) AS v, count(*) FROM nodes WHERE label = ?"
    " GROUP BY owner, v"
)
HOP_OUT = (
    "SELECT e.src, e.dst, e.type, e.key, e.props FROM edges e"
    " WHERE e.src IN (SELECT value FROM json_each(:ids))"
    " AND e.type IN (SELECT value FROM json_each(:types))"
)
HOP_IN = (
    "SELECT e.src, e.dst, e.type, e.key, e.props FROM edges e"
    " WHERE e.dst IN (SELECT value FROM json_each(:ids))"
    " AND e.type IN (SELECT value FROM json_each(:types))"
)
REFS_OF_IDS = "SELECT id, label, code FROM nodes WHERE id IN (SELECT value FROM json_each(?))"
_PROP_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _ConditionalWrite(Exception):
    """A change set read as upserts has a conditional write after all (see `apply`)."""


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _edge_json(props: Mapping[str, Any]) -> str:
    """Edge props as JSON text with sorted keys ({} for none)."""
    if not props:
        return "{}"
    return orjson.dumps(props, option=orjson.OPT_SORT_KEYS).decode()


def _fts_query(text: str) -> str | None:
    toks = tokens(text)
    if not toks:
        return None
    return " AND ".join('"' + t.replace('"', '""') + '"' for t in dict.fromkeys(toks))


class SqliteGraphStore:
    """`GraphStore` over one SQLite database file; one connection per thread.

    `walk_cache`: walk an in-process copy of the walked edge types (see `graph.sqlite_walk`)
    instead of querying one hop at a time; both give the same answer.
    """

    def __init__(
        self, path: Path, *, busy_timeout_ms: int = 10_000, walk_cache: bool = True
    ) -> None:
        self._path = path
        self._walks = WalkCache() if walk_cache else None
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._writes = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._write() as db:
            for statement in SCHEMA:
                db.execute(statement)

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self._path, isolation_level=None, check_same_thread=False, timeout=30
            )
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA mmap_size = 268435456")
            conn.execute("PRAGMA cache_size = -65536")
        except sqlite3.Error as exc:
            raise BackendUnavailable(f"embedded graph store: {exc}") from exc
        return conn

    @contextmanager
    def _write(self, *, resolved_endpoints: bool = False) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction. `resolved_endpoints`: every edge written in it joins ids
        read inside it (under the write lock), so SQLite's per-row foreign-key lookups only
        repeat those reads; they are switched off for it (half the cost of an edge insert)."""
        db = self._conn()
        if resolved_endpoints:
            db.execute("PRAGMA foreign_keys = OFF")  # takes effect outside a transaction only
        try:
            try:
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise BackendUnavailable(f"embedded graph store busy: {exc}") from exc
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            else:
                db.execute("COMMIT")
        finally:
            with self._lock:  # this store's own commits leave its data_version unchanged
                self._writes += 1
            if resolved_endpoints:
                db.execute("PRAGMA foreign_keys = ON")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        db = self._conn()
        db.execute("BEGIN")
        try:
            yield db
        finally:
            db.execute("COMMIT")

    # -- writes ---------------------------------------------------------------------------

    def apply(self, *, changes: ChangeSet) -> None:
        """Apply node writes then edge replacements in one IMMEDIATE transaction.

        A change set that starts with an unconditional write is applied as upserts (bulk
        loads), reading its writes a batch at a time; should a later one turn out to be
        conditional, that transaction is rolled back and the change set applied again the
        general way (a change set may be made lazily, so it is not read whole first)."""
        now = _now()
        if not changes.nodes or changes.nodes[0].expect_version is None:
            try:
                with self._write(resolved_endpoints=True) as db:
                    self._apply_unconditionally(db, changes, now)
                return
            except _ConditionalWrite:
                pass
        with self._write() as db:
            ids: dict[NodeRef, int] = {}
            fresh: set[int] = set()
            for write in changes.nodes:
                node_id, created = self._write_node(db, write, now)
                ids[write.ref] = node_id
                if created:
                    fresh.add(node_id)
            touched = self._replace_edges(db, changes.edges, ids, fresh, ImmediateInserts(db))
            log_changes(db, touched)

    def _apply_unconditionally(self, db: sqlite3.Connection, changes: ChangeSet, now: str) -> None:
        """Upserts (bulk loads), read and written a batch at a time, so that a change set made
        lazily (`Ledger.load`'s) is made while SQLite writes the batches before: the ids of
        the nodes it creates are chosen here, as SQLite would (after the largest, in order),
        so every row is known before it is written, and all rows go through one `Inserts`,
        in the background for a large change set."""
        background = (
            len(changes.nodes) >= BACKGROUND_MIN_WRITES
            or len(changes.nodes) + len(changes.edges) >= BACKGROUND_MIN_WRITES
        )
        (largest,) = db.execute(MAX_NODE_ID).fetchone()
        with self._lookups(db, background) as lookup, self._inserts(db, background) as inserts:
            ids: dict[NodeRef, int] = {}
            fresh: set[int] = set()
            indexed: set[int] = set()  # nodes given text index rows in this change set
            tokenize = IndexedTexts()
            writes = changes.nodes
            for start in range(0, len(writes), NODE_BATCH):
                batch = writes[start : start + NODE_BATCH]
                if any(w.expect_version is not None for w in batch):
                    raise _ConditionalWrite
                unseen = list(dict.fromkeys(w.ref for w in batch if w.ref not in ids))
                found = self._ids_of(lookup, unseen)
                created = [r for r in unseen if r not in found]
                ids.update(found)
                chosen = range(largest + 1, largest + 1 + len(created))
                ids.update(zip(created, chosen, strict=True))
                new = set(chosen)
                largest += len(created)
                fresh.update(new)
                self._upsert_nodes(inserts, batch, now, ids, new)
                self._index_texts(inserts, batch, ids, fresh, indexed, tokenize)
            touched = self._replace_edges(lookup, changes.edges, ids, fresh, inserts)
        log_changes(db, touched)

    @contextmanager
    def _lookups(self, db: sqlite3.Connection, background: bool) -> Iterator[sqlite3.Connection]:
        """Where the unconditional path reads which nodes existed before it: `db` itself or,
        while another thread writes on `db`, a second connection. It sees the database as
        the transaction found it (the transaction holds the write lock, so nobody commits in
        between), which is what is read there: the nodes this change set creates are known
        without reading."""
        if not background:
            yield db
            return
        reader = self._connect()
        try:
            reader.execute("BEGIN")
            yield reader
        finally:
            reader.close()

    @staticmethod
    @contextmanager
    def _inserts(db: sqlite3.Connection, background: bool) -> Iterator[Inserts]:
        """Bulk loads insert their rows in the background while the next are built."""
        if background:
            with background_inserts(db) as inserts:
                yield inserts
        else:
            yield ImmediateInserts(db)

    def _resolve_endpoints(
        self, db: sqlite3.Connection, edges: Sequence[EdgeReplace], ids: dict[NodeRef, int]
    ) -> None:
        """Add the ids of the endpoints of `edges` written before this change set to `ids`
        (one query per label); raise `MissingEndpoint` for the first that does not exist."""
        ends = set(map(_NODE, edges))  # C loops: a bulk load has ~800k ends
        ends.update(map(_TARGET, chain.from_iterable(map(_TARGETS, edges))))
        outside = ends.difference(ids)  # walks `ends`: `ends - ids.keys()` walks all of `ids`
        if not outside:
            return
        ids.update(self._ids_of(db, list(outside)))
        if not outside.difference(ids):
            return
        for replace in edges:  # the first missing end, in order
            for end in (replace.node, *(t.target for t in replace.targets)):
                if end not in ids:
                    raise MissingEndpoint(f"edge endpoint {end.label} {end.code} does not exist")

    def _replace_edges(
        self,
        lookup: sqlite3.Connection,
        edges: Sequence[EdgeReplace],
        ids: dict[NodeRef, int],
        fresh: set[int],
        rows: Inserts,
    ) -> set[int]:
        """Replace `edges` through `rows`, after the rows given to it before; return the ids
        of the nodes whose edges changed. Edges are read a chunk at a time and the ids of
        their ends not in `ids` read on `lookup` (see `_resolve_endpoints`)."""
        # Statements are buffered into batches, deletes before inserts. A DELETE may run before
        # inserts buffered ahead of it only when it cannot match them (no edge of its node,
        # type and direction was written in this change set); otherwise both buffers are
        # flushed first, so it sees every edge written before it. A node created in this
        # change set has no edges of a type unless this change set gave it some, so its DELETE
        # is skipped. Batches are flushed every `EDGE_BATCH` rows as well (in statements of one
        # size): a flush keeps that order, and SQLite inserts a batch while the next is built.
        inserts: list[tuple[int, str, int, str, str]] = []
        deletes_out: list[tuple[int, str]] = []
        deletes_in: list[tuple[int, str]] = []
        # ids of the nodes given edges in this change set, by (type, outgoing from the node)
        given: dict[tuple[str, bool], set[int]] = {}
        touched: set[int] = set()

        step = rows.rows_per_statement(EDGE_ROWS)

        def flush(*, whole: bool = True) -> None:
            """Write the buffered deletes, then the inserts: all of them, or (not `whole`) a
            multiple of `step`, the rest staying buffered (still after those deletes, which
            cannot match them)."""
            rows.insert(DELETE_OUT, deletes_out)
            rows.insert(DELETE_IN, deletes_in)
            deletes_out.clear()
            deletes_in.clear()
            inserts.sort(key=EDGE_KEY)  # stable: of two equal keys the later still wins
            cut = len(inserts) if whole else len(inserts) // step * step
            rows.insert(EDGE_ROWS, inserts[:cut])
            del inserts[:cut]

        id_of = ids.__getitem__
        for node, type_, targets, direction in self._resolved(lookup, edges, ids):
            near = id_of(node)
            touched.add(near)
            outgoing = direction is Direction.OUT
            given_near = near in given.get((type_, outgoing), ())
            if near not in fresh or given_near:
                if given_near:
                    flush()
                (deletes_out if outgoing else deletes_in).append((near, type_))
            if not targets:
                continue
            ends, keys, all_props = zip(*targets, strict=True)  # one pass over the targets
            fars = list(map(id_of, ends))
            touched.update(fars)
            props = list(map(_edge_json, all_props))
            given.setdefault((type_, outgoing), set()).add(near)
            given.setdefault((type_, not outgoing), set()).update(fars)
            if outgoing:
                inserts.extend(zip(repeat(near), repeat(type_), fars, keys, props))
            else:
                inserts.extend(zip(fars, repeat(type_), repeat(near), keys, props))
            if len(inserts) >= max(EDGE_BATCH, step):
                flush(whole=False)
        flush()
        return touched

    @staticmethod
    def _upsert_nodes(
        rows: Inserts,
        writes: Sequence[NodeWrite],
        now: str,
        ids: Mapping[NodeRef, int],
        new: set[int],
    ) -> None:
        """Upsert `writes` through `rows`. A node in `new` (created by this change set, not
        written yet) is named by its first write (its chosen id, then taken out of `new`);
        a later write of it, and a write of a node that exists, leaves the id to the upsert
        (of two writes the later wins)."""
        batch = []
        for w in writes:
            node_id: int | None = ids[w.ref]
            if node_id in new:
                new.discard(node_id)
            else:
                node_id = None
            batch.append(
                (
                    node_id,
                    w.ref.label,
                    w.ref.code,
                    w.owner,
                    _json(w.props),
                    now,
                    now,
                    w.by,
                    w.search_text,
                )
            )
        rows.insert(NODE_ROWS, batch)

    @staticmethod
    def _index_texts(
        rows: Inserts,
        writes: Sequence[NodeWrite],
        ids: Mapping[NodeRef, int],
        fresh: set[int],
        indexed: set[int],
        tokenize: IndexedTexts,
    ) -> None:
        """Insert the text index rows of `writes` (of two writes of a node the later wins), in
        id order (the order the index is cheapest to build in); first delete the rows of the
        nodes that existed and of those given rows earlier in this change set (`indexed`,
        which this extends)."""
        latest = {ids[w.ref]: w for w in writes}
        rows.insert(DELETE_TEXTS, [(i,) for i in latest if i in indexed or i not in fresh])
        ordered = sorted(latest.items(), key=itemgetter(0))
        names = tokenize([str(w.props.get("name", "")) for _i, w in ordered])
        bodies = tokenize([w.search_text for _i, w in ordered])
        rows.insert(
            TEXT_ROWS,
            [
                (node_id, w.ref.label, name, body)
                for (node_id, w), name, body in zip(ordered, names, bodies, strict=True)
            ],
        )
        indexed.update(latest)

    def _resolved(
        self, lookup: sqlite3.Connection, edges: Sequence[EdgeReplace], ids: dict[NodeRef, int]
    ) -> Iterator[EdgeReplace]:
        """`edges`, each after the ids of its ends are in `ids` (a chunk at a time)."""
        remaining = iter(edges)
        while chunk := list(islice(remaining, EDGE_CHUNK)):
            self._resolve_endpoints(lookup, chunk, ids)
            yield from chunk

    @staticmethod
    def _ids_of(db: sqlite3.Connection, refs: Sequence[NodeRef]) -> dict[NodeRef, int]:
        by_label: dict[str, list[str]] = {}
        for ref in refs:
            by_label.setdefault(ref.label, []).append(ref.code)
        found: dict[NodeRef, int] = {}
        for label, codes in by_label.items():
            for code, node_id in db.execute(IDS_OF_CODES, (label, _json(codes))):
                found[NodeRef(label, code)] = node_id
        return found

    def _write_node(self, db: sqlite3.Connection, write: NodeWrite, now: str) -> tuple[int, bool]:
        props = _json(write.props)
        if write.expect_version is None:  # unconditional: one statement, no read first
            node_id, version = db.execute(
                UPSERT_NODE,
                (
                    write.ref.label,
                    write.ref.code,
                    write.owner,
                    props,
                    now,
                    now,
                    write.by,
                    write.search_text,
                ),
            ).fetchone()
            created = version == 1
            if not created:
                db.execute(DELETE_TEXT, (node_id,))
            self._index_text(db, node_id, write)
            return node_id, created
        row = db.execute(SELECT_NODE_ID, (write.ref.label, write.ref.code)).fetchone()
        actual = 0 if row is None else int(row[1])
        if write.expect_version != actual:
            raise VersionConflict(write.ref, write.expect_version, actual)
        if row is None:
            cur = db.execute(
                INSERT_NODE,
                (
                    write.ref.label,
                    write.ref.code,
                    write.owner,
                    props,
                    now,
                    now,
                    write.by,
                    write.search_text,
                ),
            )
            node_id = int(cur.lastrowid or 0)
            created = True
        else:
            created = False
            node_id = int(row[0])
            db.execute(UPDATE_NODE, (write.owner, props, now, write.by, write.search_text, node_id))
            db.execute(DELETE_TEXT, (node_id,))
        self._index_text(db, node_id, write)
        return node_id, created

    @staticmethod
    def _index_text(db: sqlite3.Connection, node_id: int, write: NodeWrite) -> None:
        name = str(write.props.get("name", ""))
        db.execute(
            INSERT_TEXT,
            (node_id, write.ref.label, indexed_text(name), indexed_text(write.search_text)),
        )

    @staticmethod
    def _require_id(db: sqlite3.Connection, ref: NodeRef) -> int:
        row = db.execute(SELECT_NODE_ID, (ref.label, ref.code)).fetchone()
        if row is None:
            raise MissingEndpoint(f"edge endpoint {ref.label} {ref.code} does not exist")
        return int(row[0])

    # -- reads ----------------------------------------------------------------------------

    def get_nodes(self, *, refs: Sequence[NodeRef]) -> dict[NodeRef, Node]:
        """Fetch nodes by identity in one read transaction."""
        found: dict[NodeRef, Node] = {}
        with self._read() as db:
            for ref in dict.fromkeys(refs):
                row = db.execute(SELECT_NODE_BY_REF, (ref.label, ref.code)).fetchone()
                if row is not None:
                    found[ref] = _node(row)
        return found

    def find_nodes(self, *, query: NodeQuery, after: str | None, limit: int) -> list[Node]:
        """Keyset page of nodes matching `query`, ordered by code."""
        params = _query_params(query)
        params.update(after=after or "", limit=int(limit))
        with self._read() as db:
            return [_node(row) for row in db.execute(FIND_NODES, params)]

    def count_nodes(self, *, query: NodeQuery) -> int:
        """Number of nodes matching `query`."""
        with self._read() as db:
            return int(db.execute(COUNT_NODES, _query_params(query)).fetchone()[0])

    def edges(
        self, *, refs: Sequence[NodeRef], type: str, direction: Direction
    ) -> dict[NodeRef, list[Edge]]:
        """Edges of `type` at each ref, grouped by ref, ordered by the far end's code."""
        result: dict[NodeRef, list[Edge]] = {ref: [] for ref in refs}
        by_label: dict[str, list[str]] = {}
        for ref in result:
            by_label.setdefault(ref.label, []).append(ref.code)
        directions = [Direction.OUT, Direction.IN] if direction is Direction.BOTH else [direction]
        with self._read() as db:
            for label, codes in by_label.items():
                for way in directions:
                    sql = EDGES_OUT if way is Direction.OUT else EDGES_IN
                    params = {"label": label, "codes": json.dumps(codes), "type": type}
                    for sl, sc, typ, dl, dc, key, props in db.execute(sql, params):
                        edge = Edge(NodeRef(sl, sc), typ, NodeRef(dl, dc), key, json.loads(props))
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
        """BFS inside one read snapshot: over the walk cache when it can be brought up to the
        snapshot, otherwise one hop per query (an indexed frontier lookup)."""
        out_types, in_types = hop_types(direction, types, reverse_types)
        if self._walks is not None:  # the usual case needs no transaction: one statement
            start_id, generation = (
                self._conn().execute(START_AND_GENERATION, (start.label, start.code)).fetchone()
            )
            if start_id is None:
                return EMPTY_TRAVERSAL
            current = self._walks.walk_current(
                generation,
                start_id=start_id,
                start=start,
                out_types=out_types,
                in_types=in_types,
                depth=depth,
                limit=limit,
                as_of=as_of,
            )
            if current is not None:
                return current
        with self._read() as db:
            row = db.execute(SELECT_NODE_ID, (start.label, start.code)).fetchone()
            if row is None:
                return EMPTY_TRAVERSAL
            if self._walks is not None:
                cached = self._walks.traverse(
                    db,
                    start_id=int(row[0]),
                    start=start,
                    out_types=out_types,
                    in_types=in_types,
                    depth=depth,
                    limit=limit,
                    as_of=as_of,
                )
                if cached is not None:
                    return cached

            def hop(frontier: Sequence[int]) -> Iterator[tuple[bool, Raw[int]]]:
                ids = json.dumps(list(frontier))
                for fwd, query, wanted in ((True, HOP_OUT, out_types), (False, HOP_IN, in_types)):
                    if wanted:
                        params = {"ids": ids, "types": json.dumps(wanted)}
                        for row in db.execute(query, params):
                            yield fwd, row

            def resolve(ids: set[int]) -> dict[int, NodeRef]:
                found = db.execute(REFS_OF_IDS, (json.dumps(list(ids)),))
                return {i: NodeRef(label, code) for i, label, code in found}

            return walk(
                int(row[0]), start, hop, resolve, edge_props, depth=depth, limit=limit, as_of=as_of
            )

    def search(self, *, text: str, labels: Sequence[str], limit: int) -> list[SearchHit]:
        """Nodes whose name or description contains every token of `text`, best first."""
        match = _fts_query(text)
        if match is None:
            return []
        params = {
            "match": match,
            "labels": json.dumps(list(labels)) if labels else None,
            "limit": int(limit),
        }
        with self._read() as db:
            return [
                SearchHit(NodeRef(label, code), -float(rank))
                for label, code, rank in db.execute(SEARCH, params)
            ]

    def count_by(self, *, label: str, prop: str | None) -> list[CountRow]:
        """Counts grouped by owner, and by the value of `prop` when given."""
        with self._read() as db:
            if prop is None:
                rows = db.execute(COUNT_BY_OWNER, (label,)).fetchall()
            else:
                if not _PROP_NAME.match(prop):
                    raise ValueError(f"bad property name {prop!r}")
                rows = db.execute(COUNT_BY_PROP, (prop, label)).fetchall()
        return [CountRow(o, None if v is None else str(v), int(c)) for o, v, c in rows]

    def restore(self, *, nodes: Sequence[Node], edges: Sequence[Edge]) -> None:
        """Write exported nodes and edges exactly, in one transaction; idempotent."""
        with self._write() as db:
            ids: dict[NodeRef, int] = {}
            for n in nodes:
                (node_id,) = db.execute(
                    RESTORE_NODE,
                    (
                        n.ref.label,
                        n.ref.code,
                        n.owner,
                        _json(dict(n.props)),
                        n.version,
                        n.created_at.isoformat(),
                        n.updated_at.isoformat(),
                        n.updated_by,
                        n.search_text,
                    ),
                ).fetchone()
                db.execute(DELETE_TEXT, (node_id,))
                db.execute(
                    INSERT_TEXT,
                    (
                        node_id,
                        n.ref.label,
                        indexed_text(str(n.props.get("name", ""))),
                        indexed_text(n.search_text),
                    ),
                )
                ids[n.ref] = node_id
            rows = [
                (
                    ids.get(e.source) or self._require_id(db, e.source),
                    e.type,
                    ids.get(e.target) or self._require_id(db, e.target),
                    e.key,
                    _edge_json(e.props),
                )
                for e in edges
            ]
            db.executemany(INSERT_EDGE, rows)
            log_changes(db, {n for row in rows for n in (row[0], row[2])})

    def read_mark(self) -> Hashable | None:
        """This thread's connection, SQLite's `data_version` on it (it moves when any other
        connection, in any process, commits) and this store's count of its own commits."""
        db = self._conn()
        try:
            (version,) = db.execute("PRAGMA data_version").fetchone()
        except sqlite3.Error as exc:
            raise BackendUnavailable(f"embedded graph store: {exc}") from exc
        return (id(db), int(version), self._writes)

    def ping(self) -> None:
        """Run a trivial query; raise `BackendUnavailable` if it fails."""
        try:
            self._conn().execute("SELECT 1").fetchone()
        except sqlite3.Error as exc:
            raise BackendUnavailable(f"embedded graph store: {exc}") from exc

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()


def _query_params(query: NodeQuery) -> dict[str, Any]:
    for prop in query.equals:
        if not _PROP_NAME.match(prop):
            raise ValueError(f"bad property name {prop!r}")
    return {
        "label": query.label,
        "owner": query.owner,
        "name": query.name_contains or None,
        "eq": _json(dict(query.equals)) if query.equals else None,
    }


def _node(row: Sequence[Any]) -> Node:
    _id, label, code, owner, props, version, created, updated, by, search_text = row
    return Node(
        ref=NodeRef(label, code),
        props=orjson.loads(props),
        owner=owner,
        version=int(version),
        created_at=datetime.fromisoformat(created),
        updated_at=datetime.fromisoformat(updated),
        updated_by=by,
        search_text=search_text,
    )
