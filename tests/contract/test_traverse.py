"""Traversal on every backend equals a plain BFS over the same random graph (cycles and
diamonds included), with depth, direction, limit and "as of" honoured."""

from __future__ import annotations

import tempfile
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.port import ChangeSet, Direction, EdgeReplace, EdgeTarget, GraphStore, NodeRef, NodeWrite
from graph.sqlite_store import SqliteGraphStore
from tests.conftest import GRAPH_BACKENDS, empty_neo4j_store

TYPES = ("DERIVED_FROM", "PRODUCES")
Graph = list[tuple[int, str, int, str]]  # (src, type, dst, since)


def ref(i: int) -> NodeRef:
    return NodeRef("Dataset", f"DS-{i:03d}")


# the embedded store without its walk cache walks with `graph.walk`, as Neo4j does
WALKERS = [*GRAPH_BACKENDS, "embedded-uncached"]


@contextmanager
def fresh(backend: str) -> Iterator[GraphStore]:
    if backend.startswith("embedded"):
        with tempfile.TemporaryDirectory() as tmp:
            store = SqliteGraphStore(Path(tmp) / "g.db", walk_cache=backend == "embedded")
            yield store
            store.close()
    else:
        store = empty_neo4j_store()
        yield store
        store.close()


def load(store: GraphStore, nodes: int, graph: Graph) -> None:
    by_source: dict[tuple[int, str], list[EdgeTarget]] = {}
    for src, typ, dst, since in graph:
        props = {"since": since} if since else {}
        by_source.setdefault((src, typ), []).append(EdgeTarget(ref(dst), f"{src}>{dst}", props))
    store.apply(
        changes=ChangeSet(
            nodes=[NodeWrite(ref(i), {"name": f"资源{i}"}, None, "", "t") for i in range(nodes)],
            edges=[EdgeReplace(ref(s), t, targets) for (s, t), targets in by_source.items()],
        )
    )


def oracle(
    graph: Graph,
    start: int,
    types: set[str],
    direction: Direction,
    depth: int,
    limit: int,
    as_of: str | None,
    reverse: frozenset[str] = frozenset(),
) -> tuple[dict[NodeRef, int], set[tuple[NodeRef, str, NodeRef, str]], bool]:
    """Plain BFS, written independently of the adapters."""
    live = [
        (s, t, d, since)
        for s, t, d, since in graph
        if (t in types or t in reverse) and (as_of is None or not since or since <= as_of)
    ]
    seen = {start: 0}
    used: set[tuple[NodeRef, str, NodeRef, str]] = set()
    queue = deque([start])
    cut = False
    level = 0
    while queue and level < depth and not cut:
        level += 1
        nxt = []
        steps = []
        for near in queue:
            for s, t, d, _since in live:
                key = f"{s}>{d}"
                forwards = direction in (Direction.OUT, Direction.BOTH)
                backwards = direction in (Direction.IN, Direction.BOTH)
                if t in reverse:
                    forwards, backwards = backwards, forwards
                if forwards and s == near:
                    steps.append((ref(d), t, key, d, (ref(s), t, ref(d), key)))
                if backwards and d == near:
                    steps.append((ref(s), t, key, s, (ref(s), t, ref(d), key)))
        for _far_ref, _t, _k, far, edge in sorted(steps):
            if far not in seen:
                if len(seen) - 1 >= limit:
                    cut = True
                    continue
                seen[far] = level
                nxt.append(far)
            used.add(edge)
        queue = deque(nxt)
    return {ref(n): lvl for n, lvl in seen.items()}, used, cut


graphs = st.integers(min_value=2, max_value=14).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(
            st.tuples(
                st.integers(0, n - 1),
                st.sampled_from(TYPES),
                st.integers(0, n - 1),
                st.sampled_from(["", "2023-01-01T00:00:00+00:00", "2025-01-01T00:00:00+00:00"]),
            ),
            max_size=40,
            unique_by=lambda e: (e[0], e[1], e[2]),
        ),
    )
)


@pytest.mark.parametrize("backend", WALKERS)
@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    graph=graphs,
    start=st.integers(0, 13),
    direction=st.sampled_from(list(Direction)),
    depth=st.integers(1, 6),
    limit=st.integers(1, 20),
    types=st.sampled_from([("DERIVED_FROM",), TYPES, ("PRODUCES",)]),
    reverse=st.sampled_from([(), ("PRODUCES",)]),
    as_of=st.sampled_from([None, "2024-06-01T00:00:00+00:00"]),
)
def test_traverse_equals_plain_bfs(
    backend: str,
    graph: tuple[int, Graph],
    start: int,
    direction: Direction,
    depth: int,
    limit: int,
    types: tuple[str, ...],
    reverse: tuple[str, ...],
    as_of: str | None,
) -> None:
    nodes, edges = graph
    start %= nodes
    types = tuple(t for t in types if t not in reverse)
    with fresh(backend) as store:
        load(store, nodes, edges)
        got = store.traverse(
            start=ref(start),
            types=types,
            direction=direction,
            depth=depth,
            limit=limit,
            as_of=as_of,
            reverse_types=reverse,
        )
    want_nodes, want_edges, want_cut = oracle(
        edges, start, set(types), direction, depth, limit, as_of, frozenset(reverse)
    )
    assert dict(got.nodes) == want_nodes
    found = [(e.source, e.type, e.target, e.key) for e in got.edges]
    assert found == sorted(want_edges)  # sorted and distinct: lineage uses them as they come
    assert got.truncated == want_cut


@pytest.mark.parametrize("backend", WALKERS)
def test_unknown_start_is_empty(backend: str) -> None:
    with fresh(backend) as store:
        got = store.traverse(start=ref(1), types=TYPES, direction=Direction.OUT, depth=3, limit=10)
    assert (dict(got.nodes), list(got.edges), got.truncated) == ({}, [], False)
