"""An in-process copy of the edges that walks follow, for the embedded store's `traverse`.

Why: a 5-hop lineage walk reaches ~1,000 nodes over ~1,300 edges. The SQL of it is cheap, but
reading those rows and making Python objects of them one hop at a time cost ~20x an in-memory
BFS; walking a copy kept in the process, keyed by node rank, costs about the BFS itself, and the
answer is then made once, in sorted order, from the edges actually used.

Staying correct when other processes write: every change set that touches edges bumps the
`generation` row and logs the ids of the nodes whose edges it changed, in its own transaction.
A walk reads the generation inside its read snapshot and first brings the copy up to it from
the log (or reloads it when the log does not reach back far enough), so it answers exactly what
the snapshot holds.

Nodes are keyed by a rank that follows (label, code) order with gaps, so that sorting the used
edges is sorting integers; a new node takes a rank between its neighbours, and when none is
left the copy is rebuilt.
"""

from __future__ import annotations

import bisect
import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, cast

import orjson

from graph.port import NodeRef, Traversal, type_bits
from graph.walk import valid_at

META_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS graph_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "INSERT OR IGNORE INTO graph_meta (name, value) VALUES ('generation', 0)",
    "CREATE TABLE IF NOT EXISTS edge_changes (generation INTEGER NOT NULL, node INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS edge_changes_by_generation ON edge_changes (generation)",
)
GENERATION = "SELECT value FROM graph_meta WHERE name = 'generation'"
# one statement is one snapshot: the start node and the generation it belongs to
START_AND_GENERATION = (
    "SELECT (SELECT id FROM nodes WHERE label = ? AND code = ?),"
    " (SELECT value FROM graph_meta WHERE name = 'generation')"
)
BUMP_GENERATION = (
    "UPDATE graph_meta SET value = value + 1 WHERE name = 'generation' RETURNING value"
)
LOG_CHANGE = "INSERT INTO edge_changes (generation, node) VALUES (?, ?)"
TRIM_LOG = "DELETE FROM edge_changes WHERE generation <= ?"
CHANGES_SINCE = "SELECT DISTINCT node FROM edge_changes WHERE generation > ? AND generation <= ?"
EDGES_OF_TYPES = (
    "SELECT src, type, dst, key, props FROM edges"
    " WHERE type IN (SELECT value FROM json_each(:types)) ORDER BY src, type, dst, key"
)
EDGES_AT_NODES = (
    "SELECT src, type, dst, key, props FROM edges"
    " WHERE src IN (SELECT value FROM json_each(:ids))"
    " AND type IN (SELECT value FROM json_each(:types))"
    " UNION "
    "SELECT src, type, dst, key, props FROM edges"
    " WHERE dst IN (SELECT value FROM json_each(:ids))"
    " AND type IN (SELECT value FROM json_each(:types))"
    " ORDER BY 1, 2, 3, 4"
)
REFS_OF_IDS = "SELECT id, label, code FROM nodes WHERE id IN (SELECT value FROM json_each(?))"

# how many generations of the change log are kept; an older copy is reloaded
KEEP_GENERATIONS = 1000
# a change set touching more nodes than this logs "reload everything" (-1) instead
LOG_LIMIT = 5000
RELOAD = -1
# room between neighbouring ranks for nodes that arrive later; odd, because Python hashes an
# int to itself and a dict picks its slot by the low bits: ranks that were multiples of 2**24
# all met in one slot, which made every rank-keyed dict (the adjacency, the walk's levels,
# rank -> ref) probe several times per lookup (measured: 4.5x slower lookups at 100k nodes)
_GAP = (1 << 24) + 1
_RANK_BITS = 64  # ranks stay below 2**64 (2**40 nodes at the initial gap)
_RANK_MASK = (1 << _RANK_BITS) - 1
_PLAIN = (("", "{}"),)  # the (key, props) of an edge without key or props

Rows = Iterable[tuple[int, str, int, str, str]]


def log_changes(db: sqlite3.Connection, nodes: set[int]) -> None:
    """Record, inside the writing transaction, that the edges of `nodes` changed."""
    if not nodes:
        return
    (generation,) = db.execute(BUMP_GENERATION).fetchone()
    marks = [RELOAD] if len(nodes) > LOG_LIMIT else sorted(nodes)
    db.executemany(LOG_CHANGE, [(generation, n) for n in marks])
    db.execute(TRIM_LOG, (generation - KEEP_GENERATIONS,))


