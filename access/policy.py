"""The policy port: the server gathers facts, the policy (Rego in `access/policies/`) decides.

Every licensed call and every approval goes through a `PolicyEngine`. The facts are typed here
and turned into the JSON the policy reads (`to_input`, documented by
`access/policies/call_input.schema.json`); the engine's answer is parsed back strictly, and any
failure to get a well-formed answer is `PolicyUnavailable`: the caller refuses (fail closed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol, TypeAlias

from catalog.model import Grade, SharingType
from catalog.principal import Role

# A JSON value as the policy reads it (read-only containers, so `list[str]` is a `JSON`).
JSON: TypeAlias = "bool | int | float | str | Sequence[JSON] | Mapping[str, JSON] | None"

CALL_DECISION = "data.irs.call.decision"
APPROVAL_DECISION = "data.irs.approval.decision"


class ResourceKind(StrEnum):
    """What a licensed call is for."""

    DATASET = "DATASET"
    CERTIFICATE_TYPE = "CERTIFICATE_TYPE"
    COMPONENT = "COMPONENT"


class ApprovalAction(StrEnum):
    """What a principal wants to do with a request item or grant."""

    SUBMIT = "submit"
    APPROVE = "approve"
    REFUSE = "refuse"
    REVOKE = "revoke"


class PolicyUnavailable(Exception):
    """The policy engine gave no usable decision (unreachable, timed out, undefined or malformed
    result). Callers refuse the operation: nothing is released without a decision.

    `detail` is for logs; it never carries the facts (they may hold personal data)."""

    code = "POLICY_UNAVAILABLE"
    message = "策略服务不可用，已拒绝（未释放任何数据）"
    message_en = "the policy service is unavailable; the request was refused and nothing released"

    def __init__(self, detail: str) -> None:
        super().__init__(f"{self.message_en}: {detail}")
        self.detail = detail


def rfc3339(moment: datetime) -> str:
    """`moment` as RFC 3339 in UTC (`...Z`); naive datetimes are refused (their zone is a guess)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("policy facts need timezone-aware datetimes")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, kw_only=True)
class Caller:
    """Who calls: the authenticated client."""

    client_id: str
    role: Role
    department: str | None = None

    def to_input(self) -> dict[str, JSON]:
        return {"client_id": self.client_id, "role": self.role.value, "department": self.department}


@dataclass(frozen=True, kw_only=True)
class CallResource:
    """What is called, as the catalog describes it."""

    kind: ResourceKind
    code: str
    owner: str
    sharing_type: SharingType
    grade: Grade
    personal: bool
    sensitive_fields: tuple[str, ...] = ()

    def to_input(self) -> dict[str, JSON]:
        return {
            "kind": self.kind.value,
            "code": self.code,
            "owner": self.owner,
            "sharing_type": self.sharing_type.value,
            "grade": self.grade.value,
            "personal": self.personal,
            "sensitive_fields": sorted(set(self.sensitive_fields)),
        }


@dataclass(frozen=True, kw_only=True)
class GrantFacts:
    """One grant as the policy sees it, with today's usage (valid_from ≤ now < valid_until)."""

    id: str
    caller: str
    resource_code: str
    fields: tuple[str, ...]
    purpose: str
    matters: tuple[str, ...]
    valid_from: datetime
    valid_until: datetime
    revoked: bool
    quota_per_day: int
    used_today: int
    max_grade: Grade
    unmasked_fields: tuple[str, ...] = ()

    def to_input(self) -> dict[str, JSON]:
        return {
            "id": self.id,
            "caller": self.caller,
            "resource_code": self.resource_code,
            "fields": list(self.fields),
            "purpose": self.purpose,
            "matters": list(self.matters),
            "valid_from": rfc3339(self.valid_from),
            "valid_until": rfc3339(self.valid_until),
            "revoked": self.revoked,
            "quota_per_day": self.quota_per_day,
            "used_today": self.used_today,
            "max_grade": self.max_grade.value,
            "unmasked_fields": list(self.unmasked_fields),
        }


@dataclass(frozen=True, kw_only=True)
class ConsentFacts:
    """The holder's consent (持证人授权) for one caller, certificate type and purpose."""

    caller: str
    certificate_type: str
    purpose: str
    valid_until: datetime
    used: bool = False
    revoked: bool = False

    def to_input(self) -> dict[str, JSON]:
        return {
            "caller": self.caller,
            "certificate_type": self.certificate_type,
            "purpose": self.purpose,
            "valid_until": rfc3339(self.valid_until),
            "used": self.used,
            "revoked": self.revoked,
        }


@dataclass(frozen=True, kw_only=True)
class CallFacts:
    """Everything the policy needs for one licensed call. `grants` holds only the caller's grants
    for this resource, so the facts do not grow with the store; `fields` empty means "all"."""

    now: datetime
    caller: Caller
    resource: CallResource
    purpose: str
    matter: str
    fields: tuple[str, ...] = ()
    grants: tuple[GrantFacts, ...] = ()
    consent: ConsentFacts | None = None

    def to_input(self) -> dict[str, JSON]:
        """The policy input (access/policies/call_input.schema.json)."""
        return {
            "now": rfc3339(self.now),
            "caller": self.caller.to_input(),
            "resource": self.resource.to_input(),
            "purpose": self.purpose,
            "matter": self.matter,
            "fields": list(dict.fromkeys(self.fields)),
            "grants": [g.to_input() for g in self.grants],
            "consent": None if self.consent is None else self.consent.to_input(),
        }


