"""Audit records and their canonical bytes — the leaves of the audit Merkle tree.

A leaf must be byte-for-byte reproducible by anyone holding the record, in any language, or a
holder could not check "my entry is in the log". So a record's bytes are its RFC 8785 (JSON
Canonicalization Scheme) serialization: sorted keys, no whitespace, minimal string escapes,
integers as plain decimals. Every key is always present (null / [] when unused), so each
record has exactly one encoding, and `"v"` versions the shape.

Why orjson and not a JCS library at run time: on this record shape — ASCII keys from a fixed
set, strings, integers below 2^53, booleans, null, lists of strings, no floats — orjson with
sorted keys emits exactly the JCS bytes, 50× faster than a pure-Python JCS (which a licensed
call would pay on every append). `tests/unit/test_audit_records.py` checks the equality against
the `rfc8785` reference implementation on generated records, and `from_canonical` refuses any
bytes that do not re-encode to themselves.

The record carries no plain personal data: the holder appears only as a blind index (a keyed
hash), responses and catalog objects only as SHA-256 digests, the rest are codes and ids.
Free-text fields are checked not to contain a citizen ID number.

Chaining: records are *not* hash-chained (no "prev hash" field). Order and completeness are
committed by the Merkle tree and `seq` (the record's leaf index, inside its bytes); see
`access/audit/verify.py` for what that lets a verifier pinpoint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Final, TypeVar

import orjson

from access.audit.errors import InvalidAuditRecord
from access.audit.merkle import leaf_hash
from catalog.codes import CodeError, validate_citizen_id

RECORD_VERSION: Final = 1
MAX_SAFE_INTEGER: Final = 2**53 - 1  # JCS numbers are IEEE doubles: larger ints lose digits
MAX_TEXT: Final = 512
MAX_LIST: Final = 256

_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
_BLIND_INDEX = re.compile(r"[A-Za-z0-9_-]{16,128}")  # hex or unpadded base64url of a MAC
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")  # control chars and lone surrogates
_ID_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_E = TypeVar("_E", bound=StrEnum)
_SEQ_KEY = b',"seq":'


class AuditKind(StrEnum):
    """What happened: one kind per decision or change that the log must witness."""

    LICENSED_CALL = "LICENSED_CALL"
    REQUEST_SUBMITTED = "REQUEST_SUBMITTED"
    REQUEST_APPROVED = "REQUEST_APPROVED"
    REQUEST_REFUSED = "REQUEST_REFUSED"
    GRANT_CHANGED = "GRANT_CHANGED"
    GRANT_REVOKED = "GRANT_REVOKED"
    CONSENT_GIVEN = "CONSENT_GIVEN"
    CONSENT_WITHDRAWN = "CONSENT_WITHDRAWN"
    CONSENT_USED = "CONSENT_USED"
    CATALOG_CHANGED = "CATALOG_CHANGED"


class AuditDecision(StrEnum):
    """The policy's answer, for kinds that carry one."""

    ALLOW = "ALLOW"
    DENY = "DENY"


