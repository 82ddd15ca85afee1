"""Checking the audit log without trusting the server or its database.

Two uses:

* **Standalone proofs** (`verify_record`, `verify_extension`): a holder or auditor with a signed
  checkpoint, the log's public key, a record's canonical bytes and a proof — nothing else —
  learns whether the record is in the log, or whether a newer checkpoint extends an older one.
* **Full verification** (`first_divergence`): `irs audit verify` recomputes the tree from the
  records in the store and checks it against every signed checkpoint; on failure it says where
  the first tampered record is.

What can be located, and how sure it is (the trust boundary is the signing key: the database,
its node table and its records may all be forged; only signed checkpoints are evidence):

1. *Checkpoints only.* Each checkpoint commits to a prefix. Roots are recomputed at every
   checkpoint size; the first checkpoint that fails bounds the first tampered record to
   [size of the last checkpoint that holds, size of the first that fails). That window is
   certain, and no finer bound exists from roots alone — hence checkpoints should be frequent.
2. *Plus the stored node table* (`nodes`). Complete-subtree hashes are written when records are
   appended and never change. Starting from the failing checkpoint's signed root, a stored pair
   of children is trusted only if it hashes to its already-trusted parent; the walk goes down to
   whichever child the recomputed tree disagrees with. If a tamperer left the node table alone
   (or rewrote only part of it) this reaches the exact first record, with certainty — and the
   trusted original leaf hashes around it tell a deletion from an insertion, a move or an edit.
3. *Plus the records' own `seq`* (`seqs`: the leaf index written inside each record). A record
   at position p whose seq is not p is out of place, so the first tampered record is at or
   before p. That narrows the window, and is exact when it meets the window's start; it
   catches deletions, insertions and reorderings done without renumbering.

A tamperer who rewrites records, renumbers seqs and recomputes the node table is still caught
(the signed root fails) but only located to the checkpoint window: no unsigned data can do
better. That is why records are not hash-chained: a chain is unsigned data too, and adds
nothing the node table does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from access.audit.checkpoint import Checkpoint, verify_checkpoint
from access.audit.errors import AuditError, InvalidCheckpoint, InvalidProof
from access.audit.merkle import (
    MemoryNodeStore,
    NodeId,
    NodeReader,
    fold_right,
    inclusion_proof,
    leaf_hash,
    node_hash,
    range_nodes,
    root_at,
    split_point,
    verify_consistency,
    verify_inclusion,
)
from access.audit.records import AuditRecord

# ---- standalone proofs --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerifiedRecord:
    """A record proven to be leaf `record.seq` of the tree signed in `checkpoint`."""

    record: AuditRecord
    checkpoint: Checkpoint


def verify_record(
    *,
    checkpoint: str | bytes,
    public_key: Ed25519PublicKey,
    record: bytes,
    proof: Sequence[bytes],
    origin: str | None = None,
) -> VerifiedRecord:
    """Check that `record` (its canonical bytes) is in the log at the signed `checkpoint`.

    The leaf index is the record's own `seq`, so a proof for another position cannot vouch for
    it. Raises `CheckpointSignatureError`, `InvalidCheckpoint`, `InvalidAuditRecord` (bytes not
    a canonical record) or `InvalidProof`."""
    head = verify_checkpoint(checkpoint, public_key, origin=origin)
    parsed = AuditRecord.from_canonical(record)
    if parsed.seq >= head.size:
        raise InvalidProof(f"record {parsed.seq} is not in a checkpoint of {head.size}")
    verify_inclusion(
        leaf_hash=leaf_hash(record), index=parsed.seq, size=head.size, proof=proof, root=head.root
    )
    return VerifiedRecord(record=parsed, checkpoint=head)


def verify_extension(
    *,
    old: str | bytes,
    new: str | bytes,
    public_key: Ed25519PublicKey,
    proof: Sequence[bytes],
    origin: str | None = None,
) -> tuple[Checkpoint, Checkpoint]:
    """Check that signed checkpoint `new` extends signed checkpoint `old` by appends only (the
    log neither rewrote nor dropped anything between them). Raises as `verify_record`."""
    first = verify_checkpoint(old, public_key, origin=origin)
    second = verify_checkpoint(new, public_key, origin=first.origin)
    verify_consistency(
        old_size=first.size,
        new_size=second.size,
        old_root=first.root,
        new_root=second.root,
        proof=proof,
    )
    return first, second


# ---- full verification --------------------------------------------------------------------------


class DivergenceKind(StrEnum):
    """What happened at the first tampered position (a best-effort label; the position is the
    finding)."""

    MODIFIED = "MODIFIED"  # the record there is not the signed one
    DELETED = "DELETED"  # the signed record is gone, its successors moved up
    INSERTED = "INSERTED"  # a record that was never signed sits before the signed one
    REORDERED = "REORDERED"  # signed records are present but in another order
    TRUNCATED = "TRUNCATED"  # the store ends before the signed tree does
    UNKNOWN = "UNKNOWN"  # located to a window only


@dataclass(frozen=True, slots=True)
class Divergence:
    """The store contradicts `checkpoint`; its first tampered record is at a position in
    [index, end). Records [0, intact_size) match a signed checkpoint and are untouched."""

    index: int
    end: int
    kind: DivergenceKind
    checkpoint: Checkpoint
    intact_size: int

    @property
    def exact(self) -> bool:
        """Whether the first tampered position is known exactly (then it is `index`)."""
        return self.end == self.index + 1


def first_divergence(
    leaf_hashes: Sequence[bytes],
    checkpoints: Sequence[Checkpoint],
    *,
    nodes: NodeReader | None = None,
    seqs: Sequence[int] | None = None,
    tree: MemoryNodeStore | None = None,
) -> Divergence | None:
    """None if the records (their leaf hashes, in store order) reproduce every signed
    checkpoint; otherwise where the first record that differs from the signed log is.

    `checkpoints` must already be signature-checked (`verify_checkpoint`). `nodes` is the
    store's complete-subtree table and `seqs` the seq inside each record, both optional and
    both untrusted: they only help to locate (see the module docstring). `tree` is the tree
    already built from exactly these leaf hashes (`MemoryNodeStore.from_leaf_hashes`), so a
    caller checking several sets of checkpoints hashes 10^6 records' nodes once, not per call."""
    if seqs is not None and len(seqs) != len(leaf_hashes):
        raise ValueError("one seq per leaf hash")
    if len({c.origin for c in checkpoints}) > 1:
        raise InvalidCheckpoint("checkpoints from more than one log")
    n = len(leaf_hashes)
    if tree is not None and tree.leaf_count != n:
        raise ValueError("the tree must be built from the leaf hashes")
    recomputed = MemoryNodeStore.from_leaf_hashes(leaf_hashes) if tree is None else tree
    held: list[int] = []
    failed = None
    for cp in sorted(checkpoints, key=lambda c: c.size):
        if cp.size <= n and root_at(recomputed, size=cp.size) == cp.root:
            held.append(cp.size)
        else:
            failed = cp
            break
    if failed is None:
        return None
    # the longest signed prefix the store reproduces (strictly shorter: two signed roots for one
    # size would be the log's own split view, which no record position explains)
    intact = max((size for size in held if size < failed.size), default=0)
    lo, hi = intact, failed.size
    if n < hi:
        hi = n + 1  # position n is surely missing, so the first change is at or before it
    trusted_leaf: bytes | None = None
    if nodes is not None:
        begin, end, trusted = _descend(recomputed, n, nodes, failed)
        lo, hi = max(lo, begin), min(hi, end)
        if end - begin == 1:
            trusted_leaf = trusted
    seq_break = _first_seq_break(seqs, lo, min(hi, n)) if seqs is not None else None
    if seq_break is not None:
        hi = min(hi, seq_break + 1)
    lo = min(lo, hi - 1)
    kind = DivergenceKind.UNKNOWN
    if hi - lo == 1:
        if trusted_leaf is not None and nodes is not None:
            kind = _classify(leaf_hashes, lo, trusted_leaf, nodes, failed, seqs)
        elif lo >= n:
            kind = DivergenceKind.TRUNCATED
        elif seqs is not None and seq_break == lo:
            kind = _classify_by_seq(seqs, lo)
        else:
            kind = DivergenceKind.MODIFIED
    elif n < failed.size and hi == n + 1 and seq_break is None:
        kind = DivergenceKind.TRUNCATED
    elif seq_break is not None and seqs is not None and seq_break == hi - 1:
        kind = _classify_by_seq(seqs, seq_break)
    return Divergence(index=lo, end=hi, kind=kind, checkpoint=failed, intact_size=intact)


