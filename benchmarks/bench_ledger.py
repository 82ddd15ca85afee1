"""Ledger benchmark: bulk load, a 100-item `datasets` page (bare store, in-process GraphQL,
HTTP) and Chinese search, on a generated 100k-resource ledger. Prints JSON.

`load` is the plain `Ledger.load` into the embedded store; `load_audited` loads the same ledger
into a second, empty store through the services' `AuditedLedger` (each entity also gets an
audit record), so the cost of auditing a bulk load shows beside it (`--skip-audited` omits it).
`--load-only` stops after the loads. Each load also reports the load average before it.

The lower bound is measured in the same run: the bare store query that fetches the same data
as the GraphQL page (the page of datasets with their fields, and their owners' names), taken
alternately with the in-process page for each sample, so both meet the same machine.

    python -m benchmarks.bench_ledger [--resources 100000] [--samples 200]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import json
import os
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from api.app import create_app
from api.graphql.context import Context
from api.graphql.loaders import Loaders
from api.graphql.schema import build_schema
from api.runtime import settle_heap_for_serving
from api.services import build_services
from api.settings import Settings
from catalog.generator import LedgerSize, generate_ledger
from catalog.ledger import Ledger, ListFilter
from catalog.model import Kind
from catalog.principal import SYSTEM_PRINCIPAL, Principal, Role
from graph.port import NodeQuery, NodeRef

PAGE = """query($after: String) { datasets(first: 100, after: $after) { edges { node {
  code name sharingType department { name } fields { name dataType sensitive } } } } }"""


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--skip-audited", action="store_true")
    parser.add_argument(
        "--load-only", action="store_true", help="measure the loads, skip pages and search"
    )
    args = parser.parse_args()
    rng = random.Random(7)
    report: dict[str, Any] = {"benchmark": "ledger", "resources_target": args.resources}

    size = (
        LedgerSize.benchmark() if args.resources == 100_000 else LedgerSize.scaled(args.resources)
    )
    started = time.perf_counter()
    generated = generate_ledger(seed=1, size=size)
    report["generate_s"] = round(time.perf_counter() - started, 2)

    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_audited:
            audited = build_services(Settings(data_dir=Path(tmp) / "audited"))
            load_average = os.getloadavg()[0]
            started = time.perf_counter()
            loaded = audited.ledger.load(principal=SYSTEM_PRINCIPAL, entities=generated.entities)
            elapsed = time.perf_counter() - started
            audited.close()
            report["load_audited"] = {
                "resources": loaded,
                "seconds": round(elapsed, 2),
                "resources_per_s": round(loaded / elapsed),
                "load_average_before": load_average,
            }
        services = build_services(Settings(data_dir=Path(tmp) / "plain"))
        load_average = os.getloadavg()[0]
        started = time.perf_counter()
        loaded = Ledger(store=services.store).load(
            principal=SYSTEM_PRINCIPAL, entities=generated.entities
        )
        elapsed = time.perf_counter() - started
        report["load"] = {
            "resources": loaded,
            "seconds": round(elapsed, 2),
            "resources_per_s": round(loaded / elapsed),
            "target_per_s": 5000,
            "load_average_before": load_average,
        }
        if "load_audited" in report:
            report["load_audited"]["seconds_over_plain"] = round(
                report["load_audited"]["seconds"] - elapsed, 2
            )
        if args.load_only:
            services.close()
            print(json.dumps(report, ensure_ascii=False, indent=2))
            return

        # as `irs serve` does once started: the long-lived heap (and here the generated ledger,
        # which a server does not hold) is kept out of the collector's full passes
        del generated
        gc.collect()
        settle_heap_for_serving()  # the bare store query and the pages run under it alike

        codes = [
            n.ref.code
            for n in services.store.find_nodes(
                query=NodeQuery(Kind.DATASET.value), after=None, limit=10**9
            )
        ]
        afters = [rng.choice(codes[:-100]) for _ in range(args.samples)]

        def bare(after: str) -> int:
            nodes = services.store.find_nodes(
                query=NodeQuery(Kind.DATASET.value), after=after, limit=100
            )
            owners = services.store.get_nodes(
                refs=list({NodeRef(Kind.DEPARTMENT.value, n.owner or "") for n in nodes})
            )
            return sum(len(n.props["fields"]) for n in nodes) + len(owners)

        schema = build_schema()
        app = create_app(services)
        # `irs serve` freezes the heap once its app (and the app's schema) is built; so does
        # this, or the collector's full passes walk the schema during the pages (~15 ms each)
        settle_heap_for_serving()
        admin = Principal(client_id="bench", name="bench", role=Role.ADMIN)

        async def in_process() -> tuple[list[float], list[float]]:
            """The bare query and the page, alternately: both meet the same machine (its load
            drifts; measured in separate phases, a drift between the phases moved the ratio by
            more than the difference it measures). Both read the same sampled pages."""
            bare_samples, out = [], []
            half = len(afters) // 2  # each sample's page is another page than its bare query,
            for i, bare_after in enumerate(afters):  # so neither warms the other's rows
                t = time.perf_counter()
                bare(bare_after)
                bare_samples.append(time.perf_counter() - t)
                after = afters[(i + half) % len(afters)]
                context = Context(
                    principal=admin,
                    ledger=services.ledger,
                    loaders=Loaders(ledger=services.ledger, store=services.store),
                    sharing=services.sharing,
                    lineage=services.lineage,
                    once_only=services.once_only,
                    elicenses=services.elicenses,
                    consents=services.consents,
                    calls=services.calls,
                    status=services.status,
                    trust=services.trust,
                    audit=services.audit,
                )
                t = time.perf_counter()
                result = await schema.execute(
                    PAGE, variable_values={"after": _cursor(after)}, context_value=context
                )
                out.append(time.perf_counter() - t)
                assert result.errors is None, result.errors
            return bare_samples, out

        bare_samples, page_samples = asyncio.run(in_process())
        report["page_bare_store"] = percentiles(bare_samples)
        report["page_graphql_in_process"] = percentiles(page_samples)

        token = services.clients.create(name="bench", role=Role.ADMIN).token
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                host="127.0.0.1",
                port=args.port,
                log_level="warning",
                lifespan="off",
            )
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        http_samples = []
        with httpx.Client(
            base_url=f"http://127.0.0.1:{args.port}", headers={"Authorization": f"Bearer {token}"}
        ) as client:
            for after in afters:
                t = time.perf_counter()
                r = client.post(
                    "/graphql", json={"query": PAGE, "variables": {"after": _cursor(after)}}
                )
                http_samples.append(time.perf_counter() - t)
                assert r.status_code == 200
                assert "errors" not in r.json()
        server.should_exit = True
        thread.join(timeout=10)
        report["page_graphql_http"] = percentiles(http_samples)
        bare_p95 = report["page_bare_store"]["p95_ms"]
        report["page_ratio_to_bare"] = {
            "in_process_p95": round(report["page_graphql_in_process"]["p95_ms"] / bare_p95, 2),
            "http_p95": round(report["page_graphql_http"]["p95_ms"] / bare_p95, 2),
            "target": 3.0,
        }

        names = [
            s.entity.name
            for s in services.ledger.page(
                kind=Kind.DATASET, filter=ListFilter(), after=None, first=100
            ).items
        ]
        words = [n[i : i + rng.randint(2, 4)] for n in names for i in (0, 2)]
        search_samples = []
        hits = 0
        for _ in range(args.samples):
            word = rng.choice(words)
            t = time.perf_counter()
            hits += len(services.ledger.search(text=word, kinds=[], first=20))
            search_samples.append(time.perf_counter() - t)
        report["search"] = {
            **percentiles(search_samples),
            "mean_hits": round(hits / args.samples, 1),
        }
        services.close()
    print(json.dumps(report, ensure_ascii=False, indent=2))


def _cursor(code: str) -> str:
    return base64.urlsafe_b64encode(code.encode()).decode()


if __name__ == "__main__":
    main()