_FIELDS: Final = (
    "v",
    "seq",
    "time",
    "kind",
    "actor",
    "resource",
    "holder_blind_index",
    "purpose",
    "matter",
    "decision",
    "reasons",
    "fields_released",
    "response_digest",
    "request_id",
    "grant_id",
    "consent_id",
    "before_digest",
    "after_digest",
)
# where a person might type something personal (codes and ids are checked by their format)
_FREE_TEXT: Final = frozenset({"purpose", "reasons", "fields_released"})


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditRecord:
    """One entry of the audit log (validated on construction; see the module docstring).

    `seq` is the leaf index the log assigns (0-based, gap-free); `time` is when the decision
    was made (UTC, microseconds). Ids and codes identify, digests (64 lowercase hex SHA-256)
    pin content without revealing it, `holder_blind_index` stands for the e-license holder."""

    seq: int
    time: datetime
    kind: AuditKind
    actor: str
    resource: str | None = None
    holder_blind_index: str | None = None
    purpose: str | None = None
    matter: str | None = None
    decision: AuditDecision | None = None
    reasons: tuple[str, ...] = ()
    fields_released: tuple[str, ...] = ()
    response_digest: str | None = None
    request_id: str | None = None
    grant_id: str | None = None
    consent_id: str | None = None
    before_digest: str | None = None
    after_digest: str | None = None

    def __post_init__(self) -> None:
        _validate(self)

    def at(self, seq: int) -> AuditRecord:
        """This record as leaf `seq`. Only `seq` is checked: every other field was validated
        when this record was made, so a caller that validated a draft early (a licensed call,
        before its shared commit) is not charged for the same checks again when the log
        places it."""
        _check_seq(seq)
        placed = object.__new__(AuditRecord)
        for name in _RECORD_SLOTS:
            object.__setattr__(placed, name, getattr(self, name))
        object.__setattr__(placed, "seq", seq)
        return placed

    def to_json(self) -> dict[str, object]:
        """The JSON object whose JCS form is the record's leaf (all keys, fixed shape)."""
        return {
            "v": RECORD_VERSION,
            "seq": self.seq,
            "time": format_time(self.time),
            "kind": self.kind.value,
            "actor": self.actor,
            "resource": self.resource,
            "holder_blind_index": self.holder_blind_index,
            "purpose": self.purpose,
            "matter": self.matter,
            "decision": None if self.decision is None else self.decision.value,
            "reasons": list(self.reasons),
            "fields_released": list(self.fields_released),
            "response_digest": self.response_digest,
            "request_id": self.request_id,
            "grant_id": self.grant_id,
            "consent_id": self.consent_id,
            "before_digest": self.before_digest,
            "after_digest": self.after_digest,
        }

    def canonical_bytes(self) -> bytes:
        """RFC 8785 (JCS) bytes of the record: what the Merkle leaf hashes and the store keeps."""
        encoded = orjson.dumps(self.to_json(), option=orjson.OPT_SORT_KEYS)
        # orjson's result keeps its ~4 KiB write buffer allocated; a compact copy (0.3 µs) keeps
        # a batch or a verifier holding many records from using 7× the memory
        return bytes(memoryview(encoded))

    def leaf_hash(self) -> bytes:
        """The record's Merkle leaf hash, SHA-256(0x00 || canonical bytes)."""
        return leaf_hash(self.canonical_bytes())

    @classmethod
    def from_canonical(cls, data: bytes) -> AuditRecord:
        """Parse stored leaf bytes back into a record, refusing anything that is not exactly
        the canonical encoding of a valid record (so two byte strings never mean one record)."""
        try:
            obj = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise InvalidAuditRecord("not JSON") from None
        if not isinstance(obj, dict) or tuple(sorted(obj)) != tuple(sorted(_FIELDS)):
            raise InvalidAuditRecord("not the audit record shape")
        if obj["v"] != RECORD_VERSION:
            raise InvalidAuditRecord("unknown record version")
        record = cls(
            seq=_int(obj["seq"], "seq"),
            time=_parse_time(obj["time"]),
            kind=_enum(AuditKind, obj["kind"], "kind"),
            actor=_str(obj["actor"], "actor"),
            resource=_opt_str(obj["resource"], "resource"),
            holder_blind_index=_opt_str(obj["holder_blind_index"], "holder_blind_index"),
            purpose=_opt_str(obj["purpose"], "purpose"),
            matter=_opt_str(obj["matter"], "matter"),
            decision=(
                None
                if obj["decision"] is None
                else _enum(AuditDecision, obj["decision"], "decision")
            ),
            reasons=_str_list(obj["reasons"], "reasons"),
            fields_released=_str_list(obj["fields_released"], "fields_released"),
            response_digest=_opt_str(obj["response_digest"], "response_digest"),
            request_id=_opt_str(obj["request_id"], "request_id"),
            grant_id=_opt_str(obj["grant_id"], "grant_id"),
            consent_id=_opt_str(obj["consent_id"], "consent_id"),
            before_digest=_opt_str(obj["before_digest"], "before_digest"),
            after_digest=_opt_str(obj["after_digest"], "after_digest"),
        )
        if record.canonical_bytes() != data:
            raise InvalidAuditRecord("bytes are not in canonical (RFC 8785) form")
        return record


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditDraft:
    """An audit record before the log has placed it: every field but `seq`.

    Why separate: only the log, holding its head lock, knows the next seq, while the caller
    knows everything else. Validation happens in `at` (when the record is made), so a bad draft
    fails inside the append, before anything is written."""

    time: datetime
    kind: AuditKind
    actor: str
    resource: str | None = None
    holder_blind_index: str | None = None
    purpose: str | None = None
    matter: str | None = None
    decision: AuditDecision | None = None
    reasons: tuple[str, ...] = ()
    fields_released: tuple[str, ...] = ()
    response_digest: str | None = None
    request_id: str | None = None
    grant_id: str | None = None
    consent_id: str | None = None
    before_digest: str | None = None
    after_digest: str | None = None

    def at(self, seq: int) -> AuditRecord:
        """The record this draft becomes as leaf `seq` (raises `InvalidAuditRecord`)."""
        return AuditRecord(
            seq=seq,
            time=self.time,
            kind=self.kind,
            actor=self.actor,
            resource=self.resource,
            holder_blind_index=self.holder_blind_index,
            purpose=self.purpose,
            matter=self.matter,
            decision=self.decision,
            reasons=self.reasons,
            fields_released=self.fields_released,
            response_digest=self.response_digest,
            request_id=self.request_id,
            grant_id=self.grant_id,
            consent_id=self.consent_id,
            before_digest=self.before_digest,
            after_digest=self.after_digest,
        )


