"""The contract every `GraphStore` adapter must pass (run over each backend)."""

from __future__ import annotations

import pytest

from graph.port import (
    ChangeSet,
    Direction,
    EdgeReplace,
    EdgeTarget,
    GraphStore,
    MissingEndpoint,
    NodeQuery,
    NodeRef,
    NodeWrite,
    VersionConflict,
)

DEPT = NodeRef("Department", "D1")
SYS_A = NodeRef("System", "S-A")
SYS_B = NodeRef("System", "S-B")
COMP = NodeRef("Component", "C1")


def write(
    ref: NodeRef,
    props: dict[str, object],
    owner: str | None = None,
    *,
    text: str = "",
    expect: int | None = None,
) -> NodeWrite:
    return NodeWrite(
        ref=ref, props=props, owner=owner, search_text=text, by="tester", expect_version=expect
    )


def seed(store: GraphStore) -> None:
    store.apply(
        changes=ChangeSet(
            nodes=[
                write(DEPT, {"name": "厦门市市场监督管理局"}, text="市市场监管局 市场监管局"),
                write(COMP, {"name": "统一身份认证", "category": "身份"}, "D1"),
                write(
                    SYS_A,
                    {"name": "食品经营许可系统", "lifecycle": "OPERATING", "public": True},
                    "D1",
                    text="办理食品经营许可证",
                ),
                write(
                    SYS_B,
                    {"name": "营业执照登记系统", "lifecycle": "PLANNED", "public": False},
                    "D2",
                    text="企业登记 营业执照",
                ),
            ],
            edges=[
                EdgeReplace(SYS_A, "OWNS", [EdgeTarget(DEPT)], Direction.IN),
                EdgeReplace(SYS_A, "USES", [EdgeTarget(COMP)]),
                EdgeReplace(SYS_B, "USES", [EdgeTarget(COMP, key="a"), EdgeTarget(COMP, key="b")]),
            ],
        )
    )


def test_written_nodes_read_back_with_version_one(graph_store: GraphStore) -> None:
    seed(graph_store)
    nodes = graph_store.get_nodes(refs=[SYS_A, NodeRef("System", "missing")])
    assert list(nodes) == [SYS_A]
    node = nodes[SYS_A]
    assert node.props == {"name": "食品经营许可系统", "lifecycle": "OPERATING", "public": True}
    assert node.owner == "D1"
    assert node.version == 1
    assert node.updated_by == "tester"
    assert node.created_at.tzinfo is not None


def test_rewrite_bumps_version_and_replaces_props(graph_store: GraphStore) -> None:
    seed(graph_store)
    graph_store.apply(changes=ChangeSet(nodes=[write(SYS_A, {"name": "新名称"}, "D1", expect=1)]))
    node = graph_store.get_nodes(refs=[SYS_A])[SYS_A]
    assert node.version == 2
    assert node.props == {"name": "新名称"}


@pytest.mark.parametrize("expect", [0, 2, 7])
def test_version_mismatch_rolls_back_the_whole_change_set(
    graph_store: GraphStore, expect: int
) -> None:
    seed(graph_store)
    fresh = NodeRef("System", "S-NEW")
    with pytest.raises(VersionConflict):
        graph_store.apply(
            changes=ChangeSet(
                nodes=[
                    write(fresh, {"name": "x"}, "D1", expect=0),
                    write(SYS_A, {"name": "y"}, "D1", expect=expect),
                ]
            )
        )
    assert graph_store.get_nodes(refs=[fresh]) == {}
    assert graph_store.get_nodes(refs=[SYS_A])[SYS_A].props["name"] == "食品经营许可系统"


def test_a_change_set_of_upserts_then_conditional_writes_applies_them_all(
    graph_store: GraphStore,
) -> None:
    """Unconditional writes followed by conditional ones (in one bulk-sized change set):
    every condition is checked, and a failed one writes nothing (also when the writes before
    it fill more than one of the embedded store's batches)."""
    seed(graph_store)
    large = _bulk(5100, component="C-OLD", twice=False)
    with pytest.raises(VersionConflict):
        graph_store.apply(
            changes=ChangeSet(
                nodes=[*large.nodes, write(SYS_A, {"name": "y"}, "D1", expect=7)],
                edges=large.edges,
            )
        )
    assert graph_store.count_nodes(query=NodeQuery("System", owner="D1")) == 1
    bulk = _bulk(1500, component="C-OLD", twice=False)
    late = NodeRef("System", "S-LATE")
    graph_store.apply(
        changes=ChangeSet(
            nodes=[
                *bulk.nodes,
                write(SYS_A, {"name": "新名称"}, "D1", expect=1),
                write(late, {"name": "后来的系统"}, "D1", expect=0),
            ],
            edges=[*bulk.edges, EdgeReplace(late, "OWNS", [EdgeTarget(DEPT)], Direction.IN)],
        )
    )
    found = graph_store.get_nodes(refs=[SYS_A, late])
    assert (found[SYS_A].props["name"], found[SYS_A].version) == ("新名称", 2)
    assert found[late].version == 1
    assert graph_store.count_nodes(query=NodeQuery("System", owner="D1")) == 1502
    assert [h.ref for h in graph_store.search(text="后来的", labels=[], limit=10)] == [late]


