"""RFC 9162 Merkle trees (access.audit.merkle): published vectors, an independent recursive
formulation of MTH/PATH/PROOF written here from the RFC text, and tampering of every kind.

The vectors are the Certificate Transparency reference data (RFC 6962 test inputs, as used by
transparency-dev/merkle): eight leaves, the roots of every prefix, and known inclusion and
consistency proofs.
"""

from __future__ import annotations

import hashlib
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access.audit.errors import InvalidProof, MissingNode, NodeConflict
from access.audit.merkle import (
    EMPTY_ROOT,
    CompactRange,
    MemoryNodeStore,
    MerkleTree,
    NodeId,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    merkle_root,
    range_nodes,
    root_at,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

DETERMINISTIC = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow],
)

LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
ROOTS = [  # MTH of the first 0..8 leaves
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (0-based leaf index, tree size, audit path)
INCLUSION_VECTORS = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (0, 1, []),
]
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


# ---- an independent formulation, straight from RFC 9162 §2.1 --------------------------------------


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    if not d:
        return _h(b"")
    if len(d) == 1:
        return _h(b"\x00" + d[0])
    k = _k(len(d))
    return _h(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:]))


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], whole: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if whole else [ref_mth(d)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], whole), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def data(n: int) -> list[bytes]:
    return [f"record-{i}".encode() for i in range(n)]


def tree_of(d: list[bytes]) -> MerkleTree:
    tree = MerkleTree()
    tree.extend(leaf_hash(x) for x in d)
    return tree


# ---- vectors --------------------------------------------------------------------------------------


def test_roots_of_every_prefix_match_the_reference_vectors() -> None:
    tree = MerkleTree()
    assert tree.root().hex() == ROOTS[0] == EMPTY_ROOT.hex()
    for n, leaf in enumerate(LEAVES, start=1):
        tree.append(leaf_hash(leaf))
        assert tree.root().hex() == ROOTS[n]
        assert merkle_root([leaf_hash(x) for x in LEAVES[:n]]).hex() == ROOTS[n]
        assert ref_mth(LEAVES[:n]).hex() == ROOTS[n]
    for n in range(9):
        assert tree.root_at(n).hex() == ROOTS[n]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION_VECTORS)
def test_inclusion_vectors_are_generated_and_verified(index: int, size: int, path: list[str]):
    tree = tree_of(LEAVES)
    proof = [bytes.fromhex(p) for p in path]
    assert tree.inclusion_proof(index, size) == proof
    root = bytes.fromhex(ROOTS[size])
    verify_inclusion(
        leaf_hash=leaf_hash(LEAVES[index]), index=index, size=size, proof=proof, root=root
    )


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY_VECTORS)
def test_consistency_vectors_are_generated_and_verified(old: int, new: int, path: list[str]):
    tree = tree_of(LEAVES)
    proof = [bytes.fromhex(p) for p in path]
    assert tree.consistency_proof(old, new) == proof
    verify_consistency(
        old_size=old,
        new_size=new,
        old_root=bytes.fromhex(ROOTS[old]),
        new_root=bytes.fromhex(ROOTS[new]),
        proof=proof,
    )


# ---- corruption probes (as the reference suites do) -----------------------------------------------


def _flip(proof: list[bytes], i: int, bit: int) -> list[bytes]:
    out = list(proof)
    out[i] = bytes([out[i][0] ^ bit]) + out[i][1:]
    return out


