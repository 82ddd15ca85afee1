"""Both graph backends on the same generated ledger, each question beside an in-memory lower
bound measured in the same run. Prints JSON.

    python -m benchmarks.bench_backends --backend embedded
    python -m benchmarks.bench_backends --backend neo4j --neo4j-url bolt://127.0.0.1:7687

Measures: load (ledger + derivation edges), 5-hop upstream lineage p50/p95, a 100-item
catalog page (bare store), Chinese search. Lower bounds: building the same dicts in memory, a
BFS over a dict adjacency, a slice of a sorted list, an in-memory bigram index.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from bisect import bisect_right
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog.generator import LedgerSize, generate_ledger
from catalog.ledger import Ledger
from catalog.mapping import to_props
from catalog.model import Dataset, Kind
from catalog.principal import SYSTEM_PRINCIPAL
from graph.port import ChangeSet, Direction, EdgeReplace, EdgeTarget, GraphStore, NodeQuery, NodeRef
from graph.sqlite_store import SqliteGraphStore
from graph.text import tokens

DERIVED_FROM = "DERIVED_FROM"
LOAD_CHUNK = 10_000  # one transaction each: a 1M-edge transaction exceeds a default Neo4j heap
WIPE = "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"


def pct(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 3),
    }


def timed(fn: Any, *args: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


def open_store(backend: str, args: argparse.Namespace, tmp: str) -> GraphStore:
    if backend == "embedded":
        return SqliteGraphStore(Path(tmp) / "graph.db")
    from neo4j import GraphDatabase

    from graph.neo4j_store import Neo4jGraphStore

    auth = ("neo4j", args.neo4j_password)
    with GraphDatabase.driver(args.neo4j_url, auth=auth) as driver, driver.session() as session:
        session.run(WIPE).consume()
    return Neo4jGraphStore(
        args.neo4j_url, user="neo4j", password=args.neo4j_password, timeout_s=600
    )


@dataclass(frozen=True)
class Workload:
    """The same questions for every backend."""

    starts: list[str]
    expected: list[set[str]]
    afters: list[str]
    queries: list[str]


def measure(
    store: GraphStore,
    entities: list[Any],
    derivations: list[tuple[str, str]],
    work: Workload,
    bfs_p95: float,
) -> dict[str, Any]:
    """Load the ledger into `store`, then ask it the workload's questions."""
    ledger = Ledger(store=store)
    started = time.perf_counter()
    for i in range(
        0, len(entities), LOAD_CHUNK
    ):  # references point backwards: chunks load in order
        ledger.load(principal=SYSTEM_PRINCIPAL, entities=entities[i : i + LOAD_CHUNK])
    load_s = time.perf_counter() - started
    by_derived: dict[str, list[EdgeTarget]] = {}
    for derived, source in derivations:
        by_derived.setdefault(derived, []).append(EdgeTarget(NodeRef("Dataset", source)))
    reps = [EdgeReplace(NodeRef("Dataset", d), DERIVED_FROM, t) for d, t in by_derived.items()]
    edges_s = 0.0
    for i in range(0, len(reps), 20_000):
        started = time.perf_counter()
        store.apply(changes=ChangeSet(edges=reps[i : i + 20_000]))
        edges_s += time.perf_counter() - started
    result: dict[str, Any] = {
        "load_resources_s": round(load_s, 2),
        "load_resources_per_s": round(len(entities) / load_s),
        "load_derivations_s": round(edges_s, 2),
    }
    lineage = []
    for start, want in zip(work.starts, work.expected, strict=True):
        started = time.perf_counter()
        walk = store.traverse(
            start=NodeRef("Dataset", start),
            types=[DERIVED_FROM],
            direction=Direction.OUT,
            depth=5,
            limit=100_000,
        )
        lineage.append(time.perf_counter() - started)
        assert {r.code for r in walk.nodes} - {start} == want, f"lineage of {start} != BFS"
    result["lineage_5hop_upstream"] = pct(lineage)
    result["lineage_ratio_p95_to_bfs"] = round(
        result["lineage_5hop_upstream"]["p95_ms"] / bfs_p95, 2
    )
    pages = []
    for after in work.afters:
        started = time.perf_counter()
        nodes = store.find_nodes(query=NodeQuery(Kind.DATASET.value), after=after, limit=100)
        store.get_nodes(refs=list({NodeRef(Kind.DEPARTMENT.value, n.owner or "") for n in nodes}))
        pages.append(time.perf_counter() - started)
    result["page_100_with_owners"] = pct(pages)
    searches = []
    for query in work.queries:
        started = time.perf_counter()
        store.search(text=query, labels=[], limit=20)
        searches.append(time.perf_counter() - started)
    result["search_top20"] = pct(searches)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["embedded", "neo4j", "both"], default="both")
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument(
        "--neo4j-url", default=os.environ.get("IRS_TEST_NEO4J_URL", "bolt://127.0.0.1:7687")
    )
    parser.add_argument(
        "--neo4j-password", default=os.environ.get("IRS_TEST_NEO4J_PASSWORD", "irs-dev-password")
    )
    args = parser.parse_args()
    rng = random.Random(11)
    size = (
        LedgerSize.benchmark() if args.resources == 100_000 else LedgerSize.scaled(args.resources)
    )
    generated = generate_ledger(seed=1, size=size)
    entities = generated.entities
    derivations = generated.derivations
    datasets = [e for e in entities if isinstance(e, Dataset)]
    report: dict[str, Any] = {
        "benchmark": "backends",
        "resources": len(entities),
        "derivation_edges": len(derivations),
    }

    # -- lower bounds, measured in this run ---------------------------------------------------
    def build_in_memory() -> dict[str, Any]:
        props = {e.code: to_props(e) for e in entities}
        adjacency: dict[str, list[str]] = {}
        for derived, source in derivations:
            adjacency.setdefault(derived, []).append(source)
        return {"props": props, "adjacency": adjacency}

    seconds, memory = timed(build_in_memory)
    adjacency: dict[str, list[str]] = memory["adjacency"]
    report["lower_bound"] = {"load_in_memory_s": round(seconds, 2)}
    starts = [rng.choice(datasets[len(datasets) // 2 :]).code for _ in range(args.samples)]

    def bfs(start: str) -> set[str]:
        seen = {start}
        frontier = deque([(start, 0)])
        while frontier:
            node, level = frontier.popleft()
            if level == 5:
                continue
            for nxt in adjacency.get(node, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append((nxt, level + 1))
        seen.discard(start)
        return seen

    bfs_samples, expected = [], []
    for start in starts:
        t, found = timed(bfs, start)
        bfs_samples.append(t)
        expected.append(found)
    report["lower_bound"]["lineage_5hop_bfs"] = {
        **pct(bfs_samples),
        "mean_nodes": round(statistics.mean(map(len, expected))),
    }
    ordered = sorted(d.code for d in datasets)
    afters = [rng.choice(ordered[:-100]) for _ in range(args.samples)]
    page_samples = []
    for after in afters:
        t0 = time.perf_counter()
        pos = bisect_right(ordered, after)
        [memory["props"][c] for c in ordered[pos : pos + 100]]
        page_samples.append(time.perf_counter() - t0)
    report["lower_bound"]["page_100"] = pct(page_samples)
    index: dict[str, set[str]] = {}
    for e in entities:
        for tok in tokens(e.name):
            index.setdefault(tok, set()).add(e.code)
    words = [
        n[i : i + rng.randint(2, 4)]
        for n in (e.name for e in rng.sample(entities, 200))
        for i in (0, 2)
    ]
    queries = [rng.choice(words) for _ in range(args.samples)]
    search_samples = []
    for q in queries:
        t0 = time.perf_counter()
        sets = [index.get(t, set()) for t in tokens(q)]
        set.intersection(*sets) if sets else set()
        search_samples.append(time.perf_counter() - t0)
    report["lower_bound"]["search_name_index"] = pct(search_samples)

    backends = ["embedded", "neo4j"] if args.backend == "both" else [args.backend]
    bfs_p95 = report["lower_bound"]["lineage_5hop_bfs"]["p95_ms"]
    for backend in backends:
        with tempfile.TemporaryDirectory() as tmp:
            store = open_store(backend, args, tmp)
            try:
                report[backend] = measure(
                    store,
                    generated.entities,
                    derivations,
                    Workload(starts, expected, afters, queries),
                    bfs_p95,
                )
            finally:
                store.close()
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