# ---- validation ---------------------------------------------------------------------------------


_RECORD_SLOTS: Final = tuple(AuditRecord.__slots__)


def _check_seq(seq: object) -> None:
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= MAX_SAFE_INTEGER:
        raise InvalidAuditRecord("seq must be an integer in [0, 2^53)")


def _validate(r: AuditRecord) -> None:
    """Domain checks on every record; on the write path of every licensed call, so the text
    checks run once over all fields joined (a space cannot hide or create what they look for)
    and only a failure goes back field by field to name the culprit."""
    _check_seq(r.seq)
    if not isinstance(r.time, datetime) or r.time.utcoffset() is None:
        raise InvalidAuditRecord("time must be a timezone-aware datetime")
    if not isinstance(r.kind, AuditKind):
        raise InvalidAuditRecord("kind must be an AuditKind")
    if r.decision is not None and not isinstance(r.decision, AuditDecision):
        raise InvalidAuditRecord("decision must be an AuditDecision")
    for name, items in (("reasons", r.reasons), ("fields_released", r.fields_released)):
        if not isinstance(items, tuple) or len(items) > MAX_LIST:
            raise InvalidAuditRecord(f"{name} must be a tuple of at most {MAX_LIST} strings")
    texts: list[object] = [r.actor, *(v for _, v in _optional_texts(r) if v is not None)]
    texts += r.reasons
    texts += r.fields_released
    for value in texts:
        if not isinstance(value, str) or not value or len(value) > MAX_TEXT:
            name = next(n for n, v in _named_texts(r) if v is value)
            raise InvalidAuditRecord(f"{name} must be a non-empty string of at most {MAX_TEXT}")
    if _CONTROL.search(" ".join(texts)):  # type: ignore[arg-type]  # all str: checked above
        name = next(n for n, v in _named_texts(r) if _CONTROL.search(v))
        raise InvalidAuditRecord(f"{name} holds control characters or lone surrogates")
    for name, digest in (
        ("response_digest", r.response_digest),
        ("before_digest", r.before_digest),
        ("after_digest", r.after_digest),
    ):
        if digest is not None and not (isinstance(digest, str) and _HEX_DIGEST.fullmatch(digest)):
            raise InvalidAuditRecord(f"{name} must be 64 lowercase hex digits (SHA-256)")
    blind = r.holder_blind_index
    if blind is not None and not (isinstance(blind, str) and _BLIND_INDEX.fullmatch(blind)):
        raise InvalidAuditRecord("holder_blind_index must be a hex or base64url keyed hash")
    free = (
        [*r.reasons, *r.fields_released]
        if r.purpose is None
        else [r.purpose, *r.reasons, *r.fields_released]
    )
    if free and _holds_citizen_id(" ".join(free)):
        name = next(n for n, v in _named_texts(r) if n in _FREE_TEXT and _holds_citizen_id(v))
        raise InvalidAuditRecord(f"{name} looks like it holds a citizen ID number")


