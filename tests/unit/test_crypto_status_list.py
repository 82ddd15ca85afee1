"""Tests for access.crypto.status_list against the W3C Bitstring Status List v1.0 rules.

The encoding is checked with the standard library's own gzip/base64 (independently of the
module's code path), and decoding is checked on a value produced by another implementation
(the all-zero 16 KiB list as published in the specification's examples).
"""

from __future__ import annotations

import base64
import gzip
import zlib
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access.crypto.status_list import (
    MIN_STATUS_LIST_BITS,
    StatusList,
    StatusListError,
    status_list_credential,
    status_list_entry,
)

DETERMINISTIC = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)

# An all-zero 131,072-bit list encoded by another implementation (spec example value).
FOREIGN_EMPTY_LIST = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"


def _raw(encoded: str) -> bytes:
    assert encoded[0] == "u"
    text = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def _gzip_b64(data: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(gzip.compress(data)).decode().rstrip("=")


def test_minimum_size_and_defaults() -> None:
    assert MIN_STATUS_LIST_BITS == 131_072 == 16 * 1024 * 8
    lst = StatusList()
    assert lst.size == MIN_STATUS_LIST_BITS
    assert not any(lst.get(i) for i in (0, 1, 7, 8, MIN_STATUS_LIST_BITS - 1))
    assert repr(lst) == "StatusList(size=131072)"
    assert StatusList(MIN_STATUS_LIST_BITS * 2).size == 2 * MIN_STATUS_LIST_BITS
    for bad in (MIN_STATUS_LIST_BITS - 8, MIN_STATUS_LIST_BITS + 1, 0):
        with pytest.raises(StatusListError) as info:
            StatusList(bad)
        assert info.value.code == "STATUS_LIST_LENGTH_ERROR"


def test_index_zero_is_the_leftmost_bit() -> None:
    lst = StatusList()
    lst.set(0)
    lst.set(9)
    lst.set(MIN_STATUS_LIST_BITS - 1)
    raw = lst.to_bytes()
    assert raw[0] == 0b1000_0000
    assert raw[1] == 0b0100_0000
    assert raw[-1] == 0b0000_0001
    assert sum(raw) == 0x80 + 0x40 + 0x01
    assert list(lst.set_indexes()) == [0, 9, MIN_STATUS_LIST_BITS - 1]


def test_set_get_clear() -> None:
    lst = StatusList()
    lst.set(12345)
    assert lst.get(12345) and not lst.get(12344) and not lst.get(12346)
    lst.set(12345)  # idempotent
    lst.set(12345, False)
    assert not lst.get(12345)
    assert lst.to_bytes() == bytes(MIN_STATUS_LIST_BITS // 8)


@pytest.mark.parametrize("index", [-1, MIN_STATUS_LIST_BITS])
def test_out_of_range(index: int) -> None:
    with pytest.raises(StatusListError) as info:
        StatusList().get(index)
    assert info.value.code == "RANGE_ERROR"
    with pytest.raises(TypeError):
        StatusList().set(True)


def test_encoding_is_multibase_base64url_of_gzip() -> None:
    lst = StatusList()
    lst.set(94567)
    encoded = lst.encode()
    assert encoded.startswith("u")
    assert "=" not in encoded and "+" not in encoded and "/" not in encoded
    compressed = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
    assert compressed[:2] == b"\x1f\x8b"  # a GZIP member (RFC 1952), not raw zlib
    assert _raw(encoded) == lst.to_bytes()
    assert len(encoded) < 300  # compresses well when few bits are set
    assert lst.encode() == encoded  # deterministic (mtime 0)


def test_decodes_a_foreign_encoding() -> None:
    lst = StatusList.decode(FOREIGN_EMPTY_LIST)
    assert lst.size == MIN_STATUS_LIST_BITS
    assert list(lst.set_indexes()) == []


def test_decodes_a_stdlib_encoding() -> None:
    raw = bytearray(MIN_STATUS_LIST_BITS // 8)
    raw[100] = 0b0010_0000  # index 802
    assert list(StatusList.decode(_gzip_b64(bytes(raw))).set_indexes()) == [802]


@DETERMINISTIC
@given(st.sets(st.integers(0, MIN_STATUS_LIST_BITS - 1), max_size=300))
def test_round_trip(indexes: set[int]) -> None:
    lst = StatusList()
    for i in indexes:
        lst.set(i)
    decoded = StatusList.decode(lst.encode())
    assert set(decoded.set_indexes()) == indexes
    assert all(decoded.get(i) for i in indexes)


@pytest.mark.parametrize(
    ("encoded", "code"),
    [
        (
            "H4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA",
            "MALFORMED_VALUE_ERROR",
        ),
        ("u", "MALFORMED_VALUE_ERROR"),
        ("u!!!!", "MALFORMED_VALUE_ERROR"),
        ("uAAAAA", "MALFORMED_VALUE_ERROR"),
        (
            "u" + base64.urlsafe_b64encode(zlib.compress(bytes(16384))).decode().rstrip("="),
            "MALFORMED_VALUE_ERROR",
        ),
        (_gzip_b64(bytes(100)), "STATUS_LIST_LENGTH_ERROR"),
        (_gzip_b64(bytes(16384))[:-10], "MALFORMED_VALUE_ERROR"),
    ],
)
def test_decode_errors(encoded: str, code: str) -> None:
    with pytest.raises(StatusListError) as info:
        StatusList.decode(encoded)
    assert info.value.code == code


def test_decode_refuses_trailing_data_and_padding() -> None:
    member = gzip.compress(bytes(16384))
    two_members = "u" + base64.urlsafe_b64encode(member + member).decode().rstrip("=")
    with pytest.raises(StatusListError, match="one complete GZIP member"):
        StatusList.decode(two_members)
    with pytest.raises(StatusListError):
        StatusList.decode(_gzip_b64(bytes(16384)) + "==")


def test_decode_bounds_the_decompressed_size() -> None:
    bomb = _gzip_b64(bytes(1 << 24))  # 16 MiB of zeros compresses to a few KiB
    assert len(bomb) < 40_000
    with pytest.raises(StatusListError, match="exceeds"):
        StatusList.decode(bomb, max_bits=MIN_STATUS_LIST_BITS * 8)
    assert StatusList.decode(bomb, max_bits=1 << 27).size == 1 << 27


def test_entry() -> None:
    entry = status_list_entry(status_list_credential="https://irs.example/status/3", index=94567)
    assert entry == {
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": "https://irs.example/status/3",
    }
    with_id = status_list_entry(
        status_list_credential="https://irs.example/status/3",
        index=0,
        purpose="suspension",
        entry_id="https://irs.example/status/3#0",
    )
    assert with_id["id"] == "https://irs.example/status/3#0"
    assert with_id["statusPurpose"] == "suspension"
    with pytest.raises(ValueError, match="non-negative"):
        status_list_entry(status_list_credential="https://x/s", index=-1)
    with pytest.raises(ValueError, match="must not be"):
        status_list_entry(status_list_credential="https://x/s", index=1, entry_id="https://x/s")


def test_status_list_credential_shape() -> None:
    lst = StatusList()
    lst.set(7)
    credential = status_list_credential(
        list_url="https://irs.example/status/3",
        issuer="https://irs.example",
        status_list=lst,
        valid_from=datetime(2025, 6, 1, 8, 0, 0, 123, tzinfo=UTC),
    )
    assert credential == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "https://irs.example/status/3",
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": "https://irs.example",
        "validFrom": "2025-06-01T08:00:00Z",
        "credentialSubject": {
            "id": "https://irs.example/status/3#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": lst.encode(),
        },
    }
    later = status_list_credential(
        list_url="https://irs.example/status/3",
        issuer="https://irs.example",
        status_list=lst,
        valid_from=datetime(2025, 6, 1, tzinfo=UTC),
        valid_until=datetime(2025, 6, 2, tzinfo=UTC),
    )
    assert later["validUntil"] == "2025-06-02T00:00:00Z"
    assert StatusList.decode(later["credentialSubject"]["encodedList"]).get(7)