def _inclusion_probes(index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes):
    yield index - 1, size, proof, root, leaf
    yield index + 1, size, proof, root, leaf
    yield index ^ 2, size, proof, root, leaf
    yield index, size * 2, proof, root, leaf
    yield index, size // 2, proof, root, leaf
    yield index, size, proof, root, leaf_hash(b"WrongLeaf")
    yield index, size, proof, EMPTY_ROOT, leaf
    yield index, size, proof, SOME_HASH, leaf
    yield index, size, [*proof, b""], root, leaf
    yield index, size, [*proof, root], root, leaf
    yield index, size, [b"", *proof], root, leaf
    yield index, size, [root, *proof], root, leaf
    for i in range(len(proof)):
        yield index, size, _flip(proof, i, 8), root, leaf
    if proof:
        yield index, size, proof[:-1], root, leaf
    if len(proof) > 1:
        yield index, size, [proof[0], SOME_HASH, *proof[1:]], root, leaf


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION_VECTORS[:4])
def test_corrupted_inclusion_proofs_are_rejected(index: int, size: int, path: list[str]) -> None:
    proof = [bytes.fromhex(p) for p in path]
    root, leaf = bytes.fromhex(ROOTS[size]), leaf_hash(LEAVES[index])
    for i, s, p, r, lh in _inclusion_probes(index, size, proof, root, leaf):
        with pytest.raises(InvalidProof):
            verify_inclusion(leaf_hash=lh, index=i, size=s, proof=p, root=r)


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY_VECTORS[1:])
def test_corrupted_consistency_proofs_are_rejected(old: int, new: int, path: list[str]) -> None:
    proof = [bytes.fromhex(p) for p in path]
    r1, r2 = bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new])
    probes = [
        (old - 1, new, r1, r2, proof),
        (old + 1, new, r1, r2, proof),
        (old ^ 2, new, r1, r2, proof),
        (old, new * 2, r1, r2, proof),
        (old, new // 2, r1, r2, proof),
        (old, new, SOME_HASH, r2, proof),
        (old, new, r1, SOME_HASH, proof),
        (old, new, r2, r1, proof),
        (old, new, r1, r2, []),
        (old, new, r1, r2, [*proof, b""]),
        (old, new, r1, r2, [*proof, r1]),
        (old, new, r1, r2, [*proof, r2]),
        (old, new, r1, r2, [b"", *proof]),
        (old, new, r1, r2, [r1, *proof]),
        (old, new, r1, r2, [r2, *proof]),
        (old, new, r1, r2, [proof[0], *proof]),
        (old, new, r1, r2, proof[:-1]),
        *[(old, new, r1, r2, _flip(proof, i, 16)) for i in range(len(proof))],
    ]
    for o, n, a, b, p in probes:
        with pytest.raises(InvalidProof):
            verify_consistency(old_size=o, new_size=n, old_root=a, new_root=b, proof=p)


def test_trivial_consistency_cases_are_strict() -> None:
    r = bytes.fromhex(ROOTS[3])
    verify_consistency(old_size=0, new_size=0, old_root=EMPTY_ROOT, new_root=EMPTY_ROOT, proof=[])
    verify_consistency(old_size=0, new_size=3, old_root=EMPTY_ROOT, new_root=r, proof=[])
    verify_consistency(old_size=3, new_size=3, old_root=r, new_root=r, proof=[])
    bad = [
        (3, 3, r, SOME_HASH, []),  # same size, two roots
        (3, 3, r, r, [EMPTY_ROOT]),  # same size, a proof
        (0, 3, SOME_HASH, r, []),  # the empty tree has one root
        (0, 3, EMPTY_ROOT, r, [EMPTY_ROOT]),
        (4, 3, r, r, []),  # time travel
        (1, 2, r, r, []),  # an empty proof proves nothing
    ]
    for o, n, a, b, p in bad:
        with pytest.raises(InvalidProof):
            verify_consistency(old_size=o, new_size=n, old_root=a, new_root=b, proof=p)


def test_inclusion_rejects_out_of_range_and_malformed_input() -> None:
    h = leaf_hash(b"x")
    for index, size in [(0, 0), (1, 1), (2, 1), (-1, 4)]:
        with pytest.raises(InvalidProof):
            verify_inclusion(leaf_hash=h, index=index, size=size, proof=[], root=h)
    with pytest.raises(InvalidProof):
        verify_inclusion(leaf_hash=b"short", index=0, size=1, proof=[], root=h)
    with pytest.raises(InvalidProof):
        verify_inclusion(leaf_hash=h, index=0, size=1, proof=[], root=b"")
    verify_inclusion(leaf_hash=h, index=0, size=1, proof=[], root=h)  # one leaf: it is the root


# ---- properties ---------------------------------------------------------------------------------


@st.composite
def size_and_index(draw: st.DrawFn, max_size: int = 300) -> tuple[int, int]:
    size = draw(st.integers(min_value=1, max_value=max_size))
    return size, draw(st.integers(min_value=0, max_value=size - 1))


@DETERMINISTIC
@given(size_and_index())
def test_inclusion_proofs_match_the_rfc_and_verify(case: tuple[int, int]) -> None:
    size, index = case
    d = data(size + 3)
    tree = tree_of(d)  # a longer log: proofs for an older size come from the same store
    proof = tree.inclusion_proof(index, size)
    assert proof == ref_path(index, d[:size])
    assert len(proof) <= math.ceil(math.log2(size)) if size > 1 else proof == []
    root = tree.root_at(size)
    assert root == ref_mth(d[:size])
    lh = leaf_hash(d[index])
    verify_inclusion(leaf_hash=lh, index=index, size=size, proof=proof, root=root)
    assert root_from_inclusion_proof(leaf_hash=lh, index=index, size=size, proof=proof) == root


@DETERMINISTIC
@given(size_and_index(), st.data())
def test_tampered_leaf_proof_or_root_is_rejected(case: tuple[int, int], draw: st.DataObject):
    size, index = case
    d = data(size)
    tree = tree_of(d)
    proof, root, lh = tree.inclusion_proof(index), tree.root(), leaf_hash(d[index])
    with pytest.raises(InvalidProof):
        verify_inclusion(
            leaf_hash=leaf_hash(d[index] + b"!"), index=index, size=size, proof=proof, root=root
        )
    if size > 1:
        other = draw.draw(st.integers(0, size - 1).filter(lambda i: i != index))
        with pytest.raises(InvalidProof):  # a real leaf at the wrong position
            verify_inclusion(
                leaf_hash=leaf_hash(d[other]), index=index, size=size, proof=proof, root=root
            )
        with pytest.raises(InvalidProof):
            verify_inclusion(leaf_hash=lh, index=other, size=size, proof=proof, root=root)
        at = draw.draw(st.integers(0, len(proof) - 1))
        bit = draw.draw(st.sampled_from([1, 2, 4, 8, 16, 32, 64, 128]))
        with pytest.raises(InvalidProof):
            verify_inclusion(
                leaf_hash=lh, index=index, size=size, proof=_flip(proof, at, bit), root=root
            )
    with pytest.raises(InvalidProof):
        verify_inclusion(
            leaf_hash=lh, index=index, size=size, proof=proof, root=leaf_hash(b"forged root")
        )


@st.composite
def two_sizes(draw: st.DrawFn, max_size: int = 300) -> tuple[int, int]:
    new = draw(st.integers(min_value=0, max_value=max_size))
    return draw(st.integers(min_value=0, max_value=new)), new


@DETERMINISTIC
@given(two_sizes())
def test_consistency_proofs_match_the_rfc_and_verify(sizes: tuple[int, int]) -> None:
    old, new = sizes
    d = data(new)
    tree = tree_of(d)
    proof = tree.consistency_proof(old, new)
    if 0 < old < new:
        assert proof == ref_subproof(old, d, True)
        assert len(proof) <= math.ceil(math.log2(new)) + 1
    else:
        assert proof == []
    verify_consistency(
        old_size=old,
        new_size=new,
        old_root=tree.root_at(old),
        new_root=tree.root(),
        proof=proof,
    )


@DETERMINISTIC
@given(two_sizes(), st.data())
def test_a_rewritten_history_fails_consistency(sizes: tuple[int, int], draw: st.DataObject):
    old, new = sizes
    if old == 0:
        return
    d = data(new)
    honest = tree_of(d)
    at = draw.draw(st.integers(0, old - 1))
    forged = tree_of([*d[:at], b"forged", *d[at + 1 :]])
    with pytest.raises(InvalidProof):
        verify_consistency(
            old_size=old,
            new_size=new,
            old_root=honest.root_at(old),
            new_root=forged.root(),
            proof=forged.consistency_proof(old, new),
        )


@DETERMINISTIC
@given(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=60))
def test_a_tree_reopened_from_its_store_continues_identically(first: int, more: int) -> None:
    d = data(first + more)
    store = MemoryNodeStore()
    MerkleTree(store).extend(leaf_hash(x) for x in d[:first])
    reopened = MerkleTree(store, size=first)
    assert reopened.root() == ref_mth(d[:first])
    for x in d[first:]:
        reopened.append(leaf_hash(x))
    assert reopened.root() == ref_mth(d)
    assert MemoryNodeStore.from_leaf_hashes(leaf_hash(x) for x in d).level(0) == store.level(0)
    assert root_at(store, size=first + more) == reopened.root()


