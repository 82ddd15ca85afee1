"""Tests for access.crypto.keys: generation, storage with 0600 files, rotation, JWKS, hygiene."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import pickle
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from access.crypto.keys import (
    DataKey,
    IndexKey,
    KeyRing,
    KeyStoreError,
    SigningAlgorithm,
    SigningKey,
    UnknownKeyError,
    is_valid_kid,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _private_strings(ring: KeyRing) -> list[str]:
    """Every encoding of private material a careless repr could leak."""
    secrets: list[str] = []
    for key in ring.signing_keys:
        d = str(key.jose_key().as_dict(private=True)["d"])
        secrets += [d, base64.urlsafe_b64decode(d + "=" * (-len(d) % 4)).hex()]
    for raw in [k._secret for k in ring.data_keys] + [ring.index_key._secret]:
        secrets += [
            raw.hex(),
            base64.urlsafe_b64encode(raw).decode().rstrip("="),
            base64.b64encode(raw).decode().rstrip("="),
            repr(raw),
        ]
    return secrets


@pytest.mark.parametrize("alg", list(SigningAlgorithm))
def test_generate_and_public_jwks(alg: SigningAlgorithm) -> None:
    ring = KeyRing.generate(signing_alg=alg)
    jwks = ring.public_jwks()
    assert len(jwks["keys"]) == 1
    jwk = jwks["keys"][0]
    assert jwk["kid"] == ring.active_signing_key.kid
    assert jwk["alg"] == alg.value
    assert jwk["use"] == "sig"
    assert jwk["kty"] == ("EC" if alg is SigningAlgorithm.ES256 else "OKP")
    assert not {"d", "p", "q", "k"} & set(jwk)
    # The kid is the RFC 7638 thumbprint: recompute it independently.
    members = ("crv", "kty", "x", "y") if jwk["kty"] == "EC" else ("crv", "kty", "x")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    assert jwk["kid"] == base64.urlsafe_b64encode(digest).decode().rstrip("=")


def test_reprs_and_strs_hold_no_private_material() -> None:
    ring = KeyRing.generate()
    ring.rotate_signing_key(SigningAlgorithm.ED25519)
    ring.rotate_data_key()
    objects: list[object] = [ring, *ring.signing_keys, *ring.data_keys, ring.index_key]
    texts = [f(o) for o in objects for f in (repr, str)]
    texts.append(json.dumps(ring.public_jwks()))
    for secret in _private_strings(ring):
        for text in texts:
            assert secret not in text


@pytest.mark.parametrize(
    "make",
    [SigningKey.generate, DataKey.generate, IndexKey.generate],
    ids=["signing", "data", "index"],
)
def test_keys_refuse_pickling(make: object) -> None:
    key = make()  # type: ignore[operator]
    with pytest.raises(TypeError):
        pickle.dumps(key)


def test_load_or_create_writes_owner_only_files_and_reloads(tmp_path: Path) -> None:
    directory = tmp_path / "keys-dir"
    first = KeyRing.load_or_create(directory)
    assert _mode(directory) == 0o700
    files = [p for p in directory.rglob("*.json")]
    assert len(files) == 4  # manifest + signing + data + index
    for path in files:
        assert _mode(path) == 0o600, path
    second = KeyRing.load_or_create(directory)
    assert second.active_signing_key.kid == first.active_signing_key.kid
    assert second.active_data_key.kid == first.active_data_key.kid
    assert second.index_key.kid == first.index_key.kid
    assert second.public_jwks() == first.public_jwks()
    assert second.directory == directory


def test_first_run_is_race_free(tmp_path: Path) -> None:
    directory = tmp_path / "shared"
    with ThreadPoolExecutor(max_workers=6) as pool:
        rings = list(pool.map(lambda _: KeyRing.load_or_create(directory), range(6)))
    assert len({r.active_signing_key.kid for r in rings}) == 1
    assert len({r.active_data_key.kid for r in rings}) == 1


def test_rotation_keeps_old_keys_and_persists(tmp_path: Path) -> None:
    ring = KeyRing.load_or_create(tmp_path / "k")
    old_sig, old_data = ring.active_signing_key, ring.active_data_key
    new_sig = ring.rotate_signing_key()
    new_data = ring.rotate_data_key()
    assert ring.active_signing_key is new_sig and new_sig.kid != old_sig.kid
    assert new_sig.alg is old_sig.alg
    assert ring.active_data_key is new_data and new_data.kid != old_data.kid
    assert ring.signing_key(old_sig.kid) is old_sig
    assert ring.data_key(old_data.kid) is old_data
    assert [k["kid"] for k in ring.public_jwks()["keys"]] == [new_sig.kid, old_sig.kid]

    reloaded = KeyRing.load(tmp_path / "k")
    assert reloaded.active_signing_key.kid == new_sig.kid
    assert reloaded.active_data_key.kid == new_data.kid
    assert {k.kid for k in reloaded.signing_keys} == {old_sig.kid, new_sig.kid}
    assert {k.kid for k in reloaded.data_keys} == {old_data.kid, new_data.kid}
    for path in (tmp_path / "k").rglob("*.json"):
        assert _mode(path) == 0o600


def test_rotation_can_switch_algorithm() -> None:
    ring = KeyRing.generate()
    key = ring.rotate_signing_key(SigningAlgorithm.ED25519)
    assert key.alg is SigningAlgorithm.ED25519
    assert {k["alg"] for k in ring.public_jwks()["keys"]} == {"ES256", "Ed25519"}


def test_save_binds_an_in_memory_ring(tmp_path: Path) -> None:
    ring = KeyRing.generate()
    assert ring.directory is None
    ring.save(tmp_path / "saved")
    ring.rotate_data_key()
    assert KeyRing.load(tmp_path / "saved").active_data_key.kid == ring.active_data_key.kid


def test_unknown_kids() -> None:
    ring = KeyRing.generate()
    with pytest.raises(UnknownKeyError) as info:
        ring.signing_key("nope")
    assert info.value.code == "UNKNOWN_KEY"
    with pytest.raises(UnknownKeyError):
        ring.data_key(ring.active_signing_key.kid)


def test_load_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError) as info:
        KeyRing.load(tmp_path / "absent")
    assert info.value.code == "KEY_STORE_MISSING"
    assert info.value.message and info.value.message_en


def test_load_refuses_group_readable_key_file(tmp_path: Path) -> None:
    ring = KeyRing.load_or_create(tmp_path / "k")
    path = tmp_path / "k" / "keys" / f"{ring.active_data_key.kid}.json"
    os.chmod(path, 0o644)
    with pytest.raises(KeyStoreError) as info:
        KeyRing.load(tmp_path / "k")
    assert info.value.code == "KEY_STORE_PERMISSIONS"
    assert "0600" in info.value.message_en


@pytest.mark.parametrize(
    "damage",
    ["not json", json.dumps(["a list"]), json.dumps({"kid": "x"})],
)
def test_load_refuses_corrupt_key_file(tmp_path: Path, damage: str) -> None:
    ring = KeyRing.load_or_create(tmp_path / "k")
    path = tmp_path / "k" / "keys" / f"{ring.active_signing_key.kid}.json"
    path.write_text(damage)
    with pytest.raises(KeyStoreError) as info:
        KeyRing.load(tmp_path / "k")
    assert info.value.code == "KEY_STORE_CORRUPT"
    # The message names the file but never echoes its content.
    assert damage not in str(info.value)


def test_load_refuses_a_signing_key_that_does_not_match_its_kid(tmp_path: Path) -> None:
    ring = KeyRing.load_or_create(tmp_path / "k")
    kid = ring.active_signing_key.kid
    path = tmp_path / "k" / "keys" / f"{kid}.json"
    record = json.loads(path.read_text())
    other = SigningKey.generate().jose_key().as_dict(private=True)
    record["jwk"] = dict(other)
    path.write_text(json.dumps(record))
    with pytest.raises(KeyStoreError) as info:
        KeyRing.load(tmp_path / "k")
    assert info.value.code == "KEY_STORE_CORRUPT"


def test_load_refuses_manifest_naming_a_missing_key(tmp_path: Path) -> None:
    ring = KeyRing.load_or_create(tmp_path / "k")
    (tmp_path / "k" / "keys" / f"{ring.active_data_key.kid}.json").unlink()
    with pytest.raises(KeyStoreError) as info:
        KeyRing.load(tmp_path / "k")
    assert info.value.code == "KEY_STORE_CORRUPT"


def test_kid_rules() -> None:
    assert is_valid_kid("dk-0123abcd")
    assert is_valid_kid("A_b-9")
    for bad in ("", "a.b", "a b", "x" * 65, "é", None, 5):
        assert not is_valid_kid(bad)
    with pytest.raises(ValueError, match="kid"):
        DataKey(kid="a.b", created=KeyRing.generate().active_data_key.created, secret=b"\0" * 32)


def test_secret_keys_have_32_bytes() -> None:
    created = KeyRing.generate().active_data_key.created
    with pytest.raises(ValueError, match="32"):
        DataKey(kid="dk-x", created=created, secret=b"\0" * 16)
    with pytest.raises(ValueError, match="32"):
        IndexKey(kid="ix-x", created=created, secret=b"\0" * 31)


def test_refresh_picks_up_another_process_rotation(tmp_path: Path) -> None:
    mine = KeyRing.load_or_create(tmp_path / "k")
    other = KeyRing.load(tmp_path / "k")
    new = other.rotate_data_key()
    with pytest.raises(UnknownKeyError):
        mine.data_key(new.kid)
    assert mine.refresh() is True
    assert mine.active_data_key.kid == new.kid
    assert mine.refresh() is False
    assert KeyRing.generate().refresh() is False