def test_create_only_refuses_an_existing_node(graph_store: GraphStore) -> None:
    seed(graph_store)
    with pytest.raises(VersionConflict):
        graph_store.apply(changes=ChangeSet(nodes=[write(SYS_A, {"name": "dup"}, "D1", expect=0)]))


def test_edge_to_missing_node_fails_and_writes_nothing(graph_store: GraphStore) -> None:
    fresh = NodeRef("System", "S-NEW")
    with pytest.raises(MissingEndpoint):
        graph_store.apply(
            changes=ChangeSet(
                nodes=[write(fresh, {"name": "x"})],
                edges=[EdgeReplace(fresh, "USES", [EdgeTarget(NodeRef("Component", "nope"))])],
            )
        )
    assert graph_store.get_nodes(refs=[fresh]) == {}


def test_find_nodes_filters_orders_and_pages(graph_store: GraphStore) -> None:
    seed(graph_store)
    q = NodeQuery("System")
    assert [n.ref.code for n in graph_store.find_nodes(query=q, after=None, limit=10)] == [
        "S-A",
        "S-B",
    ]
    assert [n.ref.code for n in graph_store.find_nodes(query=q, after="S-A", limit=10)] == ["S-B"]
    assert [n.ref.code for n in graph_store.find_nodes(query=q, after=None, limit=1)] == ["S-A"]
    by_owner = NodeQuery("System", owner="D2")
    assert [n.ref.code for n in graph_store.find_nodes(query=by_owner, after=None, limit=10)] == [
        "S-B"
    ]
    by_prop = NodeQuery("System", equals={"lifecycle": "OPERATING", "public": True})
    assert [n.ref.code for n in graph_store.find_nodes(query=by_prop, after=None, limit=10)] == [
        "S-A"
    ]
    by_bool = NodeQuery("System", equals={"public": False})
    assert [n.ref.code for n in graph_store.find_nodes(query=by_bool, after=None, limit=10)] == [
        "S-B"
    ]
    by_name = NodeQuery("System", name_contains="执照")
    assert [n.ref.code for n in graph_store.find_nodes(query=by_name, after=None, limit=10)] == [
        "S-B"
    ]
    assert graph_store.count_nodes(query=q) == 2
    assert graph_store.count_nodes(query=by_prop) == 1


def test_edges_both_directions_and_keys(graph_store: GraphStore) -> None:
    seed(graph_store)
    out = graph_store.edges(refs=[SYS_A, SYS_B], type="USES", direction=Direction.OUT)
    assert [(e.target, e.key) for e in out[SYS_A]] == [(COMP, "")]
    assert [(e.target, e.key) for e in out[SYS_B]] == [(COMP, "a"), (COMP, "b")]
    incoming = graph_store.edges(refs=[COMP], type="USES", direction=Direction.IN)
    assert sorted((e.source.code, e.key) for e in incoming[COMP]) == [
        ("S-A", ""),
        ("S-B", "a"),
        ("S-B", "b"),
    ]
    owners = graph_store.edges(refs=[SYS_A], type="OWNS", direction=Direction.IN)
    assert [e.source for e in owners[SYS_A]] == [DEPT]


def test_edge_replace_removes_edges_no_longer_listed(graph_store: GraphStore) -> None:
    seed(graph_store)
    graph_store.apply(
        changes=ChangeSet(edges=[EdgeReplace(SYS_B, "USES", [EdgeTarget(COMP, key="b")])])
    )
    out = graph_store.edges(refs=[SYS_B], type="USES", direction=Direction.OUT)
    assert [e.key for e in out[SYS_B]] == ["b"]
    graph_store.apply(changes=ChangeSet(edges=[EdgeReplace(SYS_B, "USES", [])]))
    assert graph_store.edges(refs=[SYS_B], type="USES", direction=Direction.OUT)[SYS_B] == []