def test_range_nodes_cover_exactly_and_proofs_read_few_nodes() -> None:
    for begin, end in [(0, 13), (8, 13), (5, 6), (3, 17), (0, 1 << 20)]:
        covered = [i for node in range_nodes(begin, end) for i in range(node.begin, node.end)]
        assert covered == list(range(begin, end))

    class CountingStore(MemoryNodeStore):
        calls: list[int]

        def node_hashes(self, *, nodes):  # type: ignore[no-untyped-def]
            self.calls.append(len(nodes))
            return super().node_hashes(nodes=nodes)

    store = CountingStore()
    store.calls = []
    tree = MerkleTree(store)
    tree.extend(leaf_hash(x) for x in data(1000))
    store.calls.clear()
    tree.inclusion_proof(637)
    tree.consistency_proof(333)
    assert len(store.calls) == 2  # one batch read per proof
    assert max(store.calls) <= 2 * math.ceil(math.log2(1000))


def test_stores_refuse_to_change_history_and_report_missing_nodes() -> None:
    store = MemoryNodeStore()
    tree = MerkleTree(store)
    tree.extend(leaf_hash(x) for x in data(4))
    store.put_nodes(nodes=[(NodeId(0, 1), leaf_hash(b"record-1"))])  # same hash: no-op
    with pytest.raises(NodeConflict):
        store.put_nodes(nodes=[(NodeId(0, 1), leaf_hash(b"other"))])
    with pytest.raises(NodeConflict):
        store.put_nodes(nodes=[(NodeId(0, 9), leaf_hash(b"gap"))])
    with pytest.raises(MissingNode):
        store.node_hashes(nodes=[NodeId(3, 0)])
    with pytest.raises(MissingNode):
        inclusion_proof(store, index=2, size=8)
    assert consistency_proof(store, old_size=2, new_size=4) == tree.consistency_proof(2)


def test_a_failed_store_write_leaves_the_tree_unchanged() -> None:
    store = MemoryNodeStore()
    tree = MerkleTree(store)
    tree.extend(leaf_hash(x) for x in data(5))
    root = tree.root()
    store.put_nodes(nodes=[(NodeId(0, 5), leaf_hash(b"squatter"))])
    with pytest.raises(NodeConflict):
        tree.extend([leaf_hash(b"record-5"), leaf_hash(b"record-6")])
    assert (tree.size, tree.root()) == (5, root)


def test_compact_range_is_one_hash_per_set_bit() -> None:
    c = CompactRange()
    for i, x in enumerate(data(77), start=1):
        made = c.append(leaf_hash(x))
        assert len(made) == 1 + ((i - 1) ^ i).bit_length() - 1  # trailing ones of i-1, plus leaf
        assert len(c.hashes) == i.bit_count()
    assert c.root() == ref_mth(data(77))
    with pytest.raises(ValueError, match="one hash per set bit"):
        CompactRange(size=3, hashes=[EMPTY_ROOT])