def _recomputed_hash(recomputed: MemoryNodeStore, n: int, begin: int, end: int) -> bytes | None:
    if end > n:
        return None
    return fold_right(recomputed.node_hashes(nodes=range_nodes(begin, end)))


def _descend(
    recomputed: MemoryNodeStore, n: int, nodes: NodeReader, cp: Checkpoint
) -> tuple[int, int, bytes]:
    """Walk down from the signed root through stored nodes that hash to their trusted parent,
    towards the first subtree the recomputed tree gets wrong. Returns that subtree's leaf range
    [begin, end) and its trusted hash (the signed leaf hash when the range is one leaf)."""
    begin, end, trusted = 0, cp.size, cp.root
    while end - begin > 1:
        k = split_point(end - begin)
        level = k.bit_length() - 1
        try:
            left = nodes.node_hashes(nodes=[NodeId(level, begin >> level)])[0]
            right = fold_right(nodes.node_hashes(nodes=range_nodes(begin + k, end)))
        except AuditError:
            break
        if len(left) != len(trusted) or node_hash(left, right) != trusted:
            break  # the stored children are forged: stop at the last trusted subtree
        if _recomputed_hash(recomputed, n, begin, begin + k) != left:
            end, trusted = begin + k, left
        else:
            begin, trusted = begin + k, right
    return begin, end, trusted