def test_edge_replaces_apply_in_order_within_one_change_set(graph_store: GraphStore) -> None:
    """A later replacement sees the edges an earlier one wrote, from either end, also when
    the nodes are rewritten in the same change set and some already existed."""
    seed(graph_store)
    graph_store.apply(
        changes=ChangeSet(
            nodes=[write(SYS_A, {"name": "A2"}, "D1"), write(COMP, {"name": "C2"}, "D1")],
            edges=[
                EdgeReplace(SYS_A, "USES", [EdgeTarget(COMP, key="x")]),
                EdgeReplace(SYS_B, "USES", [EdgeTarget(COMP, key="y")]),
                # the component's incoming USES: only S-B's edge stays
                EdgeReplace(COMP, "USES", [EdgeTarget(SYS_B, key="y")], Direction.IN),
                EdgeReplace(SYS_A, "OWNS", [], Direction.IN),
                EdgeReplace(SYS_A, "OWNS", [EdgeTarget(DEPT, key="again")], Direction.IN),
            ],
        )
    )
    incoming = graph_store.edges(refs=[COMP], type="USES", direction=Direction.IN)
    assert [(e.source, e.key) for e in incoming[COMP]] == [(SYS_B, "y")]
    owners = graph_store.edges(refs=[SYS_A], type="OWNS", direction=Direction.IN)
    assert [(e.source, e.key) for e in owners[SYS_A]] == [(DEPT, "again")]


def test_a_node_written_twice_in_one_change_set_keeps_the_later_write(
    graph_store: GraphStore,
) -> None:
    new = NodeRef("System", "S-NEW")
    graph_store.apply(
        changes=ChangeSet(
            nodes=[
                write(DEPT, {"name": "部门"}),
                write(new, {"name": "旧名称系统"}, "D1", text="旧的描述"),
                write(new, {"name": "新名称系统"}, "D1", text="新的描述"),
            ],
            edges=[EdgeReplace(new, "OWNS", [EdgeTarget(DEPT)], Direction.IN)],
        )
    )
    node = graph_store.get_nodes(refs=[new])[new]
    assert node.props["name"] == "新名称系统"
    assert node.version == 2
    assert graph_store.search(text="旧名称", labels=[], limit=10) == []
    assert [h.ref for h in graph_store.search(text="新名称", labels=[], limit=10)] == [new]
    assert [h.ref for h in graph_store.search(text="新的描述", labels=[], limit=10)] == [new]


def test_chinese_search_finds_names_aliases_and_descriptions(graph_store: GraphStore) -> None:
    seed(graph_store)
    hits = [h.ref for h in graph_store.search(text="营业执照", labels=[], limit=10)]
    assert hits[0] == SYS_B
    assert [h.ref for h in graph_store.search(text="市场监管", labels=[], limit=10)] == [DEPT]
    assert [h.ref for h in graph_store.search(text="食品经营", labels=["System"], limit=10)] == [
        SYS_A
    ]
    assert graph_store.search(text="食品经营", labels=["Department"], limit=10) == []
    assert graph_store.search(text="   ", labels=[], limit=10) == []
    assert graph_store.search(text='"营业 OR', labels=[], limit=10) == []


def test_search_index_follows_rewrites(graph_store: GraphStore) -> None:
    seed(graph_store)
    graph_store.apply(changes=ChangeSet(nodes=[write(SYS_B, {"name": "不动产登记系统"}, "D2")]))
    assert graph_store.search(text="营业执照", labels=[], limit=10) == []
    assert [h.ref for h in graph_store.search(text="不动产", labels=[], limit=10)] == [SYS_B]


def test_count_by_groups_by_owner_and_property(graph_store: GraphStore) -> None:
    seed(graph_store)
    rows = {
        (r.owner, r.value): r.count for r in graph_store.count_by(label="System", prop="lifecycle")
    }
    assert rows == {("D1", "OPERATING"): 1, ("D2", "PLANNED"): 1}
    owners = {r.owner: r.count for r in graph_store.count_by(label="System", prop=None)}
    assert owners == {"D1": 1, "D2": 1}


def test_ping_answers(graph_store: GraphStore) -> None:
    graph_store.ping()


def _bulk(systems: int, *, component: str, twice: bool) -> ChangeSet:
    """A change set of thousands of writes: `systems` systems owned by D1, each using
    `component`; with `twice` every tenth system's USES is replaced twice (the later wins)."""
    comps = [NodeRef("Component", c) for c in ("C-OLD", "C-NEW")]
    nodes = [write(DEPT, {"name": "部门"})] + [write(c, {"name": c.code}, "D1") for c in comps]
    edges: list[EdgeReplace] = []
    for i in range(systems):
        ref = NodeRef("System", f"S-{i:05d}")
        nodes.append(write(ref, {"name": f"批量系统{i}号"}, "D1", text=f"编号{i}"))
        edges.append(EdgeReplace(ref, "OWNS", [EdgeTarget(DEPT)], Direction.IN))
        if twice and i % 10 == 0:
            edges.append(EdgeReplace(ref, "USES", [EdgeTarget(comps[0], key="first")]))
        edges.append(EdgeReplace(ref, "USES", [EdgeTarget(NodeRef("Component", component))]))
    return ChangeSet(nodes=nodes, edges=edges)


