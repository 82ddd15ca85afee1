"""RFC 9162 (Certificate Transparency v2) §2.1 Merkle trees for the audit log.

The audit log is an append-only list of records; its Merkle tree head (MTH) commits to every
record and their order, an inclusion proof shows one record is in a signed tree, a consistency
proof shows a later tree extends an earlier one. Hashing is exactly RFC 9162 (= RFC 6962):
leaf = SHA-256(0x00 || bytes), node = SHA-256(0x01 || left || right), the tree of n leaves split
at the largest power of two below n, so any CT tooling can check our proofs.

Why the structure looks like this:

* Every hash a proof ever needs is either a *complete* subtree (2^level leaves starting at
  index·2^level: a `NodeId`) or the MTH of a right-edge range, which is a fold of complete
  subtrees. Complete-subtree hashes never change once their last leaf is appended, so they can
  be stored once (INSERT-only rows in SQL) and proofs read O(log n) of them in one batch —
  nothing is rehashed per proof.
* Appending keeps only the right edge (`CompactRange`: one hash per set bit of the size), so an
  append costs O(1) hashes amortized, O(log n) at worst, and never reads the store.
* Verification (`verify_inclusion`, `verify_consistency`) follows the RFC 9162 §2.1.3.2 and
  §2.1.4.2 algorithms literally and needs no store: the standalone verifier uses only these.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from access.audit.errors import InvalidProof, MissingNode, NodeConflict

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()  # MTH({}) — the root of the empty tree

_sha256 = hashlib.sha256
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(leaf: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d): the domain prefix keeps a leaf from posing as a node."""
    return _sha256(_LEAF_PREFIX + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): an interior node over two subtree hashes."""
    return _sha256(_NODE_PREFIX + left + right).digest()


@dataclass(frozen=True, slots=True)
class NodeId:
    """A complete subtree: the 2^level leaves [index·2^level, (index+1)·2^level).

    This is the unit a node store keeps; its hash is immutable once its last leaf exists."""

    level: int
    index: int

    @property
    def begin(self) -> int:
        """First leaf covered."""
        return self.index << self.level

    @property
    def end(self) -> int:
        """One past the last leaf covered."""
        return (self.index + 1) << self.level


class NodeReader(Protocol):
    """Where proofs read complete-subtree hashes from (memory now, a SQL table later).

    One call per proof with all the nodes it needs, so a database answers in one round trip.
    Returns the hashes in the order asked; raises `MissingNode` if any is absent."""

    def node_hashes(self, *, nodes: Sequence[NodeId]) -> Sequence[bytes]: ...


class NodeStore(NodeReader, Protocol):
    """A `NodeReader` that appends: the log writer stores each subtree as it completes.

    `put_nodes` is insert-only: writing a node again with the same hash is a no-op, with another
    hash is `NodeConflict` (the store must never change history), and leaving a gap in a level
    is refused. A SQL adapter maps this to `INSERT ... ON CONFLICT DO NOTHING` plus a check."""

    def put_nodes(self, *, nodes: Sequence[tuple[NodeId, bytes]]) -> None: ...


def split_point(n: int) -> int:
    """The largest power of two strictly below n (n ≥ 2): where RFC 9162 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def range_nodes(begin: int, end: int) -> list[NodeId]:
    """The fewest complete subtrees covering leaves [begin, end), left to right.

    For a range the RFC recursion produces (begin aligned to a power of two ≥ its length, e.g.
    any prefix [0, n)) they come largest first, and the range's MTH is their right fold."""
    nodes: list[NodeId] = []
    while begin < end:
        level = (end - begin).bit_length() - 1
        if begin:
            level = min(level, (begin & -begin).bit_length() - 1)
        nodes.append(NodeId(level, begin >> level))
        begin += 1 << level
    return nodes


def fold_right(hashes: Sequence[bytes]) -> bytes:
    """H(h0, H(h1, ... H(h_{k-2}, h_{k-1}))): the MTH of a right-edge range from its subtrees."""
    if not hashes:
        return EMPTY_ROOT
    root = hashes[-1]
    for h in reversed(hashes[:-1]):
        root = node_hash(h, root)
    return root


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise InvalidProof(f"{what} is not a {HASH_SIZE}-byte hash")


