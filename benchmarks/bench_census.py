"""Census benchmark: import rows/s of a generated census (.xlsx and .csv), and DCAT-AP export
time of the generated 100k-resource ledger. Prints JSON.

The lower bound, measured in the same run, is `Ledger.load` of the same entities without any
spreadsheet (what validating and writing costs by itself); for DCAT it is reading the open
datasets out of the ledger.

    python -m benchmarks.bench_census [--rows 100000] [--resources 100000] [--skip-dcat]
"""

from __future__ import annotations

import argparse
import gc
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from catalog.census.importer import import_files
from catalog.census.writer import entity_rows, export_csv, export_workbook
from catalog.dcat import open_catalog, serialize, to_dcat
from catalog.generator import LedgerSize, generate_ledger
from catalog.ledger import Ledger
from catalog.model import Entity
from catalog.principal import SYSTEM_PRINCIPAL
from graph.sqlite_store import SqliteGraphStore

TARGET_ROWS_PER_S = 2000


def census_entities(rows: int) -> tuple[list[Entity], int]:
    """Generated entities whose census has about `rows` spreadsheet rows, and that count."""
    resources = max(20, rows // 9)
    for _ in range(3):
        entities = generate_ledger(seed=3, size=LedgerSize.scaled(resources)).entities
        count = sum(len(r) for r in entity_rows(entities).values())
        if abs(count - rows) <= rows * 0.03:
            break
        resources = max(20, round(resources * rows / count))
    return entities, count


def timed_import(files: list[Path], store_path: Path, rows: int) -> dict[str, Any]:
    ledger = Ledger(store=SqliteGraphStore(store_path))
    gc.collect()
    started = time.perf_counter()
    report = import_files(files, ledger=ledger, principal=SYSTEM_PRINCIPAL)
    elapsed = time.perf_counter() - started
    assert report.ok, [p.line() for p in report.problems[:3]]
    assert report.written
    started = time.perf_counter()
    again = import_files(files, ledger=ledger, principal=SYSTEM_PRINCIPAL)
    again_s = time.perf_counter() - started
    assert not again.written
    return {
        "rows": rows,
        "resources": report.entities,
        "seconds": round(elapsed, 2),
        "rows_per_s": round(rows / elapsed),
        "target_rows_per_s": TARGET_ROWS_PER_S,
        "reimport_unchanged_s": round(again_s, 2),
        "duplicate_systems_flagged": len(report.duplicates),
    }


def bench_import(rows_wanted: int, tmp: Path) -> dict[str, Any]:
    started = time.perf_counter()
    entities, rows = census_entities(rows_wanted)
    out: dict[str, Any] = {"generate_s": round(time.perf_counter() - started, 2), "rows": rows}
    started = time.perf_counter()
    export_workbook(entities, tmp / "census.xlsx")
    out["export_xlsx_s"] = round(time.perf_counter() - started, 2)
    csv_files = export_csv(entities, tmp / "csv")
    out["xlsx"] = timed_import([tmp / "census.xlsx"], tmp / "x.db", rows)
    out["csv"] = timed_import(csv_files, tmp / "c.db", rows)
    ledger = Ledger(store=SqliteGraphStore(tmp / "bare.db"))
    started = time.perf_counter()
    ledger.load(principal=SYSTEM_PRINCIPAL, entities=entities)
    bare = time.perf_counter() - started
    out["lower_bound_ledger_load"] = {"seconds": round(bare, 2), "rows_per_s": round(rows / bare)}
    return out


def bench_dcat(resources: int, tmp: Path) -> dict[str, Any]:
    size = LedgerSize.benchmark() if resources == 100_000 else LedgerSize.scaled(resources)
    entities = generate_ledger(seed=1, size=size).entities
    ledger = Ledger(store=SqliteGraphStore(tmp / "dcat.db"))
    started = time.perf_counter()
    ledger.load(principal=SYSTEM_PRINCIPAL, entities=entities)
    out: dict[str, Any] = {
        "resources": len(entities),
        "load_s": round(time.perf_counter() - started, 2),
    }
    del entities
    started = time.perf_counter()
    datasets, departments = open_catalog(ledger)
    read = time.perf_counter() - started
    started = time.perf_counter()
    graph = to_dcat(datasets, departments)
    build = time.perf_counter() - started
    started = time.perf_counter()
    turtle = serialize(graph, "turtle")
    turtle_s = time.perf_counter() - started
    started = time.perf_counter()
    jsonld = serialize(graph, "json-ld")
    jsonld_s = time.perf_counter() - started
    out.update(
        published_datasets=len(datasets),
        triples=len(graph),
        lower_bound_read_open_datasets_s=round(read, 2),
        build_graph_s=round(build, 2),
        turtle_s=round(turtle_s, 2),
        turtle_mb=round(len(turtle.encode()) / 1e6, 1),
        jsonld_s=round(jsonld_s, 2),
        jsonld_mb=round(len(jsonld.encode()) / 1e6, 1),
        export_turtle_total_s=round(read + build + turtle_s, 2),
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--skip-dcat", action="store_true")
    args = parser.parse_args()
    report: dict[str, Any] = {"benchmark": "census"}
    with tempfile.TemporaryDirectory() as tmp:
        report["import"] = bench_import(args.rows, Path(tmp))
    if not args.skip_dcat:
        with tempfile.TemporaryDirectory() as tmp:
            report["dcat"] = bench_dcat(args.resources, Path(tmp))
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
