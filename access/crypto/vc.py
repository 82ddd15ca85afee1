"""W3C Verifiable Credentials 2.0 secured with JOSE (the ``vc+jwt`` media type).

Why: the response of a licensed call is the holder's e-license as a VC 2.0 credential: a
standard shape other regions' hubs and wallets understand, signed so that anyone with our JWKS
can verify it offline, and pointing at a Bitstring Status List so a revocation reaches them.

Securing follows "Securing Verifiable Credentials using JOSE and COSE": the JWS payload is the
credential itself, header ``typ: vc+jwt`` and ``cty: vc``, and no ``vc``/``vp`` claims. We add
the JWT claims that generic JOSE verifiers act on, with values that cannot conflict with the
credential: ``iss`` = the issuer's id, ``nbf``/``exp`` = ``validFrom``/``validUntil`` (whole
seconds), ``iat`` = signing time and ``jti`` = the credential ``id`` if it has one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from access.crypto._vcdm import VC_V2_CONTEXT, rfc3339_seconds
from access.crypto.jws import JwsError, TrustStore, sign_compact, verify_compact
from access.crypto.keys import SigningKey
from access.crypto.status_list import StatusPurpose, status_list_entry

__all__ = [
    "VC_CTY",
    "VC_JWT_TYP",
    "VC_V2_CONTEXT",
    "StatusRef",
    "VerifiedCredential",
    "build_credential",
    "credential_issuer",
    "rfc3339_seconds",
    "sign_credential",
    "verify_credential",
]

VC_JWT_TYP: Final = "vc+jwt"
VC_CTY: Final = "vc"
_JWT_CLAIMS: Final = ("iss", "iat", "nbf", "exp", "jti")
_FORBIDDEN_CLAIMS: Final = ("vc", "vp")
_DEFAULT_LEEWAY: Final = timedelta(seconds=60)


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusRef:
    """Where a credential's status bit lives: the status-list credential URL and the index."""

    list_url: str
    index: int
    purpose: StatusPurpose = "revocation"


def build_credential(
    *,
    issuer: str,
    subject: Mapping[str, Any],
    valid_from: datetime,
    valid_until: datetime | None = None,
    types: Sequence[str] = (),
    status: StatusRef | None = None,
    credential_id: str | None = None,
    contexts: Sequence[str] = (),
) -> dict[str, Any]:
    """Build an (unsigned) VC 2.0 credential.

    Why a builder: the data model has ordering and typing rules that are easy to get subtly
    wrong (the v2 context first, ``VerifiableCredential`` first in ``type``, dateTimeStamps
    with a zone, ``statusListIndex`` as a string); every credential the hub issues comes from
    here. ``subject`` is copied as given (the caller has already reduced it to allowed fields).

    Args:
        issuer: the issuer's id, a URL (e.g. ``https://irs.xm.gov.cn``).
        subject: the ``credentialSubject`` members (e.g. the allowed 照面 fields).
        valid_from / valid_until: the validity period (timezone-aware).
        types: extra types after ``VerifiableCredential`` (e.g. ``"ELicenseCredential"``).
        status: the revocation bit, rendered as a ``BitstringStatusListEntry``.
        credential_id: the credential's ``id`` URL, if it has one.
        contexts: extra JSON-LD contexts after the v2 context.
    """
    if not isinstance(issuer, str) or ":" not in issuer:
        raise ValueError("issuer must be a URL")
    valid_from_text = rfc3339_seconds(valid_from)  # refuses naive datetimes first
    valid_until_text = None if valid_until is None else rfc3339_seconds(valid_until)
    # Same fixed-width UTC format, so text order is time order (after rounding to seconds).
    if valid_until_text is not None and valid_until_text <= valid_from_text:
        raise ValueError("validUntil must be after validFrom")
    credential: dict[str, Any] = {"@context": [VC_V2_CONTEXT, *contexts]}
    if credential_id is not None:
        credential["id"] = credential_id
    credential["type"] = [
        "VerifiableCredential",
        *(t for t in types if t != "VerifiableCredential"),
    ]
    credential["issuer"] = issuer
    credential["validFrom"] = valid_from_text
    if valid_until_text is not None:
        credential["validUntil"] = valid_until_text
    credential["credentialSubject"] = dict(subject)
    if status is not None:
        credential["credentialStatus"] = status_list_entry(
            status_list_credential=status.list_url, index=status.index, purpose=status.purpose
        )
    return credential


def credential_issuer(credential: Mapping[str, Any]) -> str:
    """The issuer id of a credential (``issuer`` is a URL or an object with an ``id``)."""
    issuer = credential.get("issuer")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    if not isinstance(issuer, str) or not issuer:
        raise ValueError("credential has no issuer id")
    return issuer