def _check_size(value: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidProof(f"{what} must be a non-negative integer")


# ---- the in-memory store and the right edge -----------------------------------------------------


class MemoryNodeStore:
    """`NodeStore` in memory: one list of hashes per level (the level-0 list is the leaves).

    Used by tests, benchmarks and the verifier (which rebuilds the tree from records); ~70 bytes
    of RAM per node, so 10^6 leaves take ~150 MB."""

    __slots__ = ("_levels",)

    def __init__(self) -> None:
        self._levels: list[list[bytes]] = []

    @classmethod
    def from_leaf_hashes(cls, leaf_hashes: Iterable[bytes]) -> MemoryNodeStore:
        """Every complete subtree over `leaf_hashes`, built level by level (the fast bulk path:
        about one SHA-256 per leaf, no per-append bookkeeping)."""
        store = cls()
        level = list(leaf_hashes)
        for h in level:
            if len(h) != HASH_SIZE:
                raise ValueError(f"leaf hashes must be {HASH_SIZE} bytes")
        while level:
            store._levels.append(level)
            it = iter(level)
            level = [_sha256(_NODE_PREFIX + a + b).digest() for a, b in zip(it, it, strict=False)]
        return store

    @property
    def leaf_count(self) -> int:
        """How many leaves the store holds (= the size of the largest tree it can serve)."""
        return len(self._levels[0]) if self._levels else 0

    def level(self, level: int) -> Sequence[bytes]:
        """All stored hashes of one level, in index order (read-only view for bulk checks)."""
        return self._levels[level] if level < len(self._levels) else ()

    def node_hashes(self, *, nodes: Sequence[NodeId]) -> list[bytes]:
        """The hashes of `nodes`, in order; `MissingNode` names the first one absent."""
        levels = self._levels
        out: list[bytes] = []
        for node in nodes:
            level, index = node.level, node.index
            if level >= len(levels) or not 0 <= index < len(levels[level]):
                raise MissingNode(f"node [{level}, {index}]")
            out.append(levels[level][index])
        return out

    def put_nodes(self, *, nodes: Sequence[tuple[NodeId, bytes]]) -> None:
        """Append completed subtrees; re-putting an equal hash is a no-op (idempotent retries)."""
        levels = self._levels
        for node, h in nodes:
            level, index = node.level, node.index
            while len(levels) <= level:
                levels.append([])
            row = levels[level]
            if index == len(row):
                row.append(h)
            elif 0 <= index < len(row):
                if row[index] != h:
                    raise NodeConflict(f"node [{level}, {index}] already holds another hash")
            else:
                raise NodeConflict(f"node [{level}, {index}] would leave a gap")


class CompactRange:
    """The right edge of a tree of `size` leaves: the complete subtrees of `range_nodes(0, size)`
    (one per set bit of size, largest first).

    It is all an appender needs: appending merges equal-sized subtrees (carry propagation), the
    root is their right fold. A writer restarting — or another replica — rebuilds it from a
    store with `from_reader` in one O(log n) read."""

    __slots__ = ("_size", "_stack")

    def __init__(self, *, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0 or len(hashes) != size.bit_count():
            raise ValueError("a compact range of size n holds one hash per set bit of n")
        self._size = size
        self._stack = list(hashes)

    @classmethod
    def from_reader(cls, reader: NodeReader, *, size: int) -> CompactRange:
        """The right edge of the first `size` leaves of a store."""
        return cls(size=size, hashes=list(reader.node_hashes(nodes=range_nodes(0, size))))

    @property
    def size(self) -> int:
        """Leaves appended so far."""
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """The right-edge subtree hashes, largest first (matching `range_nodes(0, size)`)."""
        return tuple(self._stack)

    def append(self, leaf: bytes) -> list[bytes]:
        """Add one leaf hash. Returns the hashes of the subtrees it completes, bottom up: entry
        `l` is node [l, index >> l] where `index` is the new leaf's index (entry 0 is the leaf)."""
        if len(leaf) != HASH_SIZE:
            raise ValueError(f"leaf hashes must be {HASH_SIZE} bytes")
        index = self._size
        stack = self._stack
        h = leaf
        made = [h]
        while index & 1:
            h = _sha256(_NODE_PREFIX + stack.pop() + h).digest()
            made.append(h)
            index >>= 1
        stack.append(h)
        self._size += 1
        return made

    def root(self) -> bytes:
        """MTH of the leaves so far, in O(log n) hashes."""
        return fold_right(self._stack)

    def copy(self) -> CompactRange:
        """An independent copy (a batch works on one and swaps it in when the store accepts)."""
        twin = CompactRange.__new__(CompactRange)
        twin._size = self._size
        twin._stack = self._stack.copy()
        return twin


# ---- proofs from stored subtrees ----------------------------------------------------------------


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTHs make PATH(index, D[0:size]), leaf to root (RFC 9162 §2.1.3.1)."""
    ranges: list[tuple[int, int]] = []
    begin, end = 0, size
    while end - begin > 1:
        k = split_point(end - begin)
        if index < begin + k:
            ranges.append((begin + k, end))
            end = begin + k
        else:
            ranges.append((begin, begin + k))
            begin += k
    ranges.reverse()
    return ranges


def _consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTHs make PROOF(old, D[0:new]) (RFC 9162 §2.1.4.1), 0 < old < new."""
    ranges: list[tuple[int, int]] = []
    begin, end = 0, new_size
    whole = True  # SUBPROOF's flag: still on the old tree's own root path
    while old_size != end:
        k = split_point(end - begin)
        if old_size <= begin + k:
            ranges.append((begin + k, end))
            end = begin + k
        else:
            ranges.append((begin, begin + k))
            begin += k
            whole = False
    if not whole:
        ranges.append((begin, end))
    ranges.reverse()
    return ranges


def _range_hashes(reader: NodeReader, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    """MTH of each range, reading every subtree they need in one `node_hashes` call."""
    per_range = [range_nodes(b, e) for b, e in ranges]
    wanted = [node for nodes in per_range for node in nodes]
    got = reader.node_hashes(nodes=wanted)
    if len(got) != len(wanted):
        raise MissingNode(f"asked {len(wanted)} nodes, got {len(got)}")
    out: list[bytes] = []
    at = 0
    for nodes in per_range:
        out.append(fold_right(got[at : at + len(nodes)]))
        at += len(nodes)
    return out


def root_at(reader: NodeReader, *, size: int) -> bytes:
    """MTH of the first `size` leaves of a store (any past tree head), O(log n) nodes read."""
    if size < 0:
        raise ValueError("size must be ≥ 0")
    return fold_right(reader.node_hashes(nodes=range_nodes(0, size)))


def inclusion_proof(reader: NodeReader, *, index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]): the audit path proving leaf `index` is in the tree of `size`.

    At most ⌈log2 size⌉ hashes, leaf side first, as RFC 9162 and CT clients expect."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    return _range_hashes(reader, _inclusion_ranges(index, size))


def consistency_proof(reader: NodeReader, *, old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]): shows the tree of `new_size` extends that of `old_size`.

    Empty when old_size is 0 or equal to new_size (nothing to prove); O(log new_size) hashes."""
    if not 0 <= old_size <= new_size:
        raise ValueError("consistency needs 0 ≤ old_size ≤ new_size")
    if old_size in (0, new_size):
        return []
    return _range_hashes(reader, _consistency_ranges(old_size, new_size))


# ---- verification (no store: RFC 9162 §2.1.3.2 and §2.1.4.2) ------------------------------------


def root_from_inclusion_proof(
    *, leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """The root that `proof` leads to from `leaf_hash` at `index` in a tree of `size`.

    `InvalidProof` when the proof has the wrong length for (index, size) or malformed hashes."""
    _check_size(index, "leaf index")
    _check_size(size, "tree size")
    if index >= size:
        raise InvalidProof(f"leaf index {index} is not below tree size {size}")
    _check_hash(leaf_hash, "leaf hash")
    fn, sn, r = index, size - 1, leaf_hash
    for position, p in enumerate(proof):
        _check_hash(p, f"proof[{position}]")
        if sn == 0:
            raise InvalidProof(f"proof longer than a path for leaf {index} of {size}")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InvalidProof(f"proof shorter than a path for leaf {index} of {size}")
    return r


def verify_inclusion(
    *, leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Accept iff `leaf_hash` is leaf `index` of the tree of `size` whose MTH is `root`
    (RFC 9162 §2.1.3.2); otherwise raise `InvalidProof`."""
    _check_hash(root, "root")
    if root_from_inclusion_proof(leaf_hash=leaf_hash, index=index, size=size, proof=proof) != root:
        raise InvalidProof(f"the path for leaf {index} of {size} does not lead to the root")


def verify_consistency(
    *, old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Accept iff the tree (new_size, new_root) extends (old_size, old_root) by appends only
    (RFC 9162 §2.1.4.2); otherwise raise `InvalidProof`.

    The trivial cases are strict: equal sizes need equal roots and an empty proof; an old size
    of 0 needs the empty-tree root and an empty proof."""
    _check_size(old_size, "old size")
    _check_size(new_size, "new size")
    _check_hash(old_root, "old root")
    _check_hash(new_root, "new root")
    for position, p in enumerate(proof):
        _check_hash(p, f"proof[{position}]")
    if old_size > new_size:
        raise InvalidProof(f"old size {old_size} is larger than new size {new_size}")
    if old_size == new_size:
        if proof:
            raise InvalidProof("equal sizes need an empty proof")
        if old_root != new_root:
            raise InvalidProof(f"two different roots for the same size {old_size}")
        return
    if old_size == 0:
        if proof:
            raise InvalidProof("a proof from the empty tree must be empty")
        if old_root != EMPTY_ROOT:
            raise InvalidProof("the tree of size 0 has the empty-tree root")
        return
    if not proof:
        raise InvalidProof(f"an empty proof cannot show {new_size} extends {old_size}")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is a node of the new tree
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise InvalidProof(f"proof longer than needed for {old_size} → {new_size}")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InvalidProof(f"proof shorter than needed for {old_size} → {new_size}")
    if fr != old_root:
        raise InvalidProof(f"the proof does not lead to the root of size {old_size}")
    if sr != new_root:
        raise InvalidProof(f"the proof does not lead to the root of size {new_size}")


def merkle_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf hashes, level by level (pairing, the odd last node carried up),
    which is the same tree as RFC 9162's split at the largest power of two."""
    level = list(leaf_hashes)
    if not level:
        return EMPTY_ROOT
    while len(level) > 1:
        carry = [level[-1]] if len(level) & 1 else []
        it = iter(level)
        level = [_sha256(_NODE_PREFIX + a + b).digest() for a, b in zip(it, it, strict=False)]
        level += carry
    return level[0]


# ---- the tree -----------------------------------------------------------------------------------


class MerkleTree:
    """An append-only RFC 9162 tree over a `NodeStore`: appends in O(log n), roots of any past
    size and proofs from stored subtrees in O(log n) reads.

    The right edge lives in memory; the store receives every completed subtree as the append
    happens, so a SQL-backed store can commit the record and its nodes in one transaction."""

    __slots__ = ("_range", "_store")

    def __init__(self, store: NodeStore | None = None, *, size: int = 0) -> None:
        """Open the tree of the first `size` leaves of `store` (a fresh memory store if none)."""
        self._store: NodeStore = store if store is not None else MemoryNodeStore()
        self._range = CompactRange.from_reader(self._store, size=size)

    @property
    def store(self) -> NodeStore:
        """Where the complete subtrees live."""
        return self._store

    @property
    def size(self) -> int:
        """How many leaves the tree has."""
        return self._range.size

    def append(self, leaf: bytes) -> int:
        """Append one leaf hash (see `leaf_hash`); returns its index. If the store refuses the
        new nodes, the tree stays as it was."""
        work = self._range.copy()
        index = work.size
        made = work.append(leaf)
        self._store.put_nodes(nodes=[(NodeId(lv, index >> lv), h) for lv, h in enumerate(made)])
        self._range = work
        return index

    def extend(self, leaves: Iterable[bytes]) -> range:
        """Append leaf hashes in order, storing their completed subtrees in one `put_nodes`.
        All or nothing: if the store refuses, the tree stays as it was. Returns their indices."""
        work = self._range.copy()
        start = work.size
        made: list[tuple[NodeId, bytes]] = []
        for leaf in leaves:
            index = work.size
            made += [(NodeId(lv, index >> lv), h) for lv, h in enumerate(work.append(leaf))]
        if made:
            self._store.put_nodes(nodes=made)
        self._range = work
        return range(start, work.size)

    def root(self) -> bytes:
        """MTH of the whole tree, from the right edge (no store read)."""
        return self._range.root()

    def root_at(self, size: int) -> bytes:
        """MTH of the first `size` leaves: the root a past checkpoint signed."""
        if not 0 <= size <= self.size:
            raise ValueError(f"no tree of size {size} in a log of {self.size}")
        return self.root() if size == self.size else root_at(self._store, size=size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH for leaf `index` in the tree of `size` (default: the current size)."""
        size = self.size if size is None else size
        if size > self.size:
            raise ValueError(f"no tree of size {size} in a log of {self.size}")
        return inclusion_proof(self._store, index=index, size=size)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """PROOF that the tree of `new_size` (default: current) extends that of `old_size`."""
        new_size = self.size if new_size is None else new_size
        if new_size > self.size:
            raise ValueError(f"no tree of size {new_size} in a log of {self.size}")
        return consistency_proof(self._store, old_size=old_size, new_size=new_size)
