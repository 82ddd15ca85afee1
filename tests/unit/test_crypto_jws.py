"""Tests for access.crypto.jws: signing, the trust store (跨域互认) and every verification error."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jws as jose_jws
from joserfc.jwk import RSAKey

from access.crypto.jws import JwsError, TrustStore, sign_compact, verify_compact
from access.crypto.keys import KeyRing, SigningAlgorithm

OURS = "https://irs.xm.gov.cn"
THEIRS = "https://hub.fz.gov.cn"
NOW = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _segments(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")

    def pad(s: str) -> str:
        return s + "=" * (-len(s) % 4)

    return (
        json.loads(base64.urlsafe_b64decode(pad(header))),
        json.loads(base64.urlsafe_b64decode(pad(payload))),
        signature,
    )


def _forge(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    return ".".join(
        (_b64u(json.dumps(header).encode()), _b64u(json.dumps(claims).encode()), _b64u(signature))
    )


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing.generate()


@pytest.fixture
def trust(ring: KeyRing) -> TrustStore:
    return TrustStore.for_keyring(OURS, ring)


def _expect(code: str, token: str, trust: TrustStore, **kwargs: Any) -> JwsError:
    with pytest.raises(JwsError) as info:
        verify_compact(token, trust, now=NOW, **kwargs)
    assert info.value.code == code, info.value
    assert info.value.message and info.value.message_en
    return info.value


@pytest.mark.parametrize("alg", list(SigningAlgorithm))
def test_sign_and_verify(alg: SigningAlgorithm) -> None:
    ring = KeyRing.generate(signing_alg=alg)
    token = sign_compact({"sub": "x", "n": 1}, ring.active_signing_key, issuer=OURS, typ="irs+jwt")
    header, claims, _ = _segments(token)
    assert header == {"alg": alg.value, "kid": ring.active_signing_key.kid, "typ": "irs+jwt"}
    assert claims == {"sub": "x", "n": 1, "iss": OURS}
    verified = verify_compact(
        token, TrustStore.for_keyring(OURS, ring), expected_issuer=OURS, expected_typ="irs+jwt"
    )
    assert (verified.issuer, verified.kid, verified.alg) == (OURS, header["kid"], alg.value)
    assert verified.claims == claims
    assert "sub" not in repr(verified)


def test_cty_and_typ_comparison(ring: KeyRing, trust: TrustStore) -> None:
    token = sign_compact({}, ring.active_signing_key, issuer=OURS, typ="vc+jwt", cty="vc")
    assert _segments(token)[0]["cty"] == "vc"
    verify_compact(token, trust, expected_typ="application/VC+JWT")
    _expect("JWS_WRONG_TYPE", token, trust, expected_typ="vp+jwt")


def test_unicode_claims_round_trip(ring: KeyRing, trust: TrustStore) -> None:
    token = sign_compact({"名称": "营业执照"}, ring.active_signing_key, issuer=OURS, typ="t")
    assert verify_compact(token, trust).claims["名称"] == "营业执照"


def test_sign_rejects_conflicting_iss_and_non_json(ring: KeyRing) -> None:
    with pytest.raises(ValueError, match="iss"):
        sign_compact({"iss": THEIRS}, ring.active_signing_key, issuer=OURS, typ="t")
    with pytest.raises(ValueError, match="JSON"):
        sign_compact({"x": object()}, ring.active_signing_key, issuer=OURS, typ="t")
    with pytest.raises(ValueError, match="JSON"):
        sign_compact({"x": float("nan")}, ring.active_signing_key, issuer=OURS, typ="t")


def test_rotation_old_signatures_still_verify(ring: KeyRing) -> None:
    old = sign_compact({}, ring.active_signing_key, issuer=OURS, typ="t")
    ring.rotate_signing_key()
    new = sign_compact({}, ring.active_signing_key, issuer=OURS, typ="t")
    trust = TrustStore.for_keyring(OURS, ring)  # the republished JWKS
    assert verify_compact(old, trust).kid != verify_compact(new, trust).kid


def test_unknown_kid(ring: KeyRing, trust: TrustStore) -> None:
    ring.rotate_signing_key()  # the trust store still holds the JWKS from before
    token = sign_compact({}, ring.active_signing_key, issuer=OURS, typ="t")
    err = _expect("JWS_UNKNOWN_KID", token, trust)
    assert ring.active_signing_key.kid in err.detail


def test_unknown_issuer(ring: KeyRing, trust: TrustStore) -> None:
    token = sign_compact({}, ring.active_signing_key, issuer=THEIRS, typ="t")
    _expect("JWS_UNKNOWN_ISSUER", token, trust)


def test_bad_signature_on_tampered_payload(ring: KeyRing, trust: TrustStore) -> None:
    token = sign_compact({"fields": ["name"]}, ring.active_signing_key, issuer=OURS, typ="t")
    header, _, signature = token.split(".")
    forged_claims = _b64u(json.dumps({"fields": ["name", "id"], "iss": OURS}).encode())
    err = _expect("JWS_BAD_SIGNATURE", f"{header}.{forged_claims}.{signature}", trust)
    assert "fields" not in str(err)


def test_bad_signature_on_tampered_signature(ring: KeyRing, trust: TrustStore) -> None:
    token = sign_compact({}, ring.active_signing_key, issuer=OURS, typ="t")
    head, _, sig = token.rpartition(".")
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    _expect("JWS_BAD_SIGNATURE", f"{head}.{flipped}", trust)


def test_cross_region_trust() -> None:
    ours, theirs = KeyRing.generate(), KeyRing.generate(signing_alg=SigningAlgorithm.ED25519)
    trust = TrustStore.for_keyring(OURS, ours)
    trust.add_issuer(THEIRS, theirs.public_jwks())
    assert trust.issuers == {OURS, THEIRS}
    foreign = sign_compact({"x": 1}, theirs.active_signing_key, issuer=THEIRS, typ="t")
    assert verify_compact(foreign, trust).issuer == THEIRS
    _expect("JWS_WRONG_ISSUER", foreign, trust, expected_issuer=OURS)
    # A region cannot sign in our name: its kid is not in our key set.
    impostor = sign_compact({}, theirs.active_signing_key, issuer=OURS, typ="t")
    _expect("JWS_UNKNOWN_KID", impostor, trust)
    trust.remove_issuer(THEIRS)
    _expect("JWS_UNKNOWN_ISSUER", foreign, trust)


def test_kid_collision_across_issuers_is_resolved_per_issuer() -> None:
    ours, theirs = KeyRing.generate(), KeyRing.generate()
    kid = ours.active_signing_key.kid
    their_jwk = dict(theirs.public_jwks()["keys"][0], kid=kid)
    trust = TrustStore.for_keyring(OURS, ours)
    trust.add_issuer(THEIRS, {"keys": [their_jwk]})
    # Our token relabelled as theirs: the same kid now names their key, so it fails.
    token = sign_compact({}, ours.active_signing_key, issuer=OURS, typ="t")
    header, _, signature = token.split(".")
    relabelled = f"{header}.{_b64u(json.dumps({'iss': THEIRS}).encode())}.{signature}"
    _expect("JWS_BAD_SIGNATURE", relabelled, trust)


def test_expiry_and_not_before(ring: KeyRing, trust: TrustStore) -> None:
    exp = int((NOW - timedelta(minutes=5)).timestamp())
    expired = sign_compact({"exp": exp}, ring.active_signing_key, issuer=OURS, typ="t")
    _expect("JWS_EXPIRED", expired, trust)
    verify_compact(expired, trust, now=NOW, leeway=timedelta(minutes=10))
    nbf = int((NOW + timedelta(minutes=5)).timestamp())
    early = sign_compact({"nbf": nbf}, ring.active_signing_key, issuer=OURS, typ="t")
    _expect("JWS_NOT_YET_VALID", early, trust)
    verify_compact(early, trust, now=NOW + timedelta(minutes=5))
    bad = sign_compact({"exp": "tomorrow"}, ring.active_signing_key, issuer=OURS, typ="t")
    _expect("JWS_MALFORMED", bad, trust)
    with pytest.raises(ValueError, match="timezone"):
        verify_compact(expired, trust, now=datetime(2025, 1, 1))


def test_alg_none_is_rejected(ring: KeyRing, trust: TrustStore) -> None:
    token = _forge({"alg": "none", "kid": ring.active_signing_key.kid}, {"iss": OURS})
    _expect("JWS_UNSUPPORTED_ALG", token, trust)


def test_hmac_with_the_public_key_is_rejected(ring: KeyRing, trust: TrustStore) -> None:
    """The classic algorithm-confusion forgery: HS256 keyed with the published public key."""
    jwk = ring.public_jwks()["keys"][0]
    header = {"alg": "HS256", "kid": jwk["kid"]}
    signing_input = (
        f"{_b64u(json.dumps(header).encode())}.{_b64u(json.dumps({'iss': OURS}).encode())}"
    )
    mac = hmac.new(json.dumps(jwk).encode(), signing_input.encode(), hashlib.sha256).digest()
    _expect("JWS_UNSUPPORTED_ALG", f"{signing_input}.{_b64u(mac)}", trust)


def test_alg_must_match_the_key(trust: TrustStore) -> None:
    ed = KeyRing.generate(signing_alg=SigningAlgorithm.ED25519)
    token = sign_compact({}, ed.active_signing_key, issuer=OURS, typ="t")
    _, payload, signature = token.split(".")
    es_kid = trust.jwks(OURS)["keys"][0]["kid"]
    relabelled = _b64u(json.dumps({"alg": "Ed25519", "kid": es_kid}).encode())
    _expect("JWS_UNSUPPORTED_ALG", f"{relabelled}.{payload}.{signature}", trust)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "!!!.e30.AA",
        _forge({"alg": "ES256", "kid": "k"}, {"iss": OURS}, b"x").replace(".", "..", 1),
    ],
)
def test_malformed_tokens(token: str, trust: TrustStore) -> None:
    _expect("JWS_MALFORMED", token, trust)


def test_malformed_payloads(ring: KeyRing, trust: TrustStore) -> None:
    kid = ring.active_signing_key.kid
    header = _b64u(json.dumps({"alg": "ES256", "kid": kid}).encode())
    for payload in (b"not json", b"[1,2]", b'{"no":"iss"}'):
        _expect("JWS_MALFORMED", f"{header}.{_b64u(payload)}.AAAA", trust)
    no_kid = _forge({"alg": "ES256"}, {"iss": OURS}, b"\0" * 64)
    _expect("JWS_MALFORMED", no_kid, trust)
    unencoded = _forge({"alg": "ES256", "kid": kid, "b64": False, "crit": ["b64"]}, {"iss": OURS})
    _expect("JWS_MALFORMED", unencoded, trust)


def test_trust_store_accepts_only_public_signing_keys(ring: KeyRing) -> None:
    trust = TrustStore()
    public = ring.public_jwks()["keys"][0]
    private = dict(ring.active_signing_key.jose_key().as_dict(private=True))
    cases: list[tuple[object, str]] = [
        ({}, "JWS_MALFORMED"),
        ({"keys": []}, "JWS_MALFORMED"),
        ({"keys": [private]}, "JWS_MALFORMED"),
        ({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "h"}]}, "JWS_MALFORMED"),
        ({"keys": [dict(public, use="enc")]}, "JWS_MALFORMED"),
        ({"keys": [dict(public, alg="HS256")]}, "JWS_UNSUPPORTED_ALG"),
        ({"keys": [{k: v for k, v in public.items() if k != "kid"}]}, "JWS_MALFORMED"),
        ({"keys": [public, public]}, "JWS_MALFORMED"),
        ({"keys": [dict(public, x="AAAA")]}, "JWS_MALFORMED"),
        ({"keys": ["not an object"]}, "JWS_MALFORMED"),
    ]
    for jwks, code in cases:
        with pytest.raises(JwsError) as info:
            trust.add_issuer(THEIRS, jwks)  # type: ignore[arg-type]
        assert info.value.code == code, jwks
        assert "d" not in info.value.detail.split() and str(private["d"]) not in str(info.value)
    assert trust.issuers == frozenset()


def test_trust_store_rejects_short_rsa_and_accepts_rs256() -> None:
    numbers = rsa.generate_private_key(65537, 1024).public_key().public_numbers()  # noqa: S505 - must be refused
    short = {
        "kty": "RSA",
        "kid": "r",
        "n": _b64u(numbers.n.to_bytes(128, "big")),
        "e": _b64u(numbers.e.to_bytes(3, "big")),
    }
    trust = TrustStore()
    with pytest.raises(JwsError, match="too short"):
        trust.add_issuer(THEIRS, {"keys": [short]})
    long_private = RSAKey.generate_key(2048, private=True)
    trust.add_issuer(THEIRS, {"keys": [dict(long_private.as_dict(private=False), kid="r")]})
    token = jose_jws.serialize_compact(
        {"alg": "RS256", "kid": "r"},
        json.dumps({"iss": THEIRS}),
        long_private,
        algorithms=["RS256"],
    )
    assert verify_compact(token, trust).alg == "RS256"


def test_trust_store_repr_and_jwks(ring: KeyRing, trust: TrustStore) -> None:
    assert repr(trust) == f"TrustStore({{{OURS!r}: 1 keys}})"
    assert trust.jwks(OURS)["keys"][0]["kid"] == ring.active_signing_key.kid
    with pytest.raises(JwsError):
        trust.jwks(THEIRS)


def test_errors_never_contain_claims(ring: KeyRing, trust: TrustStore) -> None:
    secret = "350203199001011234"
    token = sign_compact(
        {"holder": secret, "exp": 1}, ring.active_signing_key, issuer=OURS, typ="t"
    )
    err = _expect("JWS_EXPIRED", token, trust)
    for text in (str(err), repr(err), err.detail, err.message, err.message_en):
        assert secret not in text