def _epoch(value: object, name: str) -> int:
    """Seconds since the epoch of an RFC 3339 credential time."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be an RFC 3339 string")
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{name} must carry a time zone")
    return int(moment.timestamp())


def sign_credential(
    credential: Mapping[str, Any], key: SigningKey, *, now: datetime | None = None
) -> str:
    """Secure ``credential`` as a ``vc+jwt`` compact JWS with ``key``.

    Why ``now``: ``iat`` comes from it, so tests and benchmarks are reproducible.

    Raises:
        ValueError: the credential lacks the v2 context, an issuer, or a valid ``validFrom``,
            or already carries JWT claims of its own.
    """
    contexts = credential.get("@context")
    if not isinstance(contexts, list) or not contexts or contexts[0] != VC_V2_CONTEXT:
        raise ValueError("a VC 2.0 credential lists the v2 context first")
    if any(name in credential for name in (*_JWT_CLAIMS, *_FORBIDDEN_CLAIMS)):
        raise ValueError("the credential must not carry JWT claims itself")
    issuer = credential_issuer(credential)
    moment = now or datetime.now(UTC)
    claims: dict[str, Any] = dict(credential)
    claims["iat"] = int(moment.timestamp())
    if "validFrom" in credential:
        claims["nbf"] = _epoch(credential["validFrom"], "validFrom")
    if "validUntil" in credential:
        claims["exp"] = _epoch(credential["validUntil"], "validUntil")
    if isinstance(credential.get("id"), str):
        claims["jti"] = credential["id"]
    return sign_compact(claims, key, issuer=issuer, typ=VC_JWT_TYP, cty=VC_CTY)


@dataclass(frozen=True, slots=True)
class VerifiedCredential:
    """A verified credential: who issued it, with which key, and the credential itself."""

    issuer: str
    kid: str
    credential: dict[str, Any] = field(repr=False)  # holds personal data: kept out of repr


def verify_credential(
    token: str,
    trust: TrustStore,
    *,
    expected_issuer: str | None = None,
    now: datetime | None = None,
    leeway: timedelta = _DEFAULT_LEEWAY,
) -> VerifiedCredential:
    """Verify a ``vc+jwt`` credential signed by a trusted issuer (ours or another region's).

    Why beyond :func:`verify_compact`: the credential's own ``issuer`` must be the signer, it
    must be a VC 2.0 credential, and ``validFrom``/``validUntil`` are checked even if a foreign
    issuer left out ``nbf``/``exp``. The status bit is not checked here (it needs the fetched
    status list: see :class:`access.crypto.status_list.StatusList`).

    Raises:
        JwsError: any verification failure (``JWS_MALFORMED`` for a payload that is not a
            VC 2.0 credential, ``JWS_WRONG_ISSUER`` when ``issuer`` differs from the signer).
    """
    verified = verify_compact(
        token,
        trust,
        expected_issuer=expected_issuer,
        expected_typ=VC_JWT_TYP,
        now=now,
        leeway=leeway,
    )
    claims = verified.claims
    contexts = claims.get("@context")
    if not isinstance(contexts, list) or not contexts or contexts[0] != VC_V2_CONTEXT:
        raise JwsError("JWS_MALFORMED", "payload is not a VC 2.0 credential")
    types = claims.get("type")
    if not isinstance(types, list) or "VerifiableCredential" not in types:
        raise JwsError("JWS_MALFORMED", "payload is not a VerifiableCredential")
    if any(name in claims for name in _FORBIDDEN_CLAIMS):
        raise JwsError("JWS_MALFORMED", "vc/vp claims are not allowed")
    try:
        issuer = credential_issuer(claims)
        valid_from = _epoch(claims["validFrom"], "validFrom") if "validFrom" in claims else None
        valid_until = _epoch(claims["validUntil"], "validUntil") if "validUntil" in claims else None
    except ValueError:
        raise JwsError("JWS_MALFORMED", "bad issuer or validity period") from None
    if issuer != verified.issuer:
        raise JwsError("JWS_WRONG_ISSUER", "credential issuer differs from the signer")
    moment = (now or datetime.now(UTC)).timestamp()
    slack = leeway.total_seconds()
    if valid_until is not None and moment >= valid_until + slack:
        raise JwsError("JWS_EXPIRED", "validUntil has passed")
    if valid_from is not None and moment < valid_from - slack:
        raise JwsError("JWS_NOT_YET_VALID", "validFrom is in the future")
    credential = {k: v for k, v in claims.items() if k not in _JWT_CLAIMS}
    return VerifiedCredential(issuer=issuer, kid=verified.kid, credential=credential)
