"""Signed checkpoints (access.audit.checkpoint): C2SP signed-note compatibility (the Go
reference implementation's published key and signature), round trips and tampering."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access.audit.checkpoint import (
    Checkpoint,
    key_id,
    parse_checkpoint_text,
    parse_verifier_key,
    sign_checkpoint,
    split_note,
    verifier_key,
    verify_checkpoint,
)
from access.audit.errors import CheckpointSignatureError, InvalidCheckpoint
from access.audit.merkle import EMPTY_ROOT, leaf_hash

DETERMINISTIC = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow],
)

# golang.org/x/mod/sumdb/note: the documented example key, text and signed note
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SEED = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"  # 0x01 ‖ Ed25519 seed
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIG = (
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)

ORIGIN = "xiamen.gov.cn/irs/audit"
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
WHEN = datetime(2025, 5, 1, 8, 0, 0, tzinfo=UTC)


def head(size: int = 1048576, **changes: object) -> Checkpoint:
    fields: dict[str, object] = {
        "origin": ORIGIN,
        "size": size,
        "root": leaf_hash(b"root"),
        "time": WHEN,
    }
    fields.update(changes)
    return Checkpoint(**fields)  # type: ignore[arg-type]


def test_note_signatures_match_the_go_reference_byte_for_byte() -> None:
    name, public = parse_verifier_key(GO_VKEY)
    assert name == "PeterNeumann"
    assert key_id(name, public).hex() == "c74f20a3"
    assert verifier_key(name, public) == GO_VKEY
    private = Ed25519PrivateKey.from_private_bytes(base64.b64decode(GO_SEED)[1:])
    blob = key_id(name, private.public_key()) + private.sign(GO_TEXT.encode())
    assert base64.b64encode(blob).decode() == GO_SIG
    text, sigs = split_note(f"{GO_TEXT}\n\u2014 PeterNeumann {GO_SIG}\n")
    assert text == GO_TEXT and sigs == [("PeterNeumann", blob)]


def test_checkpoint_text_is_the_tlog_checkpoint_format() -> None:
    note = sign_checkpoint(head(), private_key=KEY)
    body, _, sig = note.partition("\n\n")
    root = base64.b64encode(leaf_hash(b"root")).decode()
    assert body == f"{ORIGIN}\n1048576\n{root}\ntime 2025-05-01T08:00:00Z"
    assert sig.startswith(f"\u2014 {ORIGIN} ") and sig.endswith("\n")
    blob = base64.b64decode(sig.split(" ")[2])
    assert blob[:4] == key_id(ORIGIN, KEY.public_key()) and len(blob) == 68
    assert sign_checkpoint(head(), private_key=KEY) == note  # Ed25519 is deterministic


@DETERMINISTIC
@given(
    size=st.integers(min_value=0, max_value=2**63 - 1),
    root=st.binary(min_size=32, max_size=32),
    seconds=st.integers(min_value=0, max_value=253402300799),
)
def test_sign_then_verify_round_trips(size: int, root: bytes, seconds: int) -> None:
    root = EMPTY_ROOT if size == 0 else root
    checkpoint = head(size, root=root, time=datetime.fromtimestamp(seconds, UTC))
    note = sign_checkpoint(checkpoint, private_key=KEY)
    assert verify_checkpoint(note, KEY.public_key()) == checkpoint
    assert verify_checkpoint(note.encode(), KEY.public_key(), origin=ORIGIN) == checkpoint
    assert parse_checkpoint_text(checkpoint.note_text()) == checkpoint


def test_time_zones_are_normalized_to_utc() -> None:
    local = head(time=datetime(2025, 5, 1, 16, tzinfo=timezone(timedelta(hours=8))))
    again = verify_checkpoint(sign_checkpoint(local, private_key=KEY), KEY.public_key())
    assert again.time == WHEN and again.time.tzinfo == UTC


def _tamper_cases(note: str) -> list[str]:
    body, _, sig = note.partition("\n\n")
    origin, size, root, time = body.split("\n")
    other_root = base64.b64encode(leaf_hash(b"other")).decode()
    return [
        note.replace(f"\n{size}\n", f"\n{int(size) - 1}\n"),
        note.replace(root, other_root),
        note.replace(time, "time 2025-05-01T08:00:01Z"),
        note.replace(f"{origin}\n", "evil.example/log\n", 1),
        f"{origin}\n{size}\n{root}\n{time}\nextra line\n\n{sig}",
    ]


def test_any_change_to_the_signed_text_is_rejected() -> None:
    note = sign_checkpoint(head(), private_key=KEY)
    for forged in _tamper_cases(note):
        with pytest.raises((CheckpointSignatureError, InvalidCheckpoint)):
            verify_checkpoint(forged, KEY.public_key(), key_name=ORIGIN)


def test_a_flipped_signature_bit_is_rejected() -> None:
    note = sign_checkpoint(head(), private_key=KEY)
    body, _, sig = note.partition("\n\n")
    blob = bytearray(base64.b64decode(sig.split(" ")[2]))
    for at in (4, 20, 67):
        forged_blob = bytearray(blob)
        forged_blob[at] ^= 1
        line = f"\u2014 {ORIGIN} {base64.b64encode(bytes(forged_blob)).decode()}\n"
        with pytest.raises(CheckpointSignatureError, match="does not verify"):
            verify_checkpoint(f"{body}\n\n{line}", KEY.public_key())


def test_other_keys_are_not_trusted_and_unknown_signatures_are_ignored() -> None:
    other = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    note = sign_checkpoint(head(), private_key=KEY)
    with pytest.raises(CheckpointSignatureError, match="no signature by the trusted key"):
        verify_checkpoint(note, other.public_key())
    # a witness cosignature line (another name) is ignored, in either order
    witness = sign_checkpoint(head(), private_key=other, key_name="witness.example/w1")
    witness_line = witness.partition("\n\n")[2]
    assert verify_checkpoint(note + witness_line, KEY.public_key()) == head()
    body, _, own_line = note.partition("\n\n")
    assert verify_checkpoint(f"{body}\n\n{witness_line}{own_line}", KEY.public_key()) == head()
    # signed by the right key under another name: not the log's signature
    renamed = sign_checkpoint(head(), private_key=KEY, key_name="other.example/log")
    with pytest.raises(CheckpointSignatureError):
        verify_checkpoint(renamed, KEY.public_key())
    assert verify_checkpoint(renamed, KEY.public_key(), key_name="other.example/log") == head()


def test_the_origin_can_be_pinned() -> None:
    note = sign_checkpoint(head(origin="test.example/log"), private_key=KEY)
    with pytest.raises(InvalidCheckpoint, match="not 'xiamen"):
        verify_checkpoint(note, KEY.public_key(), origin=ORIGIN)


@pytest.mark.parametrize(
    "note",
    [
        "",
        "no signatures\n",
        "text\n\n",
        "text\n\nnot a signature line\n",
        "text\n\n\u2014 name !!!notbase64\n",
        "text\n\n\u2014 name AAAA\n",  # too short to hold a key ID and a signature
        "text\n\n\u2014 na me AAAAAAAA\n",
        "text\r\n\n\u2014 name AAAAAAAA\n",  # control characters
        "text\n\n\u2014 name AAAAAAAA",  # no final newline
        "text\n\n" + "\u2014 name AAAAAAAA\n" * 101,
    ],
)
def test_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(InvalidCheckpoint):
        split_note(note)


@pytest.mark.parametrize(
    "text",
    [
        "log\n5\n{root}\n",  # no time line
        "log\n05\n{root}\ntime 2025-05-01T08:00:00Z\n",  # leading zero
        "log\n-5\n{root}\ntime 2025-05-01T08:00:00Z\n",
        "log\n5\n{short}\ntime 2025-05-01T08:00:00Z\n",  # 31-byte root
        "log\n5\n{root}\ntime 2025-05-01 08:00:00Z\n",
        "log\n5\n{root}\ntime 2025-02-30T08:00:00Z\n",
        "log\n5\n{root}\ntime 2025-05-01T08:00:00+08:00\n",
        "log\n5\n{root}\ntime 2025-05-01T08:00:00Z\nextension\n",
        "lo g\n5\n{root}\ntime 2025-05-01T08:00:00Z\n",
        "log+1\n5\n{root}\ntime 2025-05-01T08:00:00Z\n",
        "log\n5\n{unpadded}\ntime 2025-05-01T08:00:00Z\n",
    ],
)
def test_malformed_checkpoint_bodies_are_refused(text: str) -> None:
    root = base64.b64encode(leaf_hash(b"r")).decode()
    forged = text.format(
        root=root, short=base64.b64encode(bytes(31)).decode(), unpadded=root.rstrip("=")
    )
    with pytest.raises(InvalidCheckpoint):
        parse_checkpoint_text(forged)
    # even when properly signed, a malformed body is not a checkpoint
    blob = key_id("log", KEY.public_key()) + KEY.sign(forged.encode())
    note = f"{forged}\n\u2014 log {base64.b64encode(blob).decode()}\n"
    with pytest.raises(InvalidCheckpoint):
        verify_checkpoint(note, KEY.public_key(), key_name="log")


def test_checkpoint_values_are_validated() -> None:
    for bad in (
        {"origin": ""},
        {"origin": "has space"},
        {"size": -1},
        {"size": 2**63},
        {"root": b"short"},
        {"size": 0},  # the empty tree has one root
        {"time": datetime(2025, 5, 1, 8)},
        {"time": WHEN.replace(microsecond=5)},
    ):
        with pytest.raises(ValueError, match="must"):
            head(**bad)


def test_verifier_keys_are_checked() -> None:
    vkey = verifier_key(ORIGIN, KEY.public_key())
    assert parse_verifier_key(vkey)[0] == ORIGIN
    name, hint, material = vkey.split("+", 2)
    for bad in (
        f"{name}+00000000+{material}",
        f"{name}+{hint}+{material[:-4]}",
        f"{name}+{hint}+"
        + base64.b64encode(b"\x02" + KEY.public_key().public_bytes_raw()).decode(),
        "no-plus-signs",
    ):
        with pytest.raises(InvalidCheckpoint):
            parse_verifier_key(bad)
