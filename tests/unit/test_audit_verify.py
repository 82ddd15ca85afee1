"""The standalone verifier and `first_divergence` (access.audit.verify): proofs checked with only
a checkpoint and the public key, and every kind of tampering with the stored records found —
exactly when the node table is intact, within the signed window when it is not."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access.audit.checkpoint import Checkpoint, sign_checkpoint, verify_checkpoint
from access.audit.errors import (
    CheckpointSignatureError,
    InvalidAuditRecord,
    InvalidCheckpoint,
    InvalidProof,
)
from access.audit.merkle import MemoryNodeStore, MerkleTree, NodeId, NodeReader, leaf_hash
from access.audit.records import AuditDecision, AuditKind, AuditRecord, record_seq
from access.audit.verify import (
    Divergence,
    DivergenceKind,
    first_divergence,
    verify_extension,
    verify_record,
)

DETERMINISTIC = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow],
)
ORIGIN = "xiamen.gov.cn/irs/audit"
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUBLIC = KEY.public_key()
T0 = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)


def record(seq: int, *, purpose: str = "办理食品经营许可") -> bytes:
    return AuditRecord(
        seq=seq,
        time=T0 + timedelta(seconds=seq),
        kind=AuditKind.LICENSED_CALL,
        actor=f"app-{seq % 7:04d}",
        resource=f"R-{seq % 13:06d}",
        holder_blind_index=f"{seq:064x}",
        purpose=purpose,
        matter="350200-000-XK-0001",
        decision=AuditDecision.ALLOW if seq % 5 else AuditDecision.DENY,
        reasons=() if seq % 5 else ("grant.expired",),
        fields_released=("证照编号",) if seq % 5 else (),
    ).canonical_bytes()


@dataclass
class Log:
    """An honest log as the server would keep it: record rows, node table, signed checkpoints."""

    rows: list[bytes]
    nodes: MemoryNodeStore
    notes: list[str]

    @property
    def checkpoints(self) -> list[Checkpoint]:
        return [verify_checkpoint(n, PUBLIC, origin=ORIGIN) for n in self.notes]


def honest_log(n: int, checkpoint_sizes: Sequence[int]) -> Log:
    rows = [record(i) for i in range(n)]
    tree = MerkleTree()
    notes = []
    for size in sorted(set(checkpoint_sizes)):
        tree.extend(leaf_hash(r) for r in rows[tree.size : size])
        head = Checkpoint(origin=ORIGIN, size=size, root=tree.root(), time=T0)
        notes.append(sign_checkpoint(head, private_key=KEY))
    tree.extend(leaf_hash(r) for r in rows[tree.size :])
    assert isinstance(tree.store, MemoryNodeStore)
    return Log(rows=rows, nodes=tree.store, notes=notes)


def scan(rows: Sequence[bytes]) -> tuple[list[bytes], list[int]]:
    """What `irs audit verify` reads from the store: leaf hashes and each record's own seq."""
    return [leaf_hash(r) for r in rows], [record_seq(r) for r in rows]


# ---- the standalone verifier ------------------------------------------------------------------------


def test_a_record_is_proven_with_only_the_checkpoint_and_the_public_key() -> None:
    log = honest_log(100, [64, 100])
    tree = MerkleTree(log.nodes, size=100)
    for seq in (0, 37, 63):
        proof = tree.inclusion_proof(seq, 64)
        verified = verify_record(
            checkpoint=log.notes[0], public_key=PUBLIC, record=log.rows[seq], proof=proof
        )
        assert verified.record.seq == seq and verified.checkpoint.size == 64


def test_a_tampered_record_or_proof_is_refused_with_a_typed_error() -> None:
    log = honest_log(100, [100])
    tree = MerkleTree(log.nodes, size=100)
    proof = tree.inclusion_proof(10)
    note, row = log.notes[0], log.rows[10]
    with pytest.raises(InvalidProof):  # same seq, other content
        verify_record(
            checkpoint=note, public_key=PUBLIC, record=record(10, purpose="x"), proof=proof
        )
    with pytest.raises(InvalidProof):  # a real record with another record's proof
        verify_record(checkpoint=note, public_key=PUBLIC, record=log.rows[11], proof=proof)
    with pytest.raises(InvalidProof):
        verify_record(checkpoint=note, public_key=PUBLIC, record=row, proof=proof[:-1])
    with pytest.raises(InvalidProof, match="not in a checkpoint"):
        verify_record(checkpoint=note, public_key=PUBLIC, record=record(100), proof=proof)
    with pytest.raises(InvalidAuditRecord):  # bytes that are not a canonical record
        verify_record(checkpoint=note, public_key=PUBLIC, record=row + b" ", proof=proof)
    other = Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key()
    with pytest.raises(CheckpointSignatureError):
        verify_record(checkpoint=note, public_key=other, record=row, proof=proof)
    forged = note.replace("\n100\n", "\n99\n")
    with pytest.raises(CheckpointSignatureError):
        verify_record(checkpoint=forged, public_key=PUBLIC, record=row, proof=proof)
    with pytest.raises(InvalidCheckpoint):
        verify_record(checkpoint="junk", public_key=PUBLIC, record=row, proof=proof)