def _named_texts(r: AuditRecord) -> list[tuple[str, str]]:
    """Every text field with its name, to name the culprit once a check failed."""
    return [
        ("actor", r.actor),
        *((n, v) for n, v in _optional_texts(r) if v is not None),
        *(("reasons", v) for v in r.reasons),
        *(("fields_released", v) for v in r.fields_released),
    ]


def _optional_texts(r: AuditRecord) -> tuple[tuple[str, str | None], ...]:
    return (
        ("resource", r.resource),
        ("purpose", r.purpose),
        ("matter", r.matter),
        ("request_id", r.request_id),
        ("grant_id", r.grant_id),
        ("consent_id", r.consent_id),
    )


def loggable_text(text: str) -> bool:
    """Whether free text can go into a record as it is: non-empty, short, no control
    characters, no citizen ID number (a cheap check of one field before a record is made)."""
    return 0 < len(text) <= MAX_TEXT and not _CONTROL.search(text) and not _holds_citizen_id(text)


def _holds_citizen_id(text: str) -> bool:
    for match in _ID_CANDIDATE.finditer(text):
        try:
            validate_citizen_id(match.group())
        except CodeError:
            continue
        return True
    return False


# ---- strict parsing helpers ---------------------------------------------------------------------


def _int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAuditRecord(f"{name} must be an integer")
    return value


def _str(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise InvalidAuditRecord(f"{name} must be a string")
    return value


def _opt_str(value: object, name: str) -> str | None:
    return None if value is None else _str(value, name)


def _str_list(value: object, name: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise InvalidAuditRecord(f"{name} must be a list")
    return tuple(_str(item, name) for item in value)


def _enum(cls: type[_E], value: object, name: str) -> _E:
    try:
        return cls(_str(value, name))
    except ValueError:
        raise InvalidAuditRecord(f"unknown {name}") from None


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with exactly six fractional digits and `Z`: one spelling per instant."""
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    return naive.isoformat(timespec="microseconds") + "Z"


def _parse_time(value: object) -> datetime:
    text = _str(value, "time")
    try:
        moment = datetime.fromisoformat(text.removesuffix("Z")).replace(tzinfo=UTC)
    except ValueError:
        moment = None
    if moment is None or format_time(moment) != text:
        raise InvalidAuditRecord("time must be RFC 3339 UTC with microseconds and Z")
    return moment


def record_seq(data: bytes) -> int:
    """The `seq` inside stored record bytes, cheaply (the verifier reads a million of them):
    -1 when it cannot be read, so a mangled row counts as out of place.

    A byte scan, not a JSON parse: in JCS output a bare `"` occurs only at string boundaries
    (inside strings it is escaped), and only top-level keys are followed by `:`, so `,"seq":`
    occurs exactly once in a canonical record. The seq is an untrusted hint for locating
    tampering; full validation is `AuditRecord.from_canonical`."""
    at = data.find(_SEQ_KEY)
    if at < 0 or data.find(_SEQ_KEY, at + 1) >= 0:
        return -1
    start = at + len(_SEQ_KEY)
    digits = data[start : data.find(b",", start)]
    if not digits.isdigit() or len(digits) > 16 or (digits[:1] == b"0" and len(digits) > 1):
        return -1
    return int(digits)
