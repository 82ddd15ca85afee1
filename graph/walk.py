"""The breadth-first walk shared by every adapter; adapters only supply one hop.

Keeping the walk here (and the hop in each adapter) is what makes the backends return the
same answer: the same order, the same truncation, the same edges.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from graph.port import Direction, NodeRef, Traversal

Id = TypeVar("Id")
# an edge as a hop reads it: (source id, target id, type, key, raw props)
Raw = tuple[Id, Id, str, str, Any]
# one hop: frontier ids → (followed forwards?, edge) for every edge at the frontier
Hop = Callable[[Sequence[Id]], Iterable[tuple[bool, Raw[Id]]]]
# node ids → their refs (at least those asked for)
Resolve = Callable[[set[Id]], Mapping[Id, NodeRef]]
PropsOf = Callable[[Any], Mapping[str, Any]]


def valid_at(props: Mapping[str, Any], as_of: str | None) -> bool:
    """Whether an edge observed from `since` until `until` holds at `as_of`."""
    if as_of is None:
        return True
    since = props.get("since")
    until = props.get("until")
    return (since is None or str(since) <= as_of) and (until is None or as_of < str(until))


def walk(
    start_id: Id,
    start: NodeRef,
    hop: Hop[Id],
    resolve: Resolve[Id],
    props_of: PropsOf,
    *,
    depth: int,
    limit: int,
    as_of: str | None,
) -> Traversal:
    """BFS to `depth` hops, at most `limit` nodes besides the start, deterministic order.

    The walk runs on the adapter's own node ids; refs are resolved once, at the end (or for the
    candidates of a hop that may be cut at `limit`, to order them by ref), to number the nodes
    in ref order for the port's compact answer.
    """
    level_of: dict[Id, int] = {start_id: 0}
    used: dict[tuple[Id, str, Id, str], Any] = {}
    frontier: list[Id] = [start_id]
    truncated = False
    for level in range(1, depth + 1):
        if not frontier or truncated:
            break
        found = list(hop(frontier))
        if as_of is not None:
            found = [(fwd, e) for fwd, e in found if valid_at(props_of(e[4]), as_of)]
        if len(level_of) - 1 + len(found) > limit:  # truncation possible: make it deterministic
            refs = resolve({e[1] if fwd else e[0] for fwd, e in found})
            found.sort(key=lambda f: (refs[f[1][1] if f[0] else f[1][0]], f[1][2], f[1][3]))
        following: list[Id] = []
        for fwd, (src, dst, typ, key, props) in found:
            far = dst if fwd else src
            if far not in level_of:
                if len(level_of) - 1 >= limit:
                    truncated = True
                    continue
                level_of[far] = level
                following.append(far)
            used[(src, typ, dst, key)] = props
        frontier = following
    wanted = set(level_of) | {k[0] for k in used} | {k[2] for k in used}
    refs = dict(resolve(wanted))
    refs[start_id] = start
    # number the nodes in ref order, as the port's links want
    ordered = sorted(wanted, key=refs.__getitem__)
    number = {i: n for n, i in enumerate(ordered)}
    return Traversal.packed(
        level_of={number[i]: lvl for i, lvl in level_of.items()},
        ref_of={n: refs[i] for n, i in enumerate(ordered)},
        edges=((number[s], t, number[d], k, props_of(p)) for (s, t, d, k), p in used.items()),
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
