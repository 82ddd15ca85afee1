"""Tests for access.crypto.fields: AES-GCM field encryption at rest and the keyed blind index."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import string
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access.crypto.fields import (
    BlindIndexer,
    FieldCipher,
    FieldCryptoError,
    IndexKind,
    _aad,
    normalize_for_index,
)
from access.crypto.keys import KeyRing
from catalog.codes import make_citizen_id

DETERMINISTIC = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow],
)

WHERE = {"table": "elicense", "record_id": "42", "field": "holder_code"}
CITIZEN = make_citizen_id(birth=date(1990, 1, 1), seq=17, female=True)


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing.generate()


@pytest.fixture
def cipher(ring: KeyRing) -> FieldCipher:
    return FieldCipher(ring)


def _unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_round_trip_and_format(ring: KeyRing, cipher: FieldCipher) -> None:
    token = cipher.encrypt(CITIZEN, **WHERE)
    version, kid, nonce, sealed = token.split(".")
    assert (version, kid) == ("v1", ring.active_data_key.kid)
    assert len(_unb64u(nonce)) == 12
    assert len(_unb64u(sealed)) == len(CITIZEN.encode()) + 16  # ciphertext + GCM tag
    assert "=" not in token and CITIZEN not in token
    assert cipher.decrypt(token, **WHERE) == CITIZEN
    assert FieldCipher.key_id(token) == kid


def test_format_is_plain_aes_gcm_with_the_documented_aad(
    ring: KeyRing, cipher: FieldCipher
) -> None:
    """Decrypt with cryptography's AESGCM directly, to pin the on-disk format."""
    token = cipher.encrypt("张三", **WHERE)
    _, kid, nonce, sealed = token.split(".")
    aad = json.dumps(
        ["irs-field", "v1", kid, "elicense", "42", "holder_code"],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    plain = AESGCM(ring.data_key(kid)._secret).decrypt(_unb64u(nonce), _unb64u(sealed), aad)
    assert plain.decode() == "张三"


@pytest.mark.parametrize(
    "where", ["电子证照", "a\u2028b", "tab\there", 'quo"te\\', "\x00\x1f\x7f", "😀"]
)
def test_aad_bytes_are_those_of_the_documented_json(where: str) -> None:
    expected = json.dumps(
        ["irs-field", "v1", "dk-1", where, where + "1", "f"],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    assert _aad("dk-1", where, where + "1", "f") == expected


def test_nonces_are_fresh(cipher: FieldCipher) -> None:
    tokens = {cipher.encrypt("same", **WHERE) for _ in range(50)}
    assert len(tokens) == 50
    assert len({t.split(".")[2] for t in tokens}) == 50


@pytest.mark.parametrize("moved", ["table", "record_id", "field"])
def test_wrong_aad_fails(cipher: FieldCipher, moved: str) -> None:
    token = cipher.encrypt(CITIZEN, **WHERE)
    elsewhere = {**WHERE, moved: WHERE[moved] + "x"}
    with pytest.raises(FieldCryptoError) as info:
        cipher.decrypt(token, **elsewhere)
    assert info.value.code == "FIELD_DECRYPT_FAILED"


def test_aad_is_unambiguous(cipher: FieldCipher) -> None:
    """("a.b", "c") and ("a", "b.c") must not share associated data."""
    token = cipher.encrypt("v", table="a.b", record_id="c", field="f")
    with pytest.raises(FieldCryptoError):
        cipher.decrypt(token, table="a", record_id="b.c", field="f")


def _flip(segment: str, index: int) -> str:
    raw = bytearray(_unb64u(segment))
    raw[index] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")


@pytest.mark.parametrize("segment", [2, 3])
def test_tampered_ciphertext_or_nonce_fails(cipher: FieldCipher, segment: int) -> None:
    token = cipher.encrypt(CITIZEN, **WHERE)
    parts = token.split(".")
    for index in range(len(_unb64u(parts[segment]))):
        tampered = parts.copy()
        tampered[segment] = _flip(parts[segment], index)
        with pytest.raises(FieldCryptoError) as info:
            cipher.decrypt(".".join(tampered), **WHERE)
        assert info.value.code == "FIELD_DECRYPT_FAILED"


def test_swapped_kid_fails(ring: KeyRing, cipher: FieldCipher) -> None:
    token = cipher.encrypt(CITIZEN, **WHERE)
    old_kid = ring.active_data_key.kid
    new_kid = ring.rotate_data_key().kid
    with pytest.raises(FieldCryptoError) as info:
        cipher.decrypt(token.replace(old_kid, new_kid), **WHERE)
    assert info.value.code == "FIELD_DECRYPT_FAILED"
    with pytest.raises(FieldCryptoError) as info:
        cipher.decrypt(token.replace(old_kid, "dk-unknown"), **WHERE)
    assert info.value.code == "FIELD_UNKNOWN_KEY"


@pytest.mark.parametrize(
    "token",
    [
        "",
        "v1",
        "v2.dk-a.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA",
        "v1.dk a.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA",
        "v1.dk-a.AAAA.AAAAAAAAAAAAAAAAAAAAAA",  # short nonce
        "v1.dk-a.AAAAAAAAAAAAAAAA.AAAA",  # shorter than a tag
        "v1.dk-a.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA==",  # padding
        "v1.dk-a.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAA+/AA",  # not URL-safe
        "v1.dk-a.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA.extra",
    ],
)
def test_malformed_tokens(cipher: FieldCipher, token: str) -> None:
    with pytest.raises(FieldCryptoError) as info:
        cipher.decrypt(token, **WHERE)
    assert info.value.code == "FIELD_MALFORMED"


def test_rotation_keeps_old_ciphertexts_readable(ring: KeyRing, cipher: FieldCipher) -> None:
    old = cipher.encrypt(CITIZEN, **WHERE)
    ring.rotate_data_key()
    assert cipher.decrypt(old, **WHERE) == CITIZEN
    assert cipher.needs_rotation(old)
    new = cipher.encrypt(CITIZEN, **WHERE)
    assert FieldCipher.key_id(new) == ring.active_data_key.kid != FieldCipher.key_id(old)
    rotated = cipher.rotate(old, **WHERE)
    assert FieldCipher.key_id(rotated) == ring.active_data_key.kid
    assert cipher.decrypt(rotated, **WHERE) == CITIZEN
    assert not cipher.needs_rotation(rotated)
    assert cipher.rotate(rotated, **WHERE) == rotated  # already current: unchanged


def test_rotate_refuses_tampered_values(cipher: FieldCipher, ring: KeyRing) -> None:
    token = cipher.encrypt(CITIZEN, **WHERE)
    ring.rotate_data_key()
    parts = token.split(".")
    parts[3] = _flip(parts[3], 0)
    with pytest.raises(FieldCryptoError):
        cipher.rotate(".".join(parts), **WHERE)


def test_rotation_survives_restart(tmp_path: Path) -> None:
    ring = KeyRing.load_or_create(tmp_path / "keys")
    old = FieldCipher(ring).encrypt(CITIZEN, **WHERE)
    ring.rotate_data_key()
    new = FieldCipher(ring).encrypt("李四", **WHERE)
    reloaded = FieldCipher(KeyRing.load(tmp_path / "keys"))
    assert reloaded.decrypt(old, **WHERE) == CITIZEN
    assert reloaded.decrypt(new, **WHERE) == "李四"


def test_other_deployment_cannot_decrypt(cipher: FieldCipher) -> None:
    token = cipher.encrypt(CITIZEN, **WHERE)
    with pytest.raises(FieldCryptoError) as info:
        FieldCipher(KeyRing.generate()).decrypt(token, **WHERE)
    assert info.value.code == "FIELD_UNKNOWN_KEY"


def test_errors_hold_no_data(cipher: FieldCipher) -> None:
    token = cipher.encrypt(CITIZEN, **WHERE)
    with pytest.raises(FieldCryptoError) as info:
        cipher.decrypt(token, **{**WHERE, "record_id": "43"})
    err = info.value
    for text in (str(err), repr(err), err.message, err.message_en):
        assert CITIZEN not in text and token.split(".")[3] not in text
    assert err.__cause__ is None and err.__suppress_context__


def test_empty_location_is_a_programming_error(cipher: FieldCipher) -> None:
    with pytest.raises(ValueError, match="non-empty"):
        cipher.encrypt("x", table="", record_id="1", field="f")


_RING = KeyRing.generate()


@DETERMINISTIC
@given(st.text(max_size=200), st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_round_trip_property(plaintext: str, table: str, record_id: str) -> None:
    cipher = FieldCipher(_RING)
    token = cipher.encrypt(plaintext, table=table, record_id=record_id, field="f")
    assert cipher.decrypt(token, table=table, record_id=record_id, field="f") == plaintext


# --------------------------------------------------------------------------- blind index


def test_blind_index_is_stable_hex_and_normalized(ring: KeyRing) -> None:
    indexer = BlindIndexer(ring.index_key)
    value = indexer.index(CITIZEN, kind=IndexKind.CITIZEN_ID)
    assert len(value) == 64 and set(value) <= set(string.hexdigits.lower())
    assert indexer.index(CITIZEN, kind=IndexKind.CITIZEN_ID) == value
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in CITIZEN)  # "３５０２…"
    spaced = f" {CITIZEN[:6]} {CITIZEN[6:14]} {CITIZEN[14:].lower()} "
    assert indexer.index(full_width, kind=IndexKind.CITIZEN_ID) == value
    assert indexer.index(spaced, kind=IndexKind.CITIZEN_ID) == value
    assert CITIZEN not in value


def test_blind_index_is_keyed_and_separated_by_kind(ring: KeyRing) -> None:
    mine = BlindIndexer(ring.index_key)
    theirs = BlindIndexer(KeyRing.generate().index_key)
    assert mine.index(CITIZEN, kind=IndexKind.CITIZEN_ID) != theirs.index(
        CITIZEN, kind=IndexKind.CITIZEN_ID
    )
    assert mine.index(CITIZEN, kind=IndexKind.CITIZEN_ID) != mine.index(
        CITIZEN, kind=IndexKind.TEXT
    )
    other = make_citizen_id(birth=date(1990, 1, 1), seq=18, female=True)
    assert mine.index(CITIZEN, kind=IndexKind.CITIZEN_ID) != mine.index(
        other, kind=IndexKind.CITIZEN_ID
    )
    assert mine.key_id == ring.index_key.kid
    assert ring.index_key.kid in repr(mine)


def test_blind_index_survives_data_key_rotation(ring: KeyRing) -> None:
    before = BlindIndexer(ring.index_key).index(CITIZEN, kind=IndexKind.CITIZEN_ID)
    ring.rotate_data_key()
    assert BlindIndexer(ring.index_key).index(CITIZEN, kind=IndexKind.CITIZEN_ID) == before


def test_blind_index_is_hmac_sha256_over_the_documented_message(ring: KeyRing) -> None:
    expected = hmac.new(
        ring.index_key._secret,
        b"irs-blind-index/v1\x00citizen_id\x00" + CITIZEN.encode(),
        hashlib.sha256,
    ).hexdigest()
    assert BlindIndexer(ring.index_key).index(CITIZEN, kind=IndexKind.CITIZEN_ID) == expected


def test_normalization_rules() -> None:
    assert normalize_for_index(" 9135 0200 mA2y ", IndexKind.USCC) == "91350200MA2Y"
    assert normalize_for_index("  Zhang   SAN ", IndexKind.TEXT) == "zhang san"
    assert normalize_for_index("ＡＢＣ", IndexKind.TEXT) == "abc"
    for empty in ("", "   ", "\u3000"):
        with pytest.raises(ValueError, match="empty") as info:
            normalize_for_index(empty, IndexKind.CITIZEN_ID)
        assert empty.strip() == "" and str(info.value) == "cannot index an empty value"
