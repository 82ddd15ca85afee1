"""Tests for access.crypto.vc: VC 2.0 credentials secured as vc+jwt, and their verification."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from access.crypto.jws import JwsError, TrustStore, sign_compact
from access.crypto.keys import KeyRing, SigningAlgorithm
from access.crypto.status_list import StatusList, status_list_credential
from access.crypto.vc import (
    VC_V2_CONTEXT,
    StatusRef,
    build_credential,
    sign_credential,
    verify_credential,
)

ISSUER = "https://irs.xm.gov.cn"
OTHER = "https://hub.fz.gov.cn"
T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
SUBJECT = {"证照名称": "食品经营许可证", "holderName": "厦门某某餐饮有限公司"}


def _credential(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "issuer": ISSUER,
        "subject": SUBJECT,
        "valid_from": T0,
        "valid_until": T0 + timedelta(days=365),
        "types": ["ELicenseCredential"],
        "status": StatusRef(list_url=f"{ISSUER}/status/1", index=94567),
        "credential_id": "urn:uuid:5f1c0e4e-1a4b-4d5e-9f00-000000000001",
    }
    args.update(overrides)
    return build_credential(**args)


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")

    def decode(s: str) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
        return result

    return decode(header), decode(payload)


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing.generate()


@pytest.fixture
def trust(ring: KeyRing) -> TrustStore:
    return TrustStore.for_keyring(ISSUER, ring)


def test_build_credential_shape() -> None:
    credential = _credential(contexts=["https://irs.xm.gov.cn/ns/elicense/v1"])
    assert credential == {
        "@context": [VC_V2_CONTEXT, "https://irs.xm.gov.cn/ns/elicense/v1"],
        "id": "urn:uuid:5f1c0e4e-1a4b-4d5e-9f00-000000000001",
        "type": ["VerifiableCredential", "ELicenseCredential"],
        "issuer": ISSUER,
        "validFrom": "2025-06-01T08:00:00Z",
        "validUntil": "2026-06-01T08:00:00Z",
        "credentialSubject": SUBJECT,
        "credentialStatus": {
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "94567",
            "statusListCredential": f"{ISSUER}/status/1",
        },
    }
    assert credential["credentialSubject"] is not SUBJECT  # copied


def test_build_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="URL"):
        _credential(issuer="irs")
    with pytest.raises(ValueError, match="after"):
        _credential(valid_until=T0)
    with pytest.raises(ValueError, match="timezone"):
        _credential(valid_from=datetime(2025, 6, 1))


def test_type_list_never_duplicates_the_base_type() -> None:
    assert _credential(types=["VerifiableCredential", "X"])["type"] == ["VerifiableCredential", "X"]


@pytest.mark.parametrize("alg", list(SigningAlgorithm))
def test_sign_and_verify(alg: SigningAlgorithm) -> None:
    ring = KeyRing.generate(signing_alg=alg)
    credential = _credential()
    token = sign_credential(credential, ring.active_signing_key, now=T0)
    header, claims = _parts(token)
    assert header == {
        "alg": alg.value,
        "kid": ring.active_signing_key.kid,
        "typ": "vc+jwt",
        "cty": "vc",
    }
    assert "vc" not in claims and "vp" not in claims
    assert claims["iss"] == ISSUER
    assert claims["iat"] == claims["nbf"] == int(T0.timestamp())
    assert claims["exp"] == int((T0 + timedelta(days=365)).timestamp())
    assert claims["jti"] == credential["id"]
    verified = verify_credential(
        token, TrustStore.for_keyring(ISSUER, ring), expected_issuer=ISSUER, now=T0
    )
    assert verified.credential == credential
    assert (verified.issuer, verified.kid) == (ISSUER, ring.active_signing_key.kid)
    assert "食品" not in repr(verified)


def test_issuer_object_form(ring: KeyRing, trust: TrustStore) -> None:
    credential = _credential()
    credential["issuer"] = {"id": ISSUER, "name": "厦门市数据管理局"}
    token = sign_credential(credential, ring.active_signing_key, now=T0)
    assert (
        verify_credential(token, trust, now=T0).credential["issuer"]["name"] == "厦门市数据管理局"
    )


def test_validity_period(ring: KeyRing, trust: TrustStore) -> None:
    token = sign_credential(_credential(), ring.active_signing_key, now=T0)
    with pytest.raises(JwsError) as info:
        verify_credential(token, trust, now=T0 + timedelta(days=366))
    assert info.value.code == "JWS_EXPIRED"
    with pytest.raises(JwsError) as info:
        verify_credential(token, trust, now=T0 - timedelta(hours=1))
    assert info.value.code == "JWS_NOT_YET_VALID"


def test_validity_is_checked_without_jwt_time_claims(ring: KeyRing, trust: TrustStore) -> None:
    """A foreign issuer may omit nbf/exp; validFrom/validUntil still rule."""
    credential = _credential()
    token = sign_compact(credential, ring.active_signing_key, issuer=ISSUER, typ="vc+jwt")
    assert verify_credential(token, trust, now=T0).issuer == ISSUER
    with pytest.raises(JwsError) as info:
        verify_credential(token, trust, now=T0 + timedelta(days=400))
    assert info.value.code == "JWS_EXPIRED"


def test_signer_must_be_the_credential_issuer(ring: KeyRing) -> None:
    other = KeyRing.generate()
    trust = TrustStore.for_keyring(ISSUER, ring)
    trust.add_issuer(OTHER, other.public_jwks())
    # OTHER signs (iss = OTHER) a credential that names us as its issuer.
    token = sign_compact(_credential(), other.active_signing_key, issuer=OTHER, typ="vc+jwt")
    with pytest.raises(JwsError) as info:
        verify_credential(token, trust, now=T0)
    assert info.value.code == "JWS_WRONG_ISSUER"


def test_cross_region_credential_verifies() -> None:
    ours, theirs = KeyRing.generate(), KeyRing.generate(signing_alg=SigningAlgorithm.ED25519)
    trust = TrustStore.for_keyring(ISSUER, ours)
    trust.add_issuer(OTHER, theirs.public_jwks())
    token = sign_credential(_credential(issuer=OTHER), theirs.active_signing_key, now=T0)
    assert verify_credential(token, trust, now=T0).issuer == OTHER
    with pytest.raises(JwsError) as info:
        verify_credential(token, trust, expected_issuer=ISSUER, now=T0)
    assert info.value.code == "JWS_WRONG_ISSUER"


@pytest.mark.parametrize(
    ("claims", "typ"),
    [
        (
            {
                "@context": ["https://www.w3.org/2018/credentials/v1"],
                "type": ["VerifiableCredential"],
            },
            "vc+jwt",
        ),
        ({"@context": [VC_V2_CONTEXT], "type": ["Other"]}, "vc+jwt"),
        ({"@context": [VC_V2_CONTEXT], "type": ["VerifiableCredential"], "vc": {}}, "vc+jwt"),
        ({"@context": [VC_V2_CONTEXT], "type": ["VerifiableCredential"], "validFrom": 5}, "vc+jwt"),
    ],
)
def test_non_vc2_payloads_are_malformed(
    ring: KeyRing, trust: TrustStore, claims: dict[str, Any], typ: str
) -> None:
    body = dict(claims, issuer=ISSUER)
    token = sign_compact(body, ring.active_signing_key, issuer=ISSUER, typ=typ)
    with pytest.raises(JwsError) as info:
        verify_credential(token, trust, now=T0)
    assert info.value.code == "JWS_MALFORMED"


def test_wrong_typ_is_rejected(ring: KeyRing, trust: TrustStore) -> None:
    token = sign_compact(_credential(), ring.active_signing_key, issuer=ISSUER, typ="JWT")
    with pytest.raises(JwsError) as info:
        verify_credential(token, trust, now=T0)
    assert info.value.code == "JWS_WRONG_TYPE"


def test_sign_refuses_non_vc2_or_jwt_claims(ring: KeyRing) -> None:
    with pytest.raises(ValueError, match="v2 context"):
        sign_credential({"@context": ["x"], "issuer": ISSUER}, ring.active_signing_key)
    with pytest.raises(ValueError, match="JWT claims"):
        sign_credential(dict(_credential(), exp=1), ring.active_signing_key)
    with pytest.raises(ValueError, match="issuer"):
        sign_credential({"@context": [VC_V2_CONTEXT]}, ring.active_signing_key)


def test_status_list_credential_is_signed_and_verified_like_any_other(
    ring: KeyRing, trust: TrustStore
) -> None:
    lst = StatusList()
    lst.set(94567)
    credential = status_list_credential(
        list_url=f"{ISSUER}/status/1", issuer=ISSUER, status_list=lst, valid_from=T0
    )
    token = sign_credential(credential, ring.active_signing_key, now=T0)
    verified = verify_credential(token, trust, now=T0)
    encoded = verified.credential["credentialSubject"]["encodedList"]
    issued = _credential()
    index = int(issued["credentialStatus"]["statusListIndex"])
    assert StatusList.decode(encoded).get(index)
