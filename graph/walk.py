"""The breadth-first walk shared by every adapter; adapters only supply one hop.

Keeping the walk here (and the hop in each adapter) is what makes the backends return the
same answer: the same order, the same truncation, the same edges.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from graph.port import Direction, Edge, NodeRef, Traversal

Id = TypeVar("Id")
# one hop: frontier ids → list of (near id, far id, far ref, edge)
Hop = Callable[[Sequence[Id]], Sequence[tuple[Id, Id, NodeRef, Edge]]]


def valid_at(props: Mapping[str, Any], as_of: str | None) -> bool:
    """Whether an edge observed from `since` until `until` holds at `as_of`."""
    if as_of is None:
        return True
    since = props.get("since")
    until = props.get("until")
    return (since is None or str(since) <= as_of) and (until is None or as_of < str(until))


def walk(
    start_id: Id, start: NodeRef, hop: Hop[Id], *, depth: int, limit: int, as_of: str | None
) -> Traversal:
    """BFS to `depth` hops, at most `limit` nodes besides the start, deterministic order."""
    reached: dict[Any, tuple[NodeRef, int]] = {start_id: (start, 0)}
    edges: dict[tuple[NodeRef, str, NodeRef, str], Edge] = {}
    frontier: list[Any] = [start_id]
    truncated = False
    for level in range(1, depth + 1):
        if not frontier or truncated:
            break
        found = hop(frontier)
        if as_of is not None:
            found = [f for f in found if valid_at(f[3].props, as_of)]
        if len(reached) - 1 + len(found) > limit:  # truncation possible: make it deterministic
            found = sorted(found, key=lambda f: (f[2], f[3].type, f[3].key))
        following: list[Any] = []
        for _near, far_id, far_ref, edge in found:
            if far_id not in reached:
                if len(reached) - 1 >= limit:
                    truncated = True
                    continue
                reached[far_id] = (far_ref, level)
                following.append(far_id)
            edges[(edge.source, edge.type, edge.target, edge.key)] = edge
        frontier = following
    ordered = sorted(edges.items())
    return Traversal(
        nodes={ref: level for ref, level in reached.values()},
        edges=[edge for _key, edge in ordered],
        truncated=truncated,
    )


def hop_types(
    direction: Direction, types: Sequence[str], reverse_types: Sequence[str]
) -> tuple[list[str], list[str]]:
    """(types to follow forwards, types to follow backwards) for a walk in `direction`."""
    forwards = direction in (Direction.OUT, Direction.BOTH)
    backwards = direction in (Direction.IN, Direction.BOTH)
    out = [*(types if forwards else ()), *(reverse_types if backwards else ())]
    back = [*(types if backwards else ()), *(reverse_types if forwards else ())]
    return sorted(set(out)), sorted(set(back))
