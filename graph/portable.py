"""Moving a whole graph between backends: a portable JSON Lines file (schemas/graph-export.md).

Line 1 is a header; then every node (by label, then code), then every edge (by source, type,
target, key). Versions, times and authors travel with the nodes, so an export of an import is
byte-identical to the original export.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import IO, Any

import orjson

from graph.port import Direction, Edge, GraphStore, Node, NodeQuery, NodeRef, iter_pages

FORMAT = "irs-graph"
VERSION = 1
PAGE = 1000
Progress = Callable[[int], None]


class PortableFormatError(ValueError):
    """A line of an import file is not what the format says; nothing after it was imported."""


def _dump(line: dict[str, Any]) -> bytes:
    return orjson.dumps(line) + b"\n"


def _nodes(store: GraphStore, labels: Sequence[str]) -> Iterator[list[Node]]:
    for label in labels:
        yield from iter_pages(store, query=NodeQuery(label), size=PAGE)


def export_graph(
    store: GraphStore,
    out: IO[bytes],
    *,
    labels: Sequence[str],
    types: Sequence[str],
    progress: Progress = lambda _n: None,
) -> tuple[int, int]:
    """Write every node of `labels` and every edge of `types` leaving them; (nodes, edges)."""
    out.write(
        _dump({"format": FORMAT, "version": VERSION, "labels": list(labels), "types": list(types)})
    )
    nodes = edges = 0
    for page in _nodes(store, labels):
        for n in page:
            out.write(
                _dump(
                    {
                        "kind": "node",
                        "label": n.ref.label,
                        "code": n.ref.code,
                        "owner": n.owner,
                        "version": n.version,
                        "created_at": n.created_at.isoformat(),
                        "updated_at": n.updated_at.isoformat(),
                        "updated_by": n.updated_by,
                        "search_text": n.search_text,
                        "props": dict(n.props),
                    }
                )
            )
        nodes += len(page)
        progress(len(page))
    for page in _nodes(store, labels):
        refs = [n.ref for n in page]
        found: list[Edge] = []
        for rel in types:
            for edge_list in store.edges(refs=refs, type=rel, direction=Direction.OUT).values():
                found.extend(edge_list)
        found.sort(key=lambda e: (e.source, e.type, e.target, e.key))
        for e in found:
            out.write(
                _dump(
                    {
                        "kind": "edge",
                        "source": list(e.source),
                        "type": e.type,
                        "target": list(e.target),
                        "key": e.key,
                        "props": dict(e.props),
                    }
                )
            )
        edges += len(found)
        progress(len(found))
    return nodes, edges


def import_graph(
    store: GraphStore,
    source: IO[bytes],
    *,
    batch: int = 2000,
    progress: Progress = lambda _n: None,
) -> tuple[int, int]:
    """Load an export into `store` idempotently (nodes first, then edges); (nodes, edges)."""
    header = _parse(source.readline(), 1)
    if header.get("format") != FORMAT or header.get("version") != VERSION:
        raise PortableFormatError(f"line 1: not an {FORMAT} v{VERSION} file")
    nodes: list[Node] = []
    edges: list[Edge] = []
    counts = [0, 0]

    def flush() -> None:
        if nodes or edges:
            store.restore(nodes=nodes, edges=edges)
            counts[0] += len(nodes)
            counts[1] += len(edges)
            progress(len(nodes) + len(edges))
            nodes.clear()
            edges.clear()

    for number, raw in enumerate(source, start=2):
        line = _parse(raw, number)
        try:
            if line["kind"] == "node":
                if edges:
                    flush()
                nodes.append(
                    Node(
                        ref=NodeRef(line["label"], line["code"]),
                        props=line["props"],
                        owner=line["owner"],
                        version=int(line["version"]),
                        created_at=datetime.fromisoformat(line["created_at"]),
                        updated_at=datetime.fromisoformat(line["updated_at"]),
                        updated_by=line["updated_by"],
                        search_text=line["search_text"],
                    )
                )
            elif line["kind"] == "edge":
                if nodes:
                    flush()
                edges.append(
                    Edge(
                        NodeRef(*line["source"]),
                        line["type"],
                        NodeRef(*line["target"]),
                        line["key"],
                        line["props"],
                    )
                )
            else:
                raise PortableFormatError(f"line {number}: unknown kind {line['kind']!r}")
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, PortableFormatError):
                raise
            raise PortableFormatError(f"line {number}: {type(exc).__name__}: {exc}") from exc
        if len(nodes) + len(edges) >= batch:
            flush()
    flush()
    return counts[0], counts[1]


def _parse(raw: bytes, number: int) -> dict[str, Any]:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise PortableFormatError(f"line {number}: not JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise PortableFormatError(f"line {number}: expected a JSON object")
    return value
