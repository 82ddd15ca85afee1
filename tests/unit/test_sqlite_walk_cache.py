"""The embedded store's walk cache answers exactly what one-hop-per-query SQL answers, also
after writes made through another store on the same file (another process, as the server and
the `irs` CLI are) and after the copy's ranks or change log run out."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph import sqlite_walk
from graph.port import (
    ChangeSet,
    Direction,
    EdgeReplace,
    EdgeTarget,
    Node,
    NodeQuery,
    NodeRef,
    NodeWrite,
    Traversal,
)
from graph.sqlite_store import SqliteGraphStore

TYPES = ("DERIVED_FROM", "PRODUCES")
KEYS = ("", "k")
SINCE = ("", "2023-01-01T00:00:00+00:00", "2025-01-01T00:00:00+00:00")


def ref(i: int) -> NodeRef:
    return NodeRef("Dataset" if i % 3 else "System", f"N-{i:03d}")


def replace(node: int, typ: str, targets: list[tuple[int, str, str]], inward: bool) -> EdgeReplace:
    return EdgeReplace(
        ref(node),
        typ,
        [EdgeTarget(ref(t), key, {"since": since} if since else {}) for t, key, since in targets],
        Direction.IN if inward else Direction.OUT,
    )


def write(node: int) -> NodeWrite:
    return NodeWrite(ref(node), {"name": f"资源{node}"}, None, "", "t")


# one change set: new or rewritten nodes, then edge replacements among nodes 0..29
change_sets = st.lists(
    st.tuples(
        st.lists(st.integers(0, 29), max_size=4),
        st.lists(
            st.tuples(
                st.integers(0, 29),
                st.sampled_from(TYPES),
                st.lists(
                    st.tuples(st.integers(0, 29), st.sampled_from(KEYS), st.sampled_from(SINCE)),
                    max_size=4,
                ),
                st.booleans(),
            ),
            max_size=4,
        ),
        st.booleans(),  # written through the second store
    ),
    min_size=1,
    max_size=8,
)


def answer(walked: Traversal) -> tuple[object, ...]:
    return (dict(walked.nodes), list(walked.edges), walked.truncated)


def walks(store: SqliteGraphStore, start: int) -> list[tuple[object, ...]]:
    out = []
    for direction in Direction:
        for limit in (3, 1000):
            for as_of in (None, "2024-06-01T00:00:00+00:00"):
                out.append(
                    answer(
                        store.traverse(
                            start=ref(start),
                            types=("DERIVED_FROM",),
                            reverse_types=("PRODUCES",),
                            direction=direction,
                            depth=4,
                            limit=limit,
                            as_of=as_of,
                        )
                    )
                )
    return out


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(steps=change_sets, starts=st.lists(st.integers(0, 29), min_size=1, max_size=3))
def test_cached_walks_follow_writes_from_other_processes(
    steps: list[tuple[list[int], list[tuple[int, str, list[tuple[int, str, str]], bool]], bool]],
    starts: list[int],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "g.db"
        cached = SqliteGraphStore(path)
        other = SqliteGraphStore(path)
        plain = SqliteGraphStore(path, walk_cache=False)
        cached.apply(changes=ChangeSet(nodes=[write(i) for i in range(0, 30, 2)]))
        for nodes, edges, elsewhere in steps:
            known = {n.ref for n in _all(plain)}
            wanted = {*nodes, *(e[0] for e in edges), *(t[0] for e in edges for t in e[2])}
            new = [write(i) for i in sorted(wanted) if ref(i) not in known or i in nodes]
            edge_writes = [replace(n, t, targets, inward) for n, t, targets, inward in edges]
            (other if elsewhere else cached).apply(changes=ChangeSet(new, edge_writes))
            for start in starts:
                assert walks(cached, start) == walks(plain, start)
        for store in (cached, other, plain):
            store.close()


def _all(store: SqliteGraphStore) -> list[Node]:
    return [
        *store.find_nodes(query=NodeQuery("Dataset"), after=None, limit=1000),
        *store.find_nodes(query=NodeQuery("System"), after=None, limit=1000),
    ]


def test_ranks_running_out_and_a_short_log_rebuild_the_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "g.db"
    cached = SqliteGraphStore(path)
    other = SqliteGraphStore(path)
    plain = SqliteGraphStore(path, walk_cache=False)
    chain = [NodeRef("Dataset", f"A-{i:02d}") for i in range(3)]
    cached.apply(
        changes=ChangeSet(
            nodes=[NodeWrite(r, {}, None, "", "t") for r in chain],
            edges=[EdgeReplace(chain[0], "DERIVED_FROM", [EdgeTarget(chain[1])])],
        )
    )

    def same() -> None:
        for store_start in chain:
            got = cached.traverse(
                start=store_start,
                types=("DERIVED_FROM",),
                direction=Direction.BOTH,
                depth=9,
                limit=100,
            )
            want = plain.traverse(
                start=store_start,
                types=("DERIVED_FROM",),
                direction=Direction.BOTH,
                depth=9,
                limit=100,
            )
            assert answer(got) == answer(want)

    same()
    # 40 nodes squeezed between, one change set each: the gap is split until no
    # rank is left between two neighbours
    for i in range(40):
        between = NodeRef("Dataset", "A-00" + "~" * (i + 1))
        other.apply(
            changes=ChangeSet(
                nodes=[NodeWrite(between, {}, None, "", "t")],
                edges=[EdgeReplace(between, "DERIVED_FROM", [EdgeTarget(chain[0])])],
            )
        )
        chain.append(between)
        same()
    # more change sets than the log keeps
    monkeypatch.setattr(sqlite_walk, "KEEP_GENERATIONS", 2)
    for i in range(4):
        other.apply(
            changes=ChangeSet(
                edges=[EdgeReplace(chain[2], "DERIVED_FROM", [EdgeTarget(chain[i % 2])])]
            )
        )
    same()
    for store in (cached, other, plain):
        store.close()


def test_ranks_spread_over_dict_slots(tmp_path: Path) -> None:
    """Ranks key the copy's dicts, which pick a slot by an int's low bits: ranks that share
    their low bits (multiples of a power of two) would all probe the same slots."""
    store = SqliteGraphStore(tmp_path / "g.db")
    chain = [NodeRef("Dataset", f"S-{i:04d}") for i in range(1000)]
    store.apply(
        changes=ChangeSet(
            nodes=[NodeWrite(r, {}, None, "", "t") for r in chain],
            edges=[
                EdgeReplace(chain[i], "DERIVED_FROM", [EdgeTarget(chain[i + 1])])
                for i in range(len(chain) - 1)
            ],
        )
    )
    walked = store.traverse(
        start=chain[0], types=("DERIVED_FROM",), direction=Direction.OUT, depth=3, limit=10
    )
    assert len(walked.nodes) == 4
    assert store._walks is not None
    ranks = list(store._walks._rank.values())
    assert len({r & 1023 for r in ranks}) > 900
    store.close()