class _Stale(Exception):
    """The copy cannot be brought up to date in place (no rank left, or no log)."""


@dataclass
class _Adjacency:
    """The edges of one type: far ranks by near rank, both ways, and the unusual ones.

    `extra` holds, by pair key (src rank << 64 | dst rank), the (key, props JSON) of every edge
    of a pair that is not exactly one edge without key and props."""

    out: dict[int, tuple[int, ...]] = field(default_factory=dict)
    into: dict[int, tuple[int, ...]] = field(default_factory=dict)
    extra: dict[int, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    extra_out: set[int] = field(default_factory=set)  # src ranks with an extra pair
    extra_into: set[int] = field(default_factory=set)  # dst ranks with an extra pair


class WalkCache:
    """The edges of the types walked so far, by rank; one per store, shared by its threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        self._generation: int | None = None
        self._types: dict[str, _Adjacency] = {}
        self._rank: dict[int, int] = {}  # node id -> rank
        self._ref: dict[int, NodeRef] = {}  # rank -> ref
        self._order: list[NodeRef] = []  # refs of ranked nodes, sorted
        self._ranks: list[int] = []  # their ranks, same order

    # -- keeping up with the database ------------------------------------------------------

    def walk_current(
        self,
        generation: int,
        *,
        start_id: int,
        start: NodeRef,
        out_types: Sequence[str],
        in_types: Sequence[str],
        depth: int,
        limit: int,
        as_of: str | None,
    ) -> Traversal | None:
        """The walk when the copy is at `generation` and holds the types; None otherwise."""
        with self._lock:
            if self._generation != generation or not self._types.keys() >= {
                *out_types,
                *in_types,
            }:
                return None
            return self._walk(start_id, start, out_types, in_types, depth, limit, as_of)

    def traverse(
        self,
        db: sqlite3.Connection,
        *,
        start_id: int,
        start: NodeRef,
        out_types: Sequence[str],
        in_types: Sequence[str],
        depth: int,
        limit: int,
        as_of: str | None,
    ) -> Traversal | None:
        """The walk, inside the caller's read snapshot; None when the copy is newer than it."""
        (generation,) = db.execute(GENERATION).fetchone()
        with self._lock:
            if self._generation is not None and self._generation > generation:
                return None
            try:
                self._catch_up(db, generation, {*out_types, *in_types})
            except _Stale:
                cached = set(self._types)
                self._clear()
                self._catch_up(db, generation, {*out_types, *in_types, *cached})
            return self._walk(start_id, start, out_types, in_types, depth, limit, as_of)

    def _catch_up(self, db: sqlite3.Connection, generation: int, types: set[str]) -> None:
        if self._generation is not None and self._generation != generation:
            if self._generation < generation - KEEP_GENERATIONS:
                raise _Stale
            changed = {n for (n,) in db.execute(CHANGES_SINCE, (self._generation, generation))}
            if RELOAD in changed:
                raise _Stale
            self._refresh(db, changed)
        self._generation = generation
        missing = sorted(types - self._types.keys())
        if missing:
            for t in missing:
                self._types[t] = _Adjacency()
            self._add(db, db.execute(EDGES_OF_TYPES, {"types": json.dumps(missing)}))

    def _refresh(self, db: sqlite3.Connection, changed: set[int]) -> None:
        """Drop every cached edge at a changed node, then read those nodes' edges again."""
        if not self._types:
            return
        at = {self._rank[n] for n in changed if n in self._rank}
        for adj in self._types.values():
            for near in at:
                for far in adj.out.pop(near, ()):
                    _drop(adj.into, far, near)
                    self._forget(adj, (near << _RANK_BITS) | far)
                for far in adj.into.pop(near, ()):
                    _drop(adj.out, far, near)
                    self._forget(adj, (far << _RANK_BITS) | near)
        params = {"ids": json.dumps(sorted(changed)), "types": json.dumps(sorted(self._types))}
        self._add(db, db.execute(EDGES_AT_NODES, params))

    @staticmethod
    def _forget(adj: _Adjacency, pair: int) -> None:
        adj.extra.pop(pair, None)
        # extra_out / extra_into only make walks look closer; they are rebuilt on reload

    def _add(self, db: sqlite3.Connection, rows: Rows) -> None:
        """Add edges (none of which is cached yet; rows ordered by src, type, dst, key),
        ranking their new endpoints first."""
        found = rows if isinstance(rows, list) else list(rows)
        ids = {r[0] for r in found}
        ids.update(r[2] for r in found)
        # not `ids - self._rank.keys()`: a set minus a keys view walks the whole view (every
        # ranked node), which made each catch-up after a write cost ~4 ms at 100k nodes
        known = self._rank
        unranked = {i for i in ids if i not in known}
        if unranked:
            self._rank_nodes(db, unranked)
        rank = self._rank
        outs: dict[str, dict[int, list[int]]] = {t: {} for t in self._types}
        ins: dict[str, dict[int, list[int]]] = {t: {} for t in self._types}
        keyed: dict[tuple[int, str, int], list[tuple[str, str]]] = {}
        near, near_type, last_far, s = -1, "", -1, -1
        out: list[int] = []
        into: dict[int, list[int]] = {}
        for src, typ, dst, key, props in found:
            if src != near or typ != near_type:  # rows come grouped by (src, type)
                near, near_type, s = src, typ, rank[src]
                out = outs[typ][s] = []
                into = ins[typ]
            elif dst == last_far:  # one more key of the same pair
                # the pair's first row is in `keyed` unless it was plain
                keyed.setdefault((src, typ, dst), [_PLAIN[0]]).append((key, props))
                continue
            last_far = dst
            if key or props != "{}":
                keyed[(src, typ, dst)] = [(key, props)]
            d = rank[dst]
            out.append(d)
            back = into.get(d)
            if back is None:
                into[d] = [s]
            else:
                back.append(s)
        for (src, typ, dst), keys in keyed.items():
            adj = self._types[typ]
            s, d = rank[src], rank[dst]
            adj.extra[(s << _RANK_BITS) | d] = tuple(keys)
            adj.extra_out.add(s)
            adj.extra_into.add(d)
        for typ, adj in self._types.items():
            for table, new in ((adj.out, outs[typ]), (adj.into, ins[typ])):
                for near, fars in new.items():
                    had = table.get(near)
                    table[near] = tuple(fars) if had is None else had + tuple(fars)

    def _rank_nodes(self, db: sqlite3.Connection, ids: set[int]) -> None:
        found = db.execute(REFS_OF_IDS, (json.dumps(sorted(ids)),)).fetchall()
        new = sorted((NodeRef(label, code), i) for i, label, code in found)
        if not self._order:  # first load: evenly spaced
            for position, (ref, i) in enumerate(new, start=1):
                self._place(i, ref, position * _GAP, len(self._order))
            return
        if len(new) > 1000:  # inserting one by one would be slower than ranking anew
            raise _Stale
        for ref, i in new:
            at = bisect.bisect_left(self._order, ref)
            low = self._ranks[at - 1] if at > 0 else 0
            high = self._ranks[at] if at < len(self._ranks) else low + 2 * _GAP
            if high - low < 2:
                raise _Stale
            self._place(i, ref, (low + high) // 2, at)

    def _place(self, node_id: int, ref: NodeRef, rank: int, at: int) -> None:
        if rank > _RANK_MASK:
            raise _Stale
        self._rank[node_id] = rank
        self._ref[rank] = ref
        self._order.insert(at, ref)
        self._ranks.insert(at, rank)

    # -- walking ---------------------------------------------------------------------------

    def _walk(
        self,
        start_id: int,
        start: NodeRef,
        out_types: Sequence[str],
        in_types: Sequence[str],
        depth: int,
        limit: int,
        as_of: str | None,
    ) -> Traversal:
        begin = self._rank.get(start_id)
        if begin is None:  # no edge of any cached type touches it
            return Traversal(level_of={0: 0}, ref_of={0: start})
        # types with no edge cannot be followed (and leave the sort key shorter)
        kinds = sorted(t for t in {*out_types, *in_types} if self._types[t].out)
        out_types = [t for t in out_types if t in kinds]
        in_types = [t for t in in_types if t in kinds]
        tbits = type_bits(len(kinds))
        shift = _RANK_BITS + tbits
        ways = [(True, t, self._types[t], kinds.index(t)) for t in out_types]
        ways += [(False, t, self._types[t], kinds.index(t)) for t in in_types]
        level_of: dict[int, int] = {begin: 0}
        used: list[int] = []
        frontier = [begin]
        truncated = False
        for level in range(1, depth + 1):
            if not frontier:
                break
            mark = len(used)
            following: list[int] = []
            for fwd, _t, adj, ti in ways:
                table = adj.out if fwd else adj.into
                if not table:
                    continue
                odd = adj.extra_out if fwd else adj.extra_into
                for near in frontier:
                    fars = table.get(near)
                    if fars is None:
                        continue
                    if as_of is not None and near in odd:
                        fars = tuple(f for f in fars if self._holds(adj, fwd, near, f, as_of))
                    if fwd:
                        base = ((near << tbits) | ti) << _RANK_BITS
                        for far in fars:
                            if far not in level_of:
                                level_of[far] = level
                                following.append(far)
                            used.append(base | far)
                    else:
                        low = (ti << _RANK_BITS) | near
                        for far in fars:
                            if far not in level_of:
                                level_of[far] = level
                                following.append(far)
                            used.append((far << shift) | low)
            if len(level_of) - 1 > limit:  # this hop reached too many: cut it back
                self._cut(level_of, following, used, mark, limit, shift)
                truncated = True
                break
            frontier = following
        if set(out_types) & set(in_types):  # an edge may have been reached from both ends
            used = list(set(used))
        used.sort()
        return self._answer(level_of, used, kinds, tbits, as_of, truncated)

    @staticmethod
    def _holds(adj: _Adjacency, fwd: bool, near: int, far: int, as_of: str) -> bool:
        pair = (near << _RANK_BITS) | far if fwd else (far << _RANK_BITS) | near
        keys = adj.extra.get(pair, _PLAIN)
        return any(valid_at(_props(raw), as_of) for _k, raw in keys)

    def _answer(
        self,
        level_of: dict[int, int],
        used: list[int],
        kinds: list[str],
        tbits: int,
        as_of: str | None,
        truncated: bool,
    ) -> Traversal:
        """The walk's own ints as the answer: ranks follow ref order, so `used` (sorted) is
        already the port's `links`, and the rank table resolves them (ranks are never
        reassigned: a rebuilt copy gets a table of its own)."""
        variants: dict[int, list[tuple[str, Mapping[str, Any]]]] = {}
        if any(self._types[t].extra for t in kinds):  # some links are not one plain edge
            shift = _RANK_BITS + tbits
            tmask = (1 << tbits) - 1
            for k in used:
                src, dst = k >> shift, k & _RANK_MASK
                keys = self._types[kinds[(k >> _RANK_BITS) & tmask]].extra.get(
                    (src << _RANK_BITS) | dst
                )
                if keys is not None:
                    variants[k] = [
                        (key, props)
                        for key, props in ((key, _props(raw)) for key, raw in keys)
                        if valid_at(props, as_of)
                    ]
        return Traversal(
            level_of=level_of,
            ref_of=self._ref,
            links=used,
            types=kinds,
            variants=variants,
            truncated=truncated,
        )

    @staticmethod
    def _cut(
        level_of: dict[int, int],
        following: list[int],
        used: list[int],
        mark: int,
        limit: int,
        shift: int,
    ) -> None:
        """Cut the last hop back to `limit` nodes the way the shared walk (`graph.walk`) does:
        its new nodes are taken in ref order (rank order) while there is room, and of its edges
        (`used` from `mark` on) those that reach a node left out are dropped."""
        room = limit - (len(level_of) - 1 - len(following))
        for far in sorted(following)[room:]:
            del level_of[far]
        kept = level_of.keys()
        used[mark:] = [k for k in used[mark:] if k >> shift in kept and k & _RANK_MASK in kept]


_EMPTY: Mapping[str, Any] = MappingProxyType({})


def edge_props(raw: str) -> Mapping[str, Any]:
    """Stored edge props as a mapping (most are empty: one shared, read-only mapping)."""
    return _EMPTY if raw == "{}" else cast("Mapping[str, Any]", orjson.loads(raw))


_props = edge_props


def _drop(table: dict[int, tuple[int, ...]], near: int, far: int) -> None:
    fars = table.get(near)
    if fars is None:
        return
    kept = tuple(f for f in fars if f != far)
    if kept:
        table[near] = kept
    else:
        del table[near]
