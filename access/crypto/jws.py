"""JWS (RFC 7515) compact signatures of the hub's responses, and their verification.

Why: a licensed call's response must be checkable by anyone, offline, with nothing but the
published JWKS — including by other regions' hubs (跨域互认), which in turn send us credentials
signed with their keys. The JOSE work is done by ``joserfc`` (a maintained, typed JOSE library);
this module only fixes the policy around it. Signing, on every licensed call, joins the three
base64url segments itself (RFC 7515 §7.1, with the protected header encoded once per key) and
leaves the signature to joserfc's algorithm: the same bytes, without the generic path's header
checks and encodings that cost more than the ES256 signature.

* signing: protected header ``{"alg", "kid", "typ"[, "cty"]}``, JSON claims with ``iss`` set
  to the issuer id, so a verifier can find the issuer's key set;
* verification: the issuer comes from the ``iss`` claim and must be in the :class:`TrustStore`;
  the key is looked up by ``kid`` *within that issuer's* JWKS (kids of different issuers may
  collide); the algorithm must be on an allow-list and match the key (no "none", no HMAC, no
  algorithm confusion); then ``typ``, expected issuer and ``exp``/``nbf`` are checked.

Every failure is a :class:`JwsError` with a stable ``code`` and bilingual message; the payload
(which may hold personal data) never appears in an error.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

import orjson
from joserfc import jws as jose_jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, JWKRegistry, OKPKey, RSAKey

from access.crypto.keys import KeyRing, SigningKey

__all__ = [
    "VERIFY_ALGORITHMS",
    "JwsError",
    "JwsErrorCode",
    "TrustStore",
    "VerifiedJws",
    "sign_compact",
    "verify_compact",
]

#: Algorithms accepted from trusted issuers: ours (ES256, Ed25519) and common asymmetric ones.
VERIFY_ALGORITHMS: Final = ("ES256", "ES384", "Ed25519", "RS256", "PS256")
_PRIVATE_MEMBERS: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_MAX_TOKEN_LEN: Final = 1 << 20
_DEFAULT_LEEWAY: Final = timedelta(seconds=60)
_MIN_RSA_BITS: Final = 2048
_STRICT_JSON: Final = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

JwsErrorCode = Literal[
    "JWS_MALFORMED",
    "JWS_UNSUPPORTED_ALG",
    "JWS_UNKNOWN_ISSUER",
    "JWS_UNKNOWN_KID",
    "JWS_BAD_SIGNATURE",
    "JWS_WRONG_ISSUER",
    "JWS_WRONG_TYPE",
    "JWS_EXPIRED",
    "JWS_NOT_YET_VALID",
]

_MESSAGES: Final[dict[JwsErrorCode, tuple[str, str]]] = {
    "JWS_MALFORMED": ("签名数据格式错误", "the signed data is malformed"),
    "JWS_UNSUPPORTED_ALG": (
        "签名算法不受支持或与密钥不符",
        "the signature algorithm is not accepted",
    ),
    "JWS_UNKNOWN_ISSUER": ("签发方不在信任列表中", "the issuer is not trusted"),
    "JWS_UNKNOWN_KID": ("签发方的公钥集中没有该密钥", "the issuer has no key with this key id"),
    "JWS_BAD_SIGNATURE": (
        "签名验证失败：数据可能被篡改",
        "bad signature: the data may have been altered",
    ),
    "JWS_WRONG_ISSUER": ("签发方与预期不符", "the issuer is not the expected one"),
    "JWS_WRONG_TYPE": (
        "签名数据类型（typ）与预期不符",
        "the signed data has an unexpected type (typ)",
    ),
    "JWS_EXPIRED": ("签名数据已过期", "the signed data has expired"),
    "JWS_NOT_YET_VALID": ("签名数据尚未生效", "the signed data is not valid yet"),
}


def _safe(text: object, limit: int = 80) -> str:
    """A printable, bounded rendering of an untrusted identifier (issuer, kid) for ``detail``."""
    shown = "".join(c if c.isprintable() else "?" for c in str(text))
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


class JwsError(Exception):
    """A signature could not be verified or a key set could not be trusted.

    Why typed: ``irs verify`` prints the bilingual message, the hub maps ``code`` to a GraphQL
    problem, and tests assert on ``code``. ``detail`` names issuer/kid/alg (never claims).
    """

    code: JwsErrorCode
    message: str
    message_en: str
    detail: str

    def __init__(self, code: JwsErrorCode, detail: str = "") -> None:
        """Look up the fixed messages of ``code``; ``detail`` is for logs."""
        self.code = code
        self.message, self.message_en = _MESSAGES[code]
        self.detail = detail
        super().__init__(f"{self.message_en} ({detail})" if detail else self.message_en)

    def __reduce__(self) -> tuple[type[JwsError], tuple[JwsErrorCode, str]]:
        """Keep the error picklable."""
        return (type(self), (self.code, self.detail))


_PublicKey = ECKey | OKPKey | RSAKey


def _rsa_bits(modulus: object) -> int:
    """Bit length of a JWK's base64url RSA modulus ``n`` (0 if it is not decodable)."""
    if not isinstance(modulus, str):
        return 0
    try:
        raw = base64.urlsafe_b64decode(modulus + "=" * (-len(modulus) % 4))
    except (binascii.Error, ValueError):
        return 0
    return int.from_bytes(raw, "big").bit_length()


