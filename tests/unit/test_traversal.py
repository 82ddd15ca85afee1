"""The compact walk answer (`graph.port.Traversal`) reads back as the refs and edges it was
made from, in the port's order, whatever the keys, props and types."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from graph.port import Edge, NodeRef, Traversal

refs = st.builds(NodeRef, st.sampled_from(["Dataset", "System"]), st.text("AB", max_size=3))
edges = st.lists(
    st.builds(
        Edge,
        refs,
        st.sampled_from(["DERIVED_FROM", "PRODUCES", "ISSUED_FROM"]),
        refs,
        st.sampled_from(["", "k1", "k2"]),
        st.sampled_from([{}, {"since": "2024-01-01T00:00:00+00:00"}]),
    ),
    max_size=12,
    unique_by=lambda e: (e.source, e.type, e.target, e.key),
)


@given(edges=edges, levels=st.lists(st.integers(0, 5), min_size=24, max_size=24))
def test_compact_answer_reads_back_sorted(edges: list[Edge], levels: list[int]) -> None:
    ends = sorted({*(e.source for e in edges), *(e.target for e in edges)})
    nodes = {r: levels[i] for i, r in enumerate(ends)}
    walked = Traversal.of(nodes=nodes, edges=edges, truncated=True)
    assert dict(walked.nodes) == nodes
    assert list(walked.edges) == sorted(edges)
    assert walked.truncated
    assert [walked.link_ends(k) for k in walked.links] == sorted(
        {(_number(walked, e.source), e.type, _number(walked, e.target)) for e in edges}
    )


def _number(walked: Traversal, node: NodeRef) -> int:
    return next(n for n, r in walked.ref_of.items() if r == node)
