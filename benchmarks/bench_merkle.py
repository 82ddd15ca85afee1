"""Audit-log core benchmark (access.audit): the write path per record, the append rate of the
Merkle tree, proof generation and verification against log size, signed checkpoints, and the
full verification of a log of 10^6 records — the pure core only, no database. Prints JSON.

Lower bounds measured in the same run: plain SHA-256 of the same canonical record bytes (what
any verifier must at least do), and, for tree building, one SHA-256 per interior node in a
bare list comprehension.

    python -m benchmarks.bench_merkle [--records 1000000] [--samples 1000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import resource
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from access.audit.checkpoint import Checkpoint, sign_checkpoint, verify_checkpoint
from access.audit.merkle import (
    MemoryNodeStore,
    MerkleTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_at,
    verify_consistency,
    verify_inclusion,
)
from access.audit.records import AuditDecision, AuditKind, AuditRecord, format_time, record_seq
from access.audit.verify import first_divergence

ORIGIN = "xiamen.gov.cn/irs/audit"
T0 = datetime(2025, 5, 1, tzinfo=UTC)
CHECKPOINT_EVERY = 10_000
T = TypeVar("T")


def sample_record(seq: int) -> AuditRecord:
    """A licensed-call record of realistic size (~580 bytes canonical)."""
    return AuditRecord(
        seq=seq,
        time=T0 + timedelta(milliseconds=seq),
        kind=AuditKind.LICENSED_CALL,
        actor=f"app-{seq % 97:04d}",
        resource=f"R-{seq % 5000:06d}",
        holder_blind_index=f"{seq:064x}",
        purpose="办理食品经营许可变更",
        matter="350200-000-XK-0001",
        decision=AuditDecision.ALLOW,
        reasons=("grant.valid", "consent.valid"),
        fields_released=("证照编号", "持证主体", "有效期"),
        response_digest=hashlib.sha256(seq.to_bytes(8, "big")).hexdigest(),
        request_id=f"req-{seq % 1000}",
        grant_id=f"g-{seq % 3000}",
        consent_id=f"c-{seq}",
    )


def make_rows(n: int, rng: random.Random) -> list[bytes]:
    """Canonical bytes of n records, built from a template (validating a million records one by
    one would only slow the setup); a sample is checked against `AuditRecord` itself."""
    template = sample_record(0).to_json()
    rows = []
    for seq in range(n):
        row = dict(template)
        row.update(
            seq=seq,
            time=format_time(T0 + timedelta(milliseconds=seq)),
            actor=f"app-{seq % 97:04d}",
            resource=f"R-{seq % 5000:06d}",
            holder_blind_index=f"{seq:064x}",
            response_digest=hashlib.sha256(seq.to_bytes(8, "big")).hexdigest(),
            request_id=f"req-{seq % 1000}",
            grant_id=f"g-{seq % 3000}",
            consent_id=f"c-{seq}",
        )
        # a compact copy: orjson's own result keeps a ~4 KiB buffer (see AuditRecord)
        rows.append(bytes(memoryview(orjson.dumps(row, option=orjson.OPT_SORT_KEYS))))
    for seq in rng.sample(range(n), min(n, 200)):
        assert rows[seq] == sample_record(seq).canonical_bytes()
    return rows


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def per_call_us(fn: Callable[[], object], repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    return round((time.perf_counter() - started) / repeat * 1e6, 2)


def write_path(samples: int) -> dict[str, Any]:
    """What auditing one call costs in the core: build + validate the record, canonicalize,
    hash, append to the tree (memory node store)."""
    records = [sample_record(i) for i in range(samples)]
    build_us = per_call_us(lambda: sample_record(123), samples)
    canonical = [r.canonical_bytes() for r in records]
    canon_us = per_call_us(lambda: records[7].canonical_bytes(), samples)
    hash_us = per_call_us(lambda: leaf_hash(canonical[7]), samples)
    tree = MerkleTree()
    hashes = [leaf_hash(c) for c in canonical]
    _, append_s = timed(lambda: [tree.append(h) for h in hashes])
    plain_us = per_call_us(lambda: hashlib.sha256(canonical[7]).digest(), samples)
    total = build_us + canon_us + hash_us + append_s / samples * 1e6
    return {
        "records": samples,
        "record_bytes": len(canonical[7]),
        "build_and_validate_us": build_us,
        "canonical_jcs_us": canon_us,
        "leaf_hash_us": hash_us,
        "tree_append_us": round(append_s / samples * 1e6, 2),
        "total_us": round(total, 2),
        "records_per_s_one_core": round(1e6 / total),
        "lower_bound_plain_sha256_us": plain_us,
    }


def append_rate(hashes: list[bytes]) -> dict[str, Any]:
    """MerkleTree.append one leaf at a time over the whole log, against a bulk rebuild and a
    bare list comprehension doing the same number of node hashes."""
    tree = MerkleTree()
    _, one_by_one = timed(lambda: [tree.append(h) for h in hashes])
    store, bulk = timed(lambda: MemoryNodeStore.from_leaf_hashes(hashes))
    assert tree.root() == root_at(store, size=len(hashes))

    def bare() -> None:
        level = hashes
        while len(level) > 1:
            it = iter(level)
            level = [hashlib.sha256(b"\x01" + a + b).digest() for a, b in zip(it, it)]  # noqa: B905

    _, lower = timed(bare)
    n = len(hashes)
    return {
        "leaves": n,
        "append_one_by_one_s": round(one_by_one, 2),
        "appends_per_s": round(n / one_by_one),
        "bulk_build_s": round(bulk, 2),
        "lower_bound_bare_node_hashes_s": round(lower, 2),
    }


def proofs(store: MemoryNodeStore, n: int, samples: int, rng: random.Random) -> list[Any]:
    """Proof generation / verification time and size at growing log sizes: sizes grow with
    log2(n), times with it too."""
    sizes = [10**k for k in range(1, 1 + int(math.log10(n))) if 10**k < n] + [n]
    return [proof_stats(store, size, samples, rng) for size in sizes]


def proof_stats(
    store: MemoryNodeStore, size: int, samples: int, rng: random.Random
) -> dict[str, Any]:
    clock = time.perf_counter
    root = root_at(store, size=size)
    leaves = store.level(0)
    gen, ver, lengths = [], [], []
    for _ in range(samples):
        index = rng.randrange(size)
        t0 = clock()
        proof = inclusion_proof(store, index=index, size=size)
        t1 = clock()
        verify_inclusion(leaf_hash=leaves[index], index=index, size=size, proof=proof, root=root)
        t2 = clock()
        gen.append(t1 - t0)
        ver.append(t2 - t1)
        lengths.append(len(proof))
    cgen, cver, clengths = [], [], []
    for _ in range(samples):
        old = rng.randrange(1, size)
        old_root = root_at(store, size=old)
        t0 = clock()
        proof = consistency_proof(store, old_size=old, new_size=size)
        t1 = clock()
        verify_consistency(
            old_size=old, new_size=size, old_root=old_root, new_root=root, proof=proof
        )
        t2 = clock()
        cgen.append(t1 - t0)
        cver.append(t2 - t1)
        clengths.append(len(proof))

    def summary(g: list[float], v: list[float], lens: list[int]) -> dict[str, Any]:
        return {
            "hashes_max": max(lens),
            "bytes_max": 32 * max(lens),
            "generate_us_median": round(statistics.median(g) * 1e6, 1),
            "verify_us_median": round(statistics.median(v) * 1e6, 1),
        }

    return {
        "log_size": size,
        "log2_size": round(math.log2(size), 1),
        "inclusion": summary(gen, ver, lengths),
        "consistency": summary(cgen, cver, clengths),
    }


def full_verification(
    rows: list[bytes], store: MemoryNodeStore, key: Ed25519PrivateKey
) -> dict[str, Any]:
    """`irs audit verify` minus the database read: hash every stored record, read its seq,
    check every signed checkpoint (signature, then root against the recomputed tree)."""
    n = len(rows)
    sizes = [*range(CHECKPOINT_EVERY, n, CHECKPOINT_EVERY), n]
    notes = [
        sign_checkpoint(
            Checkpoint(origin=ORIGIN, size=s, root=root_at(store, size=s), time=T0),
            private_key=key,
        )
        for s in sizes
    ]
    public = key.public_key()
    hashes, t_hash = timed(lambda: [leaf_hash(r) for r in rows])
    seqs, t_seq = timed(lambda: [record_seq(r) for r in rows])
    checkpoints, t_sig = timed(lambda: [verify_checkpoint(x, public, origin=ORIGIN) for x in notes])
    found, t_tree = timed(lambda: first_divergence(hashes, checkpoints, nodes=store, seqs=seqs))
    assert found is None
    _, lower = timed(lambda: [hashlib.sha256(r).digest() for r in rows])
    total = t_hash + t_seq + t_sig + t_tree

    tampered = list(rows)
    at = n // 2 + 123
    tampered[at] = sample_record(at).canonical_bytes().replace("变更".encode(), "注销".encode())
    t_hashes = [leaf_hash(r) for r in tampered]
    t_seqs = [record_seq(r) for r in tampered]
    located, t_locate = timed(
        lambda: first_divergence(t_hashes, checkpoints, nodes=store, seqs=t_seqs)
    )
    coarse, t_coarse = timed(lambda: first_divergence(t_hashes, checkpoints))
    assert located is not None
    assert (located.index, located.exact) == (at, True)
    assert coarse is not None
    assert coarse.index <= at < coarse.end
    return {
        "records": n,
        "checkpoints": len(notes),
        "leaf_hashes_s": round(t_hash, 2),
        "read_seqs_s": round(t_seq, 2),
        "checkpoint_signatures_s": round(t_sig, 3),
        "tree_and_roots_s": round(t_tree, 2),
        "total_s": round(total, 2),
        "target_s": 30,
        "lower_bound_plain_sha256_s": round(lower, 2),
        "ratio_to_lower_bound": round(total / lower, 1),
        "tampered_one_record": {
            "position": at,
            "located_with_node_table": {
                "index": located.index,
                "exact": located.exact,
                "kind": located.kind.value,
                "seconds": round(t_locate, 2),
            },
            "located_with_checkpoints_only": {
                "window": [coarse.index, coarse.end],
                "seconds": round(t_coarse, 2),
            },
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=1000)
    args = parser.parse_args()
    rng = random.Random(7)
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    report: dict[str, Any] = {"benchmark": "merkle", "records": args.records}

    report["write_path"] = write_path(20_000)
    rows, t = timed(lambda: make_rows(args.records, rng))
    report["generate_rows_s"] = round(t, 1)
    hashes = [leaf_hash(r) for r in rows]
    report["append"] = append_rate(hashes)
    store = MemoryNodeStore.from_leaf_hashes(hashes)
    del hashes

    checkpoint = Checkpoint(origin=ORIGIN, size=args.records, root=store.level(0)[0], time=T0)
    note = sign_checkpoint(checkpoint, private_key=key)
    report["checkpoint"] = {
        "sign_us": per_call_us(lambda: sign_checkpoint(checkpoint, private_key=key), 500),
        "verify_us": per_call_us(lambda: verify_checkpoint(note, key.public_key()), 500),
        "note_bytes": len(note.encode()),
    }
    report["proofs"] = proofs(store, args.records, args.samples, rng)
    report["full_verification"] = full_verification(rows, store, key)
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