def test_a_bulk_change_set_of_thousands_of_writes_applies_in_order(
    graph_store: GraphStore,
) -> None:
    """Large change sets (bulk loads, also a reload over existing nodes whose edges are
    replaced, some twice) read back like small ones: nodes, edges both ways, search."""
    graph_store.apply(changes=_bulk(1500, component="C-OLD", twice=False))
    graph_store.apply(changes=_bulk(1500, component="C-NEW", twice=True))
    systems = [NodeRef("System", f"S-{i:05d}") for i in (0, 7, 10, 1499)]
    uses = graph_store.edges(refs=systems, type="USES", direction=Direction.OUT)
    assert {ref: [(e.target.code, e.key) for e in found] for ref, found in uses.items()} == {
        ref: [("C-NEW", "")] for ref in systems
    }
    into = graph_store.edges(
        refs=[NodeRef("Component", "C-OLD"), NodeRef("Component", "C-NEW")],
        type="USES",
        direction=Direction.IN,
    )
    assert [len(found) for found in into.values()] == [0, 1500]
    owned = graph_store.edges(refs=[DEPT], type="OWNS", direction=Direction.OUT)[DEPT]
    assert len(owned) == 1500
    assert graph_store.get_nodes(refs=systems)[systems[-1]].version == 2
    assert [h.ref for h in graph_store.search(text="1499", labels=[], limit=10)] == [systems[-1]]
    assert graph_store.count_nodes(query=NodeQuery("System", owner="D1")) == 1500


def test_a_bulk_change_set_writes_nodes_twice_and_replaces_the_text_of_existing_ones(
    graph_store: GraphStore,
) -> None:
    """In a large change set too, of two writes of one node the later wins (a new node and
    one that existed), and a rewritten node is found by its new text only."""
    changes = _bulk(1500, component="C-OLD", twice=False)
    graph_store.apply(changes=changes)
    new, again = NodeRef("System", "S-NEW"), NodeRef("System", "S-00003")
    nodes = [
        *changes.nodes,
        write(new, {"name": "旧名称系统"}, "D1", text="旧的描述"),
        write(again, {"name": "不动产登记系统"}, "D1"),
        write(new, {"name": "新名称系统"}, "D1", text="新的描述"),
    ]
    edges = [*changes.edges, EdgeReplace(new, "OWNS", [EdgeTarget(DEPT)], Direction.IN)]
    graph_store.apply(changes=ChangeSet(nodes=nodes, edges=edges))
    found = graph_store.get_nodes(refs=[new, again])
    assert (found[new].props["name"], found[new].version) == ("新名称系统", 2)
    assert (found[again].props["name"], found[again].version) == ("不动产登记系统", 3)
    assert graph_store.search(text="旧名称", labels=[], limit=10) == []
    assert [h.ref for h in graph_store.search(text="新的描述", labels=[], limit=10)] == [new]
    assert [h.ref for h in graph_store.search(text="不动产", labels=[], limit=10)] == [again]
    assert graph_store.search(text="编号3", labels=[], limit=10) == []
    assert graph_store.search(text="批量系统3号", labels=[], limit=10) == []
    assert graph_store.count_nodes(query=NodeQuery("System", owner="D1")) == 1501
    owned = graph_store.edges(refs=[DEPT], type="OWNS", direction=Direction.OUT)[DEPT]
    assert len(owned) == 1501


def test_a_bulk_change_set_with_a_missing_endpoint_writes_nothing(
    graph_store: GraphStore,
) -> None:
    changes = _bulk(1500, component="C-NOPE", twice=False)
    with pytest.raises(MissingEndpoint):
        graph_store.apply(changes=changes)
    assert graph_store.count_nodes(query=NodeQuery("System")) == 0
    assert graph_store.search(text="批量系统", labels=[], limit=10) == []


def test_the_read_mark_is_stable_between_writes_and_moves_with_each(
    graph_store: GraphStore,
) -> None:
    mark = graph_store.read_mark()
    assert graph_store.read_mark() == mark  # reads alone leave it
    seed(graph_store)
    after = graph_store.read_mark()
    if mark is None:  # the adapter cannot tell: readers must not cache
        assert after is None
    else:
        assert after != mark and graph_store.read_mark() == after