def test_a_newer_checkpoint_is_proven_to_extend_an_older_one() -> None:
    log = honest_log(300, [1, 77, 128, 300])
    tree = MerkleTree(log.nodes, size=300)
    for old, new in [(0, 1), (1, 2), (1, 3), (2, 3), (0, 3)]:
        a, b = log.notes[old] if old else log.notes[0], log.notes[new]
        sizes = (log.checkpoints[old].size, log.checkpoints[new].size)
        proof = tree.consistency_proof(*sizes)
        first, second = verify_extension(old=a, new=b, public_key=PUBLIC, proof=proof)
        assert (first.size, second.size) == sizes
    with pytest.raises(InvalidProof):  # backwards
        verify_extension(old=log.notes[2], new=log.notes[1], public_key=PUBLIC, proof=[])


def test_a_rewritten_history_is_caught_by_consistency() -> None:
    log = honest_log(100, [50])
    rows = list(log.rows)
    rows[20] = record(20, purpose="改写")
    forged = MerkleTree()
    forged.extend(leaf_hash(r) for r in rows)
    note = sign_checkpoint(  # the log key signs a fork: consistency proves the split
        Checkpoint(origin=ORIGIN, size=100, root=forged.root(), time=T0), private_key=KEY
    )
    with pytest.raises(InvalidProof):
        verify_extension(
            old=log.notes[0], new=note, public_key=PUBLIC, proof=forged.consistency_proof(50)
        )


def test_checkpoints_of_two_logs_do_not_prove_anything() -> None:
    log = honest_log(10, [5, 10])
    cp = log.checkpoints[1]
    elsewhere = sign_checkpoint(replace(cp, origin="other.example/log"), private_key=KEY)
    with pytest.raises(InvalidCheckpoint):
        verify_extension(old=log.notes[0], new=elsewhere, public_key=PUBLIC, proof=[])


# ---- first_divergence -------------------------------------------------------------------------------


def modify(rows: list[bytes], i: int) -> list[bytes]:
    return [*rows[:i], record(i, purpose="被篡改"), *rows[i + 1 :]]


def delete(rows: list[bytes], i: int) -> list[bytes]:
    return [*rows[:i], *rows[i + 1 :]]


def insert(rows: list[bytes], i: int) -> list[bytes]:
    return [*rows[:i], record(i, purpose="伪造"), *rows[i:]]


def swap_with_last(rows: list[bytes], i: int) -> list[bytes]:
    out = list(rows)
    out[i], out[-1] = out[-1], out[i]
    return out


def swap_with_next(rows: list[bytes], i: int) -> list[bytes]:
    out = list(rows)
    out[i], out[i + 1] = out[i + 1], out[i]
    return out


def truncate(rows: list[bytes], i: int) -> list[bytes]:
    return rows[:i]


TAMPERINGS: dict[str, tuple[Callable[[list[bytes], int], list[bytes]], DivergenceKind]] = {
    "modify": (modify, DivergenceKind.MODIFIED),
    "delete": (delete, DivergenceKind.DELETED),
    "insert": (insert, DivergenceKind.INSERTED),
    "swap_with_last": (swap_with_last, DivergenceKind.REORDERED),
    "swap_with_next": (swap_with_next, DivergenceKind.REORDERED),
    "truncate": (truncate, DivergenceKind.TRUNCATED),
}


def test_an_honest_log_has_no_divergence() -> None:
    log = honest_log(1000, [0, 1, 2, 500, 511, 512, 999, 1000])
    hashes, seqs = scan(log.rows)
    assert first_divergence(hashes, log.checkpoints, nodes=log.nodes, seqs=seqs) is None
    assert first_divergence(hashes, []) is None
    # records after the last checkpoint are not yet committed to: nothing to contradict
    assert first_divergence([*hashes[:-1], leaf_hash(b"late")], log.checkpoints[:-1]) is None


@pytest.mark.parametrize("name", TAMPERINGS)
@pytest.mark.parametrize("at", [0, 1, 255, 256, 700, 998])
def test_each_tampering_is_pinpointed_with_the_node_table(name: str, at: int) -> None:
    log = honest_log(1000, [256, 600, 1000])
    tamper, kind = TAMPERINGS[name]
    hashes, seqs = scan(tamper(log.rows, at))
    found = first_divergence(hashes, log.checkpoints, nodes=log.nodes, seqs=seqs)
    assert found is not None
    assert (found.index, found.exact, found.kind) == (at, True, kind)
    assert found.checkpoint.size == min(s for s in (256, 600, 1000) if s > at)
    assert found.intact_size == max((s for s in (0, 256, 600) if s <= at), default=0)