def _trusted_leaf(nodes: NodeReader, cp: Checkpoint, index: int) -> bytes | None:
    """The signed leaf hash at `index`, if the stored nodes can prove it against `cp`."""
    if not 0 <= index < cp.size:
        return None
    try:
        stored = nodes.node_hashes(nodes=[NodeId(0, index)])[0]
        proof = inclusion_proof(nodes, index=index, size=cp.size)
        verify_inclusion(leaf_hash=stored, index=index, size=cp.size, proof=proof, root=cp.root)
    except AuditError:
        return None
    return stored


def _classify(
    leaf_hashes: Sequence[bytes],
    i: int,
    signed: bytes,
    nodes: NodeReader,
    cp: Checkpoint,
    seqs: Sequence[int] | None,
) -> DivergenceKind:
    """Label the change at `i` from the signed leaf hashes around it."""
    n = len(leaf_hashes)
    if i >= n:
        return DivergenceKind.TRUNCATED
    here = leaf_hashes[i]
    successor = _trusted_leaf(nodes, cp, i + 1)
    successor_here = (successor is not None and here == successor) or (
        seqs is not None and seqs[i] == i + 1
    )
    signed_later = any(leaf_hashes[p] == signed for p in range(i + 1, n))
    if not signed_later:
        return DivergenceKind.DELETED if successor_here else DivergenceKind.MODIFIED
    moved_here = successor_here or (seqs is not None and seqs[i] > i)
    return DivergenceKind.REORDERED if moved_here else DivergenceKind.INSERTED


def _first_seq_break(seqs: Sequence[int], begin: int, end: int) -> int | None:
    for p in range(begin, end):
        if seqs[p] != p:
            return p
    return None


def _classify_by_seq(seqs: Sequence[int], p: int) -> DivergenceKind:
    """Label an out-of-place seq: a later one means a gap (deleted, or moved if it reappears),
    an earlier one a repeat (inserted)."""
    if seqs[p] < p:
        return DivergenceKind.INSERTED
    return DivergenceKind.REORDERED if p in seqs[p + 1 :] else DivergenceKind.DELETED