@dataclass(frozen=True, kw_only=True)
class ApprovalFacts:
    """Who wants to do what with a request item or grant, and what the resource is."""

    role: Role
    department: str | None
    action: ApprovalAction
    owner: str
    sharing_type: SharingType
    requester_department: str | None = None

    def to_input(self) -> dict[str, JSON]:
        item: dict[str, JSON] = {"owner": self.owner, "sharing_type": self.sharing_type.value}
        if self.requester_department is not None:
            item["requester_department"] = self.requester_department
        return {
            "principal": {"role": self.role.value, "department": self.department},
            "action": self.action.value,
            "item": item,
        }


@dataclass(frozen=True)
class Reason:
    """One failed condition: a stable code and the bilingual message the user reads."""

    code: str
    message: str
    message_en: str


@dataclass(frozen=True)
class Obligations:
    """What an allowed call may return: `fields`, of which `mask` must be masked."""

    fields: tuple[str, ...] = ()
    mask: tuple[str, ...] = ()


@dataclass(frozen=True)
class CallDecision:
    """The policy's answer for a licensed call; `reasons` lists every failed condition."""

    allow: bool
    grant_id: str | None
    reasons: tuple[Reason, ...]
    obligations: Obligations

    @classmethod
    def from_result(cls, result: object) -> CallDecision:
        """Parse an engine's result strictly; anything unexpected is `PolicyUnavailable`."""
        doc = _object(result, "decision")
        allow = doc.get("allow")
        grant_id = doc.get("grant_id")
        reasons = _reasons(doc.get("reasons"))
        obligations = _object(doc.get("obligations"), "obligations")
        fields = _strings(obligations.get("fields"), "obligations.fields")
        mask = _strings(obligations.get("mask"), "obligations.mask")
        if not isinstance(allow, bool) or not (grant_id is None or isinstance(grant_id, str)):
            raise PolicyUnavailable("malformed decision: allow/grant_id")
        if allow and (grant_id is None or reasons):
            raise PolicyUnavailable("malformed decision: allowed without a grant or with reasons")
        if not allow and (not reasons or fields or mask or grant_id is not None):
            raise PolicyUnavailable("malformed decision: refused without reasons or with data")
        if not set(mask) <= set(fields):
            raise PolicyUnavailable("malformed decision: masks a field it does not return")
        return cls(allow, grant_id, reasons, Obligations(fields, mask))

    def to_json(self) -> dict[str, JSON]:
        """The decision in the policy's own JSON shape (for comparisons and the dry run)."""
        return {
            "allow": self.allow,
            "grant_id": self.grant_id,
            "reasons": [_reason_json(r) for r in self.reasons],
            "obligations": {
                "fields": list(self.obligations.fields),
                "mask": list(self.obligations.mask),
            },
        }


@dataclass(frozen=True)
class ApprovalDecision:
    """The policy's answer for an approval action."""

    allow: bool
    reasons: tuple[Reason, ...]

    @classmethod
    def from_result(cls, result: object) -> ApprovalDecision:
        """Parse an engine's result strictly; anything unexpected is `PolicyUnavailable`."""
        doc = _object(result, "decision")
        allow = doc.get("allow")
        reasons = _reasons(doc.get("reasons"))
        if not isinstance(allow, bool) or allow == bool(reasons):
            raise PolicyUnavailable("malformed approval decision")
        return cls(allow, reasons)

    def to_json(self) -> dict[str, JSON]:
        return {"allow": self.allow, "reasons": [_reason_json(r) for r in self.reasons]}


class PolicyEngine(Protocol):
    """Evaluates the IRS policies. Adapters: the OPA server (`access.policy_opa`) and the same
    Rego in-process (`access.policy_inprocess`); both must give identical decisions.

    Every method raises `PolicyUnavailable` when no well-formed decision can be had."""

    def decide_call(self, *, facts: CallFacts) -> CallDecision:
        """Whether this licensed call is allowed, why not, and what it may return."""
        ...

    def decide_approval(self, *, facts: ApprovalFacts) -> ApprovalDecision:
        """Whether this principal may submit/approve/refuse/revoke this item."""
        ...

    def ping(self) -> None:
        """Check the engine answers with the IRS policy loaded (for /readyz)."""
        ...

    def close(self) -> None:
        """Release connections and threads; further decisions raise `PolicyUnavailable`."""
        ...


def _object(value: object, what: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping) or not value:
        raise PolicyUnavailable(f"malformed or empty {what}")
    return value


def _strings(value: object, what: str) -> tuple[str, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise PolicyUnavailable(f"malformed {what}")
    if not all(isinstance(v, str) for v in value):
        raise PolicyUnavailable(f"malformed {what}")
    return tuple(value)


def _reasons(value: object) -> tuple[Reason, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise PolicyUnavailable("malformed reasons")
    reasons = []
    for item in value:
        doc = _object(item, "reason")
        code, message, message_en = doc.get("code"), doc.get("message"), doc.get("message_en")
        if not (isinstance(code, str) and isinstance(message, str) and isinstance(message_en, str)):
            raise PolicyUnavailable("malformed reason")
        reasons.append(Reason(code, message, message_en))
    return tuple(reasons)


def _reason_json(reason: Reason) -> dict[str, JSON]:
    return {"code": reason.code, "message": reason.message, "message_en": reason.message_en}