class TrustStore:
    """Public key sets of the issuers whose signatures we accept, keyed by issuer id.

    Why: 跨域互认 — the hub trusts its own JWKS and those of other regions' issuers that an
    administrator added; nothing else. Adding an issuer again replaces its key set (their
    rotation), removing it revokes trust.
    """

    def __init__(self) -> None:
        """An empty store (trusts nobody)."""
        self._issuers: dict[str, dict[str, _PublicKey]] = {}

    @classmethod
    def for_keyring(cls, issuer: str, keyring: KeyRing) -> TrustStore:
        """A store trusting only our own issuer id with our key ring's public keys."""
        store = cls()
        store.add_issuer(issuer, keyring.public_jwks())
        return store

    def add_issuer(self, issuer: str, jwks: Mapping[str, Any]) -> None:
        """Trust ``issuer``'s signing keys from its JWK Set (RFC 7517 ``{"keys": [...]}``).

        Raises:
            JwsError: ``JWS_MALFORMED`` if the set is not a public signing key set (private
                members, symmetric keys, missing/duplicate kids, ``use`` other than ``sig``,
                an ``alg`` we do not accept); nothing is added then.
        """
        if not isinstance(issuer, str) or not issuer:
            raise ValueError("issuer must be a non-empty str")
        keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
        if not isinstance(keys, list) or not keys:
            raise JwsError("JWS_MALFORMED", f"JWKS of {_safe(issuer)} has no keys")
        parsed: dict[str, _PublicKey] = {}
        for jwk in keys:
            kid, key = self._parse_jwk(issuer, jwk)
            if kid in parsed:
                raise JwsError("JWS_MALFORMED", f"duplicate kid {_safe(kid)} for {_safe(issuer)}")
            parsed[kid] = key
        self._issuers[issuer] = parsed

    @staticmethod
    def _parse_jwk(issuer: str, jwk: object) -> tuple[str, _PublicKey]:
        """Validate and import one public JWK."""
        where = f"JWKS of {_safe(issuer)}"
        if not isinstance(jwk, Mapping):
            raise JwsError("JWS_MALFORMED", f"{where}: a key is not an object")
        kid = jwk.get("kid")
        if not isinstance(kid, str) or not kid:
            raise JwsError("JWS_MALFORMED", f"{where}: a key has no kid")
        if _PRIVATE_MEMBERS & set(jwk):
            raise JwsError("JWS_MALFORMED", f"{where}: key {_safe(kid)} is private or symmetric")
        if jwk.get("use", "sig") != "sig":
            raise JwsError("JWS_MALFORMED", f"{where}: key {_safe(kid)} is not for signatures")
        alg = jwk.get("alg")
        if alg is not None and alg not in VERIFY_ALGORITHMS:
            raise JwsError("JWS_UNSUPPORTED_ALG", f"{where}: key {_safe(kid)} alg {_safe(alg)}")
        if jwk.get("kty") not in ("EC", "OKP", "RSA"):
            raise JwsError("JWS_MALFORMED", f"{where}: key {_safe(kid)} has an unsupported kty")
        if jwk.get("kty") == "RSA" and _rsa_bits(jwk.get("n")) < _MIN_RSA_BITS:
            # Checked before import: joserfc only warns about short RSA keys.
            raise JwsError("JWS_MALFORMED", f"{where}: RSA key {_safe(kid)} is too short")
        try:
            key = JWKRegistry.import_key(dict(jwk))
        except (JoseError, ValueError, TypeError):
            raise JwsError("JWS_MALFORMED", f"{where}: key {_safe(kid)} is invalid") from None
        if not isinstance(key, ECKey | OKPKey | RSAKey) or key.is_private:
            raise JwsError("JWS_MALFORMED", f"{where}: key {_safe(kid)} is not a public key")
        return kid, key

    def remove_issuer(self, issuer: str) -> None:
        """Stop trusting ``issuer`` (no error if it was not trusted)."""
        self._issuers.pop(issuer, None)

    @property
    def issuers(self) -> frozenset[str]:
        """The trusted issuer ids."""
        return frozenset(self._issuers)

    def jwks(self, issuer: str) -> dict[str, list[dict[str, Any]]]:
        """The public JWK Set held for ``issuer`` (e.g. to republish or audit it)."""
        try:
            keys = self._issuers[issuer]
        except KeyError:
            raise JwsError("JWS_UNKNOWN_ISSUER", _safe(issuer)) from None
        return {"keys": [dict(k.as_dict(private=False)) for k in keys.values()]}

    def key(self, issuer: str, kid: str) -> _PublicKey:
        """The trusted public key ``kid`` of ``issuer``."""
        try:
            keys = self._issuers[issuer]
        except KeyError:
            raise JwsError("JWS_UNKNOWN_ISSUER", _safe(issuer)) from None
        try:
            return keys[kid]
        except KeyError:
            raise JwsError("JWS_UNKNOWN_KID", f"{_safe(issuer)} kid {_safe(kid)}") from None

    def __repr__(self) -> str:
        """Issuer ids and key counts."""
        inner = ", ".join(f"{i!r}: {len(k)} keys" for i, k in sorted(self._issuers.items()))
        return f"TrustStore({{{inner}}})"


