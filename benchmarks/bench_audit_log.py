"""Audit-log store benchmark (access.audit.log on SQLite): appending one record per
transaction and in batches of 32, proof generation and verification against log size, and the
full `verify()` of the stored log. Prints JSON.

Lower bounds measured in the same run, on the same database file and settings:

* appending: a bare DBAPI INSERT of the same leaf bytes into a one-column table, with the same
  commit per transaction (what any durable log must at least pay);
* proofs: the pure core on an in-memory node store (what the SQL read adds);
* verification: streaming the leaf column and SHA-256 of each leaf, nothing else — through
  SQLAlchemy (as verify once read) and on the driver's cursor (as it reads now; the tighter).

    python -m benchmarks.bench_audit_log [--records 100000] [--samples 200] [--url sqlite:///…]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from access.audit.log import AuditLog, open_audit_log
from access.audit.merkle import (
    MemoryNodeStore,
    inclusion_proof,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from access.records import migrate, records_engine
from tests.integration.audit_support import draft

BULK_BATCH = 5000
CREATE_BARE = text("CREATE TABLE IF NOT EXISTS bare_leaf (seq INTEGER PRIMARY KEY, leaf BLOB)")
INSERT_BARE = "INSERT INTO bare_leaf (seq, leaf) VALUES (?, ?)"
STREAM_LEAVES = text("SELECT leaf FROM audit_record ORDER BY seq")


def per_record(total_s: float, n: int) -> float:
    return round(total_s / n * 1e6, 1)


def append_rate(engine: Engine, log: AuditLog, n: int, batch: int) -> dict[str, Any]:
    """Wall time per record of append + commit, and CPU inside `append` alone."""
    drafts = [draft(i) for i in range(n)]
    wall = cpu = 0.0
    for at in range(0, n, batch):
        started = time.perf_counter()
        with Session(engine) as session:
            c0 = time.process_time()
            log.append(session, drafts[at : at + batch])
            cpu += time.process_time() - c0
            session.commit()
        wall += time.perf_counter() - started
    leaves = [d.at(i).canonical_bytes() for i, d in enumerate(drafts)]
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("DELETE FROM bare_leaf")
        raw.commit()
        started = time.perf_counter()
        for at in range(0, n, batch):
            cursor.executemany(INSERT_BARE, list(enumerate(leaves[at : at + batch], at)))
            raw.commit()
        bare = time.perf_counter() - started
    finally:
        raw.close()
    return {
        "records": n,
        "batch": batch,
        "append_cpu_us_per_record": per_record(cpu, n),
        "append_and_commit_wall_us_per_record": per_record(wall, n),
        "records_per_s": round(n / wall),
        "lower_bound_bare_insert_commit_us_per_record": per_record(bare, n),
        "ratio_to_lower_bound": round(wall / bare, 1),
    }


def fill(log: AuditLog, n: int) -> float:
    """Grow the log to n records in big group commits (the fast way to a large log)."""
    started = time.perf_counter()
    size = log.size()
    while size < n:
        log.append_now([draft(i) for i in range(size, min(n, size + BULK_BATCH))])
        size = log.size()
    return time.perf_counter() - started


def proofs(engine: Engine, log: AuditLog, n: int, samples: int) -> list[dict[str, Any]]:
    """Inclusion and consistency proofs from SQL at 10^3 … n, against the in-memory core."""
    rng = random.Random(7)
    with engine.connect() as connection:
        leaves = [leaf_hash(bytes(r)) for (r,) in connection.execute(STREAM_LEAVES)]
    memory = MemoryNodeStore.from_leaf_hashes(leaves)
    sizes = [10**k for k in range(3, 1 + int(math.log10(n))) if 10**k < n] + [n]
    out = []
    for size in sizes:
        root = log.root_at(size)
        gen, ver, mem, lengths = [], [], [], []
        for _ in range(samples):
            index = rng.randrange(size)
            t0 = time.perf_counter()
            proof = log.inclusion_proof(index, size)
            t1 = time.perf_counter()
            leaf = leaves[index]
            verify_inclusion(leaf_hash=leaf, index=index, size=size, proof=proof, root=root)
            t2 = time.perf_counter()
            inclusion_proof(memory, index=index, size=size)
            t3 = time.perf_counter()
            gen.append(t1 - t0)
            ver.append(t2 - t1)
            mem.append(t3 - t2)
            lengths.append(len(proof))
        cgen, cver, clengths = [], [], []
        for _ in range(samples):
            old = rng.randrange(1, size)
            old_root = log.root_at(old)
            t0 = time.perf_counter()
            proof = log.consistency_proof(old, size)
            t1 = time.perf_counter()
            verify_consistency(
                old_size=old, new_size=size, old_root=old_root, new_root=root, proof=proof
            )
            cgen.append(t1 - t0)
            cver.append(time.perf_counter() - t1)
            clengths.append(len(proof))
        out.append(
            {
                "log_size": size,
                "inclusion": summary(gen, ver, lengths) | {"lower_bound_memory_us": us(mem)},
                "consistency": summary(cgen, cver, clengths),
            }
        )
    return out


def us(values: Sequence[float]) -> float:
    return round(statistics.median(values) * 1e6, 1)


def summary(gen: list[float], ver: list[float], lengths: list[int]) -> dict[str, Any]:
    return {
        "hashes_max": max(lengths),
        "bytes_max": 32 * max(lengths),
        "generate_us_median": us(gen),
        "verify_us_median": us(ver),
    }


def full_verify(engine: Engine, log: AuditLog) -> dict[str, Any]:
    """`verify()` of the whole stored log against streaming + hashing the leaves."""
    log.checkpoint()
    report, seconds = timed(log.verify)
    assert report.ok, report.to_json()

    def bare() -> int:
        with engine.connect() as connection:
            rows = connection.execution_options(stream_results=True, yield_per=10_000)
            return sum(1 for (r,) in rows.execute(STREAM_LEAVES) if hashlib.sha256(r).digest())

    def bare_driver() -> int:
        with engine.connect() as connection:
            dbapi = connection.connection.dbapi_connection
            assert dbapi is not None
            postgres = engine.dialect.name == "postgresql"
            cursor = dbapi.cursor("bare_leaves") if postgres else dbapi.cursor()
            cursor.execute(str(STREAM_LEAVES))
            count = 0
            while rows := cursor.fetchmany(10_000):
                count += sum(1 for (r,) in rows if hashlib.sha256(b"\x00" + r).digest())
            cursor.close()
            return count

    _, lower = timed(bare)
    _, lower_driver = timed(bare_driver)
    return {
        "records": report.records,
        "verify_s": round(seconds, 2),
        "target_s": 30,
        "lower_bound_stream_and_sha256_s": round(lower, 2),
        "ratio_to_lower_bound": round(seconds / lower, 1),
        "lower_bound_driver_stream_and_sha256_s": round(lower_driver, 2),
        "ratio_to_driver_lower_bound": round(seconds / lower_driver, 1),
    }


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--url", default="", help="records URL (default: a temporary SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.url or f"sqlite:///{Path(scratch) / 'records.db'}"
        engine = records_engine(url)
        migrate(engine)
        with engine.begin() as connection:
            connection.execute(CREATE_BARE)
        log = open_audit_log(engine, Path(scratch) / "keys")
        report: dict[str, Any] = {"benchmark": "audit_log", "backend": engine.dialect.name}
        report["append_single"] = append_rate(engine, log, args.appends, 1)
        report["append_batch_32"] = append_rate(engine, log, args.appends * 4, 32)
        report["fill_s"] = round(fill(log, args.records), 1)
        report["proofs"] = proofs(engine, log, args.records, args.samples)
        report["full_verification"] = full_verify(engine, log)
        engine.dispose()
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