@pytest.mark.parametrize("name", ["delete", "insert", "swap_with_last", "swap_with_next"])
def test_seqs_alone_pinpoint_deletion_insertion_and_reordering(name: str) -> None:
    log = honest_log(1000, [256, 600, 1000])
    tamper, kind = TAMPERINGS[name]
    at = 256  # the first record after an intact checkpoint: the window starts here
    hashes, seqs = scan(tamper(log.rows, at))
    found = first_divergence(hashes, log.checkpoints, seqs=seqs)
    # a forged record claiming seq 256 pushes the real one to 257: one of those two is new
    end = 258 if name == "insert" else 257
    assert found is not None and (found.index, found.end, found.kind) == (256, end, kind)


def test_without_extra_evidence_the_signed_window_bounds_the_change() -> None:
    log = honest_log(1000, [256, 600, 1000])
    hashes, _ = scan(modify(log.rows, 300))
    found = first_divergence(hashes, log.checkpoints)
    assert found == Divergence(
        index=256,
        end=600,
        kind=DivergenceKind.UNKNOWN,
        checkpoint=log.checkpoints[1],
        intact_size=256,
    )
    # a seq break narrows the window from above: the change is at or before it
    hashes, seqs = scan(delete(log.rows, 300))
    found = first_divergence(hashes, log.checkpoints, seqs=seqs)
    assert found is not None and (found.index, found.end) == (256, 301)
    assert found.kind == DivergenceKind.DELETED
    # truncation: the first missing record bounds it
    hashes, seqs = scan(truncate(log.rows, 800))
    found = first_divergence(hashes, log.checkpoints, seqs=seqs)
    assert found is not None and (found.index, found.end) == (600, 801)
    assert found.kind == DivergenceKind.TRUNCATED


class OverlayNodes:
    """The stored node table with some rows rewritten by the tamperer."""

    def __init__(self, base: NodeReader, forged: dict[NodeId, bytes]) -> None:
        self.base, self.forged = base, forged

    def node_hashes(self, *, nodes: Sequence[NodeId]) -> list[bytes]:
        real = list(self.base.node_hashes(nodes=nodes))
        return [self.forged.get(n, h) for n, h in zip(nodes, real, strict=True)]


def test_a_rewritten_node_table_only_widens_the_answer() -> None:
    log = honest_log(1000, [256, 600, 1000])
    rows = modify(log.rows, 300)
    hashes, seqs = scan(rows)
    # the tamperer also fixed the record's own leaf hash in the node table
    partial = OverlayNodes(log.nodes, {NodeId(0, 300): leaf_hash(rows[300])})
    found = first_divergence(hashes, log.checkpoints, nodes=partial)
    assert found is not None and (found.index, found.end) == (300, 302)
    # ... or recomputed the whole node table from the forged records
    rebuilt = MemoryNodeStore.from_leaf_hashes(hashes)
    found = first_divergence(hashes, log.checkpoints, nodes=rebuilt, seqs=seqs)
    assert found is not None and (found.index, found.end) == (256, 600)
    # either way the forgery is caught: the signed root does not match
    assert found.checkpoint == log.checkpoints[1]


@DETERMINISTIC
@given(st.data())
def test_any_tampering_before_a_checkpoint_is_found_at_its_exact_position(draw: st.DataObject):
    n = draw.draw(st.integers(min_value=2, max_value=200), label="records")
    sizes = draw.draw(st.lists(st.integers(1, n), min_size=1, max_size=5), label="checkpoints")
    log = honest_log(n, sizes)
    name = draw.draw(st.sampled_from(sorted(TAMPERINGS)), label="tampering")
    tamper, kind = TAMPERINGS[name]
    last = max(sizes)
    at = draw.draw(st.integers(0, last - 1), label="position")
    if name == "swap_with_next" and at + 1 >= n:
        return
    if name == "swap_with_last" and at == n - 1:
        return
    if name == "delete" and at == n - 1:
        kind = DivergenceKind.TRUNCATED  # deleting the last record is a truncation
    hashes, seqs = scan(tamper(log.rows, at))
    found = first_divergence(hashes, log.checkpoints, nodes=log.nodes, seqs=seqs)
    assert found is not None
    assert (found.index, found.end, found.kind) == (at, at + 1, kind)
    # without the node table: still caught, and the window holds the position
    coarse = first_divergence(hashes, log.checkpoints)
    assert coarse is not None and coarse.index <= at < coarse.end
    assert coarse.intact_size <= at and coarse.checkpoint == found.checkpoint


def test_checkpoints_of_several_logs_are_refused() -> None:
    log = honest_log(10, [5])
    cp = log.checkpoints[0]
    with pytest.raises(InvalidCheckpoint):
        first_divergence(scan(log.rows)[0], [cp, replace(cp, origin="other.example/log")])