@dataclass(frozen=True, slots=True)
class VerifiedJws:
    """The outcome of a successful verification: who signed, with which key, and what."""

    issuer: str
    kid: str
    alg: str
    header: dict[str, Any] = field(repr=False)
    claims: dict[str, Any] = field(repr=False)  # may hold personal data: kept out of repr


def _registry(alg: str) -> jose_jws.JWSRegistry:
    """A registry allowing exactly ``alg``, lenient about extra header members (other issuers
    may add their own), with room for large status-list payloads."""
    registry = jose_jws.JWSRegistry(algorithms=[alg], strict_check_header=False)
    registry.max_payload_length = _MAX_TOKEN_LEN
    return registry


# Built once: registries are not mutated while in use. Extraction only uses size limits.
_REGISTRIES: Final = {alg: _registry(alg) for alg in VERIFY_ALGORITHMS}
_EXTRACT_REGISTRY: Final = _REGISTRIES[VERIFY_ALGORITHMS[0]]


def sign_compact(
    claims: Mapping[str, Any],
    key: SigningKey,
    *,
    issuer: str,
    typ: str,
    cty: str | None = None,
) -> str:
    """Sign ``claims`` as a JWS compact serialization with ``key``.

    Why ``issuer`` is required: verifiers find the key set by the ``iss`` claim, so every token
    we produce must carry it. An ``iss`` already in ``claims`` must equal ``issuer``.

    Raises:
        ValueError: ``claims`` has a different ``iss`` or is not JSON-serializable.
    """
    if claims.get("iss", issuer) != issuer:
        raise ValueError("claims carry a different iss than the issuer")
    payload = _claims_json({**claims, "iss": issuer})
    alg = key.alg.value
    signing_input = _protected_segment(alg, key.kid, typ, cty) + b"." + _b64url(payload)
    signature = _REGISTRIES[alg].get_alg(alg).sign(signing_input, key.jose_key())
    return (signing_input + b"." + _b64url(signature)).decode("ascii")


@functools.lru_cache(maxsize=64)
def _protected_segment(alg: str, kid: str, typ: str, cty: str | None) -> bytes:
    """The encoded protected header, the same for every token of one key and type (so a
    licensed call does not encode it again). The compact form around it is RFC 7515 §7.1;
    the signature itself is joserfc's algorithm."""
    header: dict[str, Any] = {"alg": alg, "kid": kid, "typ": typ}
    if cty is not None:
        header["cty"] = cty
    return _b64url(json.dumps(header, separators=(",", ":")).encode("utf-8"))


def _b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _claims_json(body: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON of the claims; ValueError for anything JSON cannot carry.

    orjson encodes a licensed call's credential ~20x faster than the json module, but writes
    NaN and infinities as null and natively encodes datetimes and dataclasses: those are
    passed through (so they are refused, as JSON has no such values), and a document with a
    null is encoded again by the json module, which refuses non-finite numbers. Integers
    beyond 64 bits are refused too (no claim of ours is one)."""
    try:
        payload = orjson.dumps(body, option=_STRICT_JSON)
        if b"null" in payload:
            json.dumps(body, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise ValueError(f"claims are not JSON-serializable ({type(err).__name__})") from None
    return payload


def _same_typ(actual: object, expected: str) -> bool:
    """RFC 7515 §4.1.9: ``typ`` compares case-insensitively, "application/" may be omitted."""
    if not isinstance(actual, str):
        return False

    def norm(t: str) -> str:
        t = t.lower()
        return t.removeprefix("application/")

    return norm(actual) == norm(expected)


def _numeric_date(claims: Mapping[str, Any], name: str) -> datetime | None:
    """A NumericDate claim as an aware datetime, or None when absent."""
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise JwsError("JWS_MALFORMED", f"claim {name} is not a NumericDate")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise JwsError("JWS_MALFORMED", f"claim {name} is out of range") from None


def verify_compact(
    token: str,
    trust: TrustStore,
    *,
    expected_issuer: str | None = None,
    expected_typ: str | None = None,
    now: datetime | None = None,
    leeway: timedelta = _DEFAULT_LEEWAY,
) -> VerifiedJws:
    """Verify a JWS compact serialization against the trusted issuers' keys.

    Why this order: everything used to pick the key (``iss``, ``kid``, ``alg``) is read from the
    unverified token but only ever *selects* among keys an administrator trusted; the signature
    is checked before any claim is believed; then the caller's expectations and the validity
    period (``exp``/``nbf`` with ``leeway`` for clock skew).

    Raises:
        JwsError: ``code`` says why (malformed, unsupported alg, unknown issuer or kid, bad
            signature, wrong issuer or type, expired, not yet valid).
    """
    if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_LEN:
        raise JwsError("JWS_MALFORMED", "not a compact JWS string")
    try:
        unverified = jose_jws.extract_compact(token.encode("ascii"), registry=_EXTRACT_REGISTRY)
    except (JoseError, ValueError, UnicodeEncodeError):
        raise JwsError("JWS_MALFORMED", "not a compact JWS") from None
    header = dict(unverified.headers())
    alg, kid = header.get("alg"), header.get("kid")
    if "b64" in header or not token.split(".")[1]:
        raise JwsError("JWS_MALFORMED", "unencoded or detached payloads are not accepted")
    if alg not in VERIFY_ALGORITHMS:
        raise JwsError("JWS_UNSUPPORTED_ALG", f"alg {_safe(alg)}")
    if not isinstance(kid, str) or not kid:
        raise JwsError("JWS_MALFORMED", "no kid in the protected header")
    try:
        claims = json.loads(unverified.payload)
    except (ValueError, UnicodeDecodeError):
        raise JwsError("JWS_MALFORMED", "payload is not JSON") from None
    if not isinstance(claims, dict):
        raise JwsError("JWS_MALFORMED", "payload is not a JSON object")
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise JwsError("JWS_MALFORMED", "no iss claim")

    key = trust.key(issuer, kid)
    if key.alg is not None and key.alg != alg:
        raise JwsError("JWS_UNSUPPORTED_ALG", f"kid {_safe(kid)} is for {key.alg}, not {alg}")
    try:
        valid = jose_jws.validate_compact(unverified, key, registry=_REGISTRIES[alg])
    except JoseError:
        raise JwsError("JWS_UNSUPPORTED_ALG", f"alg {alg} does not fit key {_safe(kid)}") from None
    if not valid:
        raise JwsError("JWS_BAD_SIGNATURE", f"{_safe(issuer)} kid {_safe(kid)}")

    if expected_issuer is not None and issuer != expected_issuer:
        raise JwsError("JWS_WRONG_ISSUER", f"got {_safe(issuer)}")
    if expected_typ is not None and not _same_typ(header.get("typ"), expected_typ):
        raise JwsError("JWS_WRONG_TYPE", f"typ {_safe(header.get('typ'))}")
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    expires, not_before = _numeric_date(claims, "exp"), _numeric_date(claims, "nbf")
    if expires is not None and moment >= expires + leeway:
        raise JwsError("JWS_EXPIRED", f"exp {expires.isoformat()}")
    if not_before is not None and moment < not_before - leeway:
        raise JwsError("JWS_NOT_YET_VALID", f"nbf {not_before.isoformat()}")
    return VerifiedJws(issuer=issuer, kid=kid, alg=alg, header=header, claims=claims)
