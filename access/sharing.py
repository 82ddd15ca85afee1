"""Sharing authorizations (一揽子申请 → 审批 → 授权): the use cases.

An integrator submits one request for several resources; each item is routed to the
department that owns the resource. 无条件共享 items are granted at once, 有条件共享 items wait
for their owner, 不予共享 items are refused at submission. Every approve, refuse and revoke is
decided by the approval policy; every licensed call (and its dry run) by the call policy.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from access.audit.port import AuditAppender, check_draft, content_digest, short
from access.audit.records import AuditDraft, AuditKind
from access.elicenses.status import StatusListKind, allocate
from access.policy import (
    ApprovalAction,
    ApprovalFacts,
    CallDecision,
    Caller,
    CallFacts,
    CallResource,
    GrantFacts,
    PolicyEngine,
    PolicyUnavailable,
    ResourceKind,
)
from access.tables import AccessRequestRow, GrantRow, GrantUsageRow, RequestItemRow
from catalog.ledger import Ledger
from catalog.model import CertificateType, Component, Dataset, Entity, Grade, Kind, SharingType
from catalog.principal import Principal, Role
from catalog.problems import (
    Conflict,
    FieldIssue,
    Forbidden,
    NotFound,
    Unavailable,
    ValidationFailed,
)

CITY_TIME = ZoneInfo("Asia/Shanghai")
DEFAULT_QUOTA = 10_000
MAX_ITEMS = 50
MAX_PERIOD = timedelta(days=3 * 366)
KIND_OF_RESOURCE = {
    ResourceKind.DATASET: Kind.DATASET,
    ResourceKind.CERTIFICATE_TYPE: Kind.CERTIFICATE_TYPE,
    ResourceKind.COMPONENT: Kind.COMPONENT,
}


class ItemState:
    """States of a request item."""

    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REFUSED = "REFUSED"


@dataclass(frozen=True)
class WantedItem:
    """One resource asked for, with the fields wanted (empty: all its fields)."""

    kind: ResourceKind
    code: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class RequestInput:
    """What an integrator submits."""

    purpose: str
    legal_basis: str
    matters: tuple[str, ...]
    valid_from: datetime
    valid_until: datetime
    items: tuple[WantedItem, ...]


@dataclass(frozen=True)
class Submitted:
    """A stored request with its items."""

    request: AccessRequestRow
    items: list[RequestItemRow]


def grant_status(grant: GrantRow, now: datetime) -> str:
    """ACTIVE, NOT_YET_VALID, EXPIRED or REVOKED — expiry needs no job, it is read off the clock."""
    if grant.revoked_at is not None:
        return "REVOKED"
    if now < utc(grant.valid_from):
        return "NOT_YET_VALID"
    if now >= utc(grant.valid_until):
        return "EXPIRED"
    return "ACTIVE"


def utc(moment: datetime) -> datetime:
    """A UTC-aware time: what the records store holds (SQLite hands it back naive)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


@dataclass(frozen=True)
class ResourceFacts:
    """What the policy needs to know about a catalog resource."""

    kind: ResourceKind
    code: str
    owner: str
    sharing_type: SharingType
    grade: Grade
    personal: bool
    fields: tuple[str, ...]
    sensitive_fields: tuple[str, ...]

    def for_policy(self) -> CallResource:
        return CallResource(
            kind=self.kind,
            code=self.code,
            owner=self.owner,
            sharing_type=self.sharing_type,
            grade=self.grade,
            personal=self.personal,
            sensitive_fields=self.sensitive_fields,
        )


def resource_facts(kind: ResourceKind, entity: Entity) -> ResourceFacts:
    """The sharing-relevant facts of a dataset, e-license type or component.

    E-license types carry no grade of their own: a personal one holds personal information
    and counts as 重要 (GB/T 43697), an enterprise one as 一般. Components are 有条件共享.
    """
    if isinstance(entity, Dataset):
        return ResourceFacts(
            kind,
            entity.code,
            entity.department,
            entity.sharing_type,
            entity.grade,
            False,
            tuple(f.name for f in entity.fields),
            tuple(f.name for f in entity.fields if f.sensitive),
        )
    if isinstance(entity, CertificateType):
        return ResourceFacts(
            kind,
            entity.code,
            entity.department,
            entity.sharing_type,
            Grade.IMPORTANT if entity.holder_kind.value == "PERSON" else Grade.GENERAL,
            entity.holder_kind.value == "PERSON",
            tuple(f.name for f in entity.surface_fields),
            tuple(f.name for f in entity.surface_fields if f.sensitive),
        )
    assert isinstance(entity, Component)
    return ResourceFacts(
        kind, entity.code, entity.department, SharingType.CONDITIONAL, Grade.GENERAL, False, (), ()
    )


def grant_facts(g: GrantRow, used_today: int) -> GrantFacts:
    """What the call policy needs to know of a grant."""
    return GrantFacts(
        id=g.id,
        caller=g.caller_client_id,
        resource_code=g.resource_code,
        fields=tuple(g.fields),
        purpose=g.purpose,
        matters=tuple(g.matters),
        valid_from=utc(g.valid_from),
        valid_until=utc(g.valid_until),
        revoked=g.revoked_at is not None,
        quota_per_day=g.quota_per_day,
        used_today=used_today,
        max_grade=Grade(g.max_grade),
        unmasked_fields=tuple(g.unmasked_fields),
    )


class Sharing:
    """Requests, approvals, grants and policy dry runs over the records database."""

    def __init__(
        self,
        *,
        engine: Engine,
        ledger: Ledger,
        policy: PolicyEngine,
        audit: AuditAppender,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._ledger = ledger
        self._policy = policy
        self._audit = audit
        self._clock = clock

    def _draft(self, kind: AuditKind, principal: Principal | str, **fields: Any) -> AuditDraft:
        actor = principal if isinstance(principal, str) else principal.client_id
        return AuditDraft(time=self._clock(), kind=kind, actor=actor, **fields)

    # -- facts ----------------------------------------------------------------------------

    def resource(self, kind: ResourceKind, code: str, *, path: str = "code") -> ResourceFacts:
        """Facts of a catalog resource; NotFound when the code names nothing."""
        stored = self._ledger.get(kind=KIND_OF_RESOURCE[kind], code=code)
        if stored is None:
            raise NotFound(kind.value, code, path=path)
        return resource_facts(kind, stored.entity)

    def _approval(
        self, principal: Principal, action: ApprovalAction, owner: str, sharing_type: SharingType
    ) -> None:
        try:
            decision = self._policy.decide_approval(
                facts=ApprovalFacts(
                    role=principal.role,
                    department=principal.department,
                    action=action,
                    owner=owner,
                    sharing_type=sharing_type,
                )
            )
        except PolicyUnavailable as exc:
            raise Unavailable(
                "策略引擎不可用，操作被拒绝，请稍后重试",
                "policy engine unavailable; the operation was refused, retry later",
            ) from exc
        if not decision.allow:
            first = decision.reasons[0] if decision.reasons else None
            raise Forbidden(
                first.message if first else "策略拒绝",
                first.message_en if first else "policy refused",
            )

    # -- submit ---------------------------------------------------------------------------

    def submit(self, *, principal: Principal, request: RequestInput) -> Submitted:
        """Route each item to its owner; grant 无条件共享 items now, refuse 不予共享 ones."""
        if principal.role not in (Role.INTEGRATOR, Role.ADMIN):
            raise Forbidden(
                "只有集成方可以提交共享申请", "only integrators submit sharing requests"
            )
        facts = self._check(request)
        now = self._clock()
        row = AccessRequestRow(
            id=_new_id("REQ"),
            requester_client_id=principal.client_id,
            requester_name=principal.name,
            purpose=request.purpose,
            legal_basis=request.legal_basis,
            matters=list(request.matters),
            valid_from=utc(request.valid_from),
            valid_until=utc(request.valid_until),
            created_at=now,
        )
        items: list[RequestItemRow] = []
        grants: list[GrantRow] = []
        for wanted, resource in zip(request.items, facts, strict=True):
            item = RequestItemRow(
                id=_new_id("ITEM"),
                request_id=row.id,
                resource_kind=wanted.kind.value,
                resource_code=wanted.code,
                owner_department=resource.owner,
                fields=list(wanted.fields or resource.fields),
                state=ItemState.PENDING,
            )
            if resource.sharing_type is SharingType.NOT_SHARED:
                item.state = ItemState.REFUSED
                item.decided_by, item.decided_at = "IRS", now
                item.reason = (
                    "不予共享资源，不能申请 / the resource is NOT_SHARED and cannot be requested"
                )
            elif resource.sharing_type is SharingType.UNCONDITIONAL:
                grants.append(
                    self._grant(
                        row,
                        item,
                        resource,
                        "IRS（无条件共享自动授权）",
                        now,
                        fields=None,
                        until=None,
                        quota=None,
                    )
                )
            items.append(item)
        drafts = self._submitted_drafts(principal, row, items, grants)
        check_draft(drafts[0], "purpose")
        with Session(self._engine) as session:
            session.add(row)
            session.flush()
            session.add_all(items)
            session.flush()
            if grants:
                first = allocate(session.connection(), StatusListKind.GRANTS, len(grants))
                for offset, grant in enumerate(grants):
                    grant.status_index = first + offset
            session.add_all(grants)
            self._audit.append(session, drafts)
            session.commit()
            session.refresh(row)
            for item in items:
                session.refresh(item)
        return Submitted(row, items)

    def _submitted_drafts(
        self,
        principal: Principal,
        row: AccessRequestRow,
        items: Sequence[RequestItemRow],
        grants: Sequence[GrantRow],
    ) -> list[AuditDraft]:
        """One record per item submitted, and the automatic decision where there was one."""
        common = {
            "purpose": short(row.purpose),
            "matter": row.matters[0] if row.matters else None,
            "request_id": row.id,
        }
        drafts = [
            self._draft(
                AuditKind.REQUEST_SUBMITTED,
                principal,
                resource=item.resource_code,
                after_digest=content_digest(item),
                **common,
            )
            for item in items
        ]
        by_item = {g.item_id: g for g in grants}
        for item in items:
            if item.id in by_item:
                drafts.append(
                    self._draft(
                        AuditKind.REQUEST_APPROVED,
                        "IRS",
                        resource=item.resource_code,
                        grant_id=by_item[item.id].id,
                        after_digest=content_digest(by_item[item.id]),
                        **common,
                    )
                )
            elif item.state == ItemState.REFUSED:
                drafts.append(
                    self._draft(
                        AuditKind.REQUEST_REFUSED,
                        "IRS",
                        resource=item.resource_code,
                        reasons=("NOT_SHARED",),
                        **common,
                    )
                )
        return drafts

    def _check(self, request: RequestInput) -> list[ResourceFacts]:
        issues: list[FieldIssue] = []
        if not request.purpose.strip():
            issues.append(
                FieldIssue("purpose", "REQUIRED", "必须说明用途（用数事由）", "state the purpose")
            )
        if not request.legal_basis.strip():
            issues.append(
                FieldIssue("legalBasis", "REQUIRED", "必须说明法律依据", "state the legal basis")
            )
        if not request.matters:
            issues.append(
                FieldIssue(
                    "matterCodes",
                    "REQUIRED",
                    "至少关联一个政务服务事项",
                    "name at least one matter the data serves",
                )
            )
        if request.valid_until <= request.valid_from:
            issues.append(
                FieldIssue(
                    "validUntil",
                    "PERIOD",
                    "结束时间必须晚于开始时间",
                    "validUntil must be after validFrom",
                )
            )
        elif request.valid_until - request.valid_from > MAX_PERIOD:
            issues.append(
                FieldIssue("validUntil", "PERIOD", "授权期限最长三年", "at most three years")
            )
        if not 0 < len(request.items) <= MAX_ITEMS:
            issues.append(
                FieldIssue(
                    "items",
                    "COUNT",
                    f"申请须包含 1–{MAX_ITEMS} 项资源",
                    f"a request names 1–{MAX_ITEMS} resources",
                )
            )
        matters = self._ledger.get_many(refs=[(Kind.MATTER, m) for m in request.matters])
        for i, code in enumerate(request.matters):
            if (Kind.MATTER, code) not in matters:
                issues.append(
                    FieldIssue(
                        f"matterCodes[{i}]",
                        "UNKNOWN_MATTER",
                        f"事项 {code} 不存在",
                        f"matter {code} does not exist",
                    )
                )
        facts: list[ResourceFacts] = []
        seen: set[tuple[str, str]] = set()
        for i, wanted in enumerate(request.items):
            if (wanted.kind.value, wanted.code) in seen:
                issues.append(
                    FieldIssue(
                        f"items[{i}]", "DUPLICATE", "同一资源重复申请", "resource named twice"
                    )
                )
            seen.add((wanted.kind.value, wanted.code))
            try:
                resource = self.resource(wanted.kind, wanted.code, path=f"items[{i}].code")
            except NotFound:
                issues.append(
                    FieldIssue(
                        f"items[{i}].code",
                        f"UNKNOWN_{wanted.kind.value}",
                        f"资源 {wanted.code} 不存在",
                        f"{wanted.kind.value} {wanted.code} does not exist",
                    )
                )
                continue
            unknown = [f for f in wanted.fields if f not in resource.fields]
            if unknown:
                issues.append(
                    FieldIssue(
                        f"items[{i}].fields",
                        "UNKNOWN_FIELD",
                        f"资源没有这些信息项：{'、'.join(unknown)}",
                        f"the resource has no fields named {', '.join(unknown)}",
                    )
                )
            facts.append(resource)
        if issues:
            raise ValidationFailed(issues)
        return facts

    # -- decide ---------------------------------------------------------------------------

    def queue(self, *, principal: Principal) -> list[tuple[AccessRequestRow, RequestItemRow]]:
        """Pending items the principal may decide: its department's, or all for admins."""
        if principal.role not in (Role.DEPARTMENT, Role.ADMIN):
            raise Forbidden(
                "只有资源所属部门可以查看审批队列", "only owning departments see the approval queue"
            )
        query = (
            select(AccessRequestRow, RequestItemRow)
            .join(RequestItemRow, col(RequestItemRow.request_id) == col(AccessRequestRow.id))
            .where(RequestItemRow.state == ItemState.PENDING)
        )
        if principal.role is Role.DEPARTMENT:
            query = query.where(RequestItemRow.owner_department == principal.department)
        with Session(self._engine) as session:
            return [
                (r, i) for r, i in session.exec(query.order_by(col(AccessRequestRow.created_at)))
            ]

    def approve(
        self,
        *,
        principal: Principal,
        item_id: str,
        fields: Sequence[str] | None = None,
        valid_until: datetime | None = None,
        quota_per_day: int | None = None,
    ) -> RequestItemRow:
        """Approve a pending item, possibly narrowing its fields or period; creates the grant."""
        with Session(self._engine) as session:
            item, request = self._pending(session, item_id)
            before = content_digest(item)
            resource = self.resource(ResourceKind(item.resource_kind), item.resource_code)
            self._approval(
                principal, ApprovalAction.APPROVE, item.owner_department, resource.sharing_type
            )
            issues = []
            if fields is not None and not set(fields) <= set(item.fields):
                issues.append(
                    FieldIssue(
                        "fields",
                        "WIDENED",
                        "只能缩小申请的信息项范围",
                        "approval may only narrow the requested fields",
                    )
                )
            if valid_until is not None and not utc(request.valid_from) < valid_until <= utc(
                request.valid_until
            ):
                issues.append(
                    FieldIssue(
                        "validUntil",
                        "WIDENED",
                        "只能缩短申请的期限",
                        "approval may only shorten the requested period",
                    )
                )
            if quota_per_day is not None and quota_per_day <= 0:
                issues.append(
                    FieldIssue(
                        "quotaPerDay",
                        "OUT_OF_RANGE",
                        "每日调用上限须为正数",
                        "quota must be positive",
                    )
                )
            if issues:
                raise ValidationFailed(issues)
            grant = self._grant(
                request,
                item,
                resource,
                principal.name,
                self._clock(),
                fields=fields,
                until=valid_until,
                quota=quota_per_day,
            )
            grant.status_index = allocate(session.connection(), StatusListKind.GRANTS)
            session.add(grant)
            session.add(item)
            self._audit.append(
                session,
                [
                    self._draft(
                        AuditKind.REQUEST_APPROVED,
                        principal,
                        resource=item.resource_code,
                        purpose=short(request.purpose),
                        matter=request.matters[0] if request.matters else None,
                        request_id=request.id,
                        grant_id=grant.id,
                        before_digest=before,
                        after_digest=content_digest(grant),
                    )
                ],
            )
            session.commit()
            session.refresh(item)
            return item

    def refuse(self, *, principal: Principal, item_id: str, reason: str) -> RequestItemRow:
        """Refuse a pending item with a reason the requester will read."""
        if not reason.strip():
            raise ValidationFailed(
                [FieldIssue("reason", "REQUIRED", "拒绝必须说明理由", "give a reason")]
            )
        with Session(self._engine) as session:
            item, _request = self._pending(session, item_id)
            resource = self.resource(ResourceKind(item.resource_kind), item.resource_code)
            self._approval(
                principal, ApprovalAction.REFUSE, item.owner_department, resource.sharing_type
            )
            refused = self._draft(
                AuditKind.REQUEST_REFUSED,
                principal,
                resource=item.resource_code,
                request_id=item.request_id,
                reasons=(short(reason),),
                before_digest=content_digest(item),
            )
            check_draft(refused, "reason")
            item.state, item.reason = ItemState.REFUSED, reason
            item.decided_by, item.decided_at = principal.name, self._clock()
            session.add(item)
            self._audit.append(session, [refused])
            session.commit()
            session.refresh(item)
            return item

    def _pending(self, session: Session, item_id: str) -> tuple[RequestItemRow, AccessRequestRow]:
        item = session.get(RequestItemRow, item_id)
        if item is None:
            raise NotFound("申请项", item_id, path="itemId")
        if item.state != ItemState.PENDING:
            raise Conflict(
                f"申请项已处理（{item.state}）", f"the item was already decided ({item.state})"
            )
        request = session.get(AccessRequestRow, item.request_id)
        assert request is not None
        return item, request

    def _grant(
        self,
        request: AccessRequestRow,
        item: RequestItemRow,
        resource: ResourceFacts,
        by: str,
        now: datetime,
        *,
        fields: Sequence[str] | None,
        until: datetime | None,
        quota: int | None,
    ) -> GrantRow:
        grant = GrantRow(
            id=_new_id("GRANT"),
            item_id=item.id,
            request_id=request.id,
            caller_client_id=request.requester_client_id,
            resource_kind=item.resource_kind,
            resource_code=item.resource_code,
            owner_department=item.owner_department,
            fields=list(fields if fields is not None else item.fields),
            purpose=request.purpose,
            matters=list(request.matters),
            valid_from=request.valid_from,
            valid_until=utc(until) if until else utc(request.valid_until),
            quota_per_day=quota or DEFAULT_QUOTA,
            max_grade=resource.grade.value,
            unmasked_fields=[],
            created_at=now,
        )
        item.state, item.grant_id = ItemState.APPROVED, grant.id
        item.decided_by, item.decided_at = by, now
        return grant

    # -- grants ---------------------------------------------------------------------------

    def revoke(self, *, principal: Principal, grant_id: str, reason: str) -> GrantRow:
        """Revoke a grant (owner or admin); takes effect on the next call."""
        if not reason.strip():
            raise ValidationFailed(
                [FieldIssue("reason", "REQUIRED", "撤销必须说明理由", "give a reason")]
            )
        with Session(self._engine) as session:
            grant = session.get(GrantRow, grant_id)
            if grant is None:
                raise NotFound("授权", grant_id, path="grantId")
            if grant.revoked_at is not None:
                raise Conflict("授权已撤销", "the grant is already revoked")
            resource = self.resource(ResourceKind(grant.resource_kind), grant.resource_code)
            self._approval(
                principal, ApprovalAction.REVOKE, grant.owner_department, resource.sharing_type
            )
            revoked = self._draft(
                AuditKind.GRANT_REVOKED,
                principal,
                resource=grant.resource_code,
                request_id=grant.request_id,
                grant_id=grant.id,
                reasons=(short(reason),),
                before_digest=content_digest(grant),
            )
            check_draft(revoked, "reason")
            grant.revoked_at, grant.revoked_by, grant.revoke_reason = (
                self._clock(),
                principal.name,
                reason,
            )
            session.add(grant)
            self._audit.append(
                session, [dataclasses.replace(revoked, after_digest=content_digest(grant))]
            )
            session.commit()
            session.refresh(grant)
            return grant

    def grants(self, *, principal: Principal) -> list[GrantRow]:
        """Grants the principal may see: its own (integrator), its resources' (department), all."""
        query = select(GrantRow)
        if principal.role is Role.INTEGRATOR:
            query = query.where(GrantRow.caller_client_id == principal.client_id)
        elif principal.role is Role.DEPARTMENT:
            query = query.where(GrantRow.owner_department == principal.department)
        with Session(self._engine) as session:
            return list(session.exec(query.order_by(col(GrantRow.created_at))))

    def requests(self, *, principal: Principal) -> list[Submitted]:
        """Requests with every item's state: the requester's own; admins and auditors all;
        departments those with items they own."""
        query = select(AccessRequestRow)
        if principal.role is Role.INTEGRATOR:
            query = query.where(AccessRequestRow.requester_client_id == principal.client_id)
        elif principal.role is Role.DEPARTMENT:
            owned = select(RequestItemRow.request_id).where(
                RequestItemRow.owner_department == principal.department
            )
            query = query.where(col(AccessRequestRow.id).in_(owned))
        with Session(self._engine) as session:
            rows = list(session.exec(query.order_by(col(AccessRequestRow.created_at))))
            items = list(
                session.exec(
                    select(RequestItemRow).where(
                        col(RequestItemRow.request_id).in_([r.id for r in rows])
                    )
                )
            )
        by_request: dict[str, list[RequestItemRow]] = {}
        for item in items:
            by_request.setdefault(item.request_id, []).append(item)
        return [Submitted(r, sorted(by_request.get(r.id, []), key=lambda i: i.id)) for r in rows]

    # -- calls ----------------------------------------------------------------------------

    def call_facts(
        self,
        *,
        principal: Principal,
        kind: ResourceKind,
        code: str,
        purpose: str,
        matter: str,
        fields: Sequence[str],
    ) -> CallFacts:
        """Facts for deciding a licensed call: only this caller's grants for this resource."""
        resource = self.resource(kind, code)
        now = self._clock()
        today = now.astimezone(CITY_TIME).date()
        with Session(self._engine) as session:
            rows = list(
                session.exec(
                    select(GrantRow).where(
                        GrantRow.caller_client_id == principal.client_id,
                        GrantRow.resource_code == code,
                        GrantRow.resource_kind == kind.value,
                    )
                )
            )
            used = self._usage(session, [g.id for g in rows], today)
        grants = tuple(grant_facts(g, used.get(g.id, 0)) for g in rows)
        return CallFacts(
            now=now,
            caller=Caller(
                client_id=principal.client_id, role=principal.role, department=principal.department
            ),
            resource=resource.for_policy(),
            purpose=purpose,
            matter=matter,
            fields=tuple(fields),
            grants=grants,
        )

    @staticmethod
    def _usage(session: Session, grant_ids: list[str], day: date) -> dict[str, int]:
        if not grant_ids:
            return {}
        rows = session.exec(
            select(GrantUsageRow).where(
                col(GrantUsageRow.grant_id).in_(grant_ids), GrantUsageRow.day == day
            )
        )
        return {r.grant_id: r.calls for r in rows}

    def dry_run(
        self,
        *,
        principal: Principal,
        kind: ResourceKind,
        code: str,
        purpose: str,
        matter: str,
        fields: Sequence[str],
    ) -> CallDecision:
        """Would this call be allowed, and if not, why — without making it."""
        facts = self.call_facts(
            principal=principal, kind=kind, code=code, purpose=purpose, matter=matter, fields=fields
        )
        try:
            return self._policy.decide_call(facts=facts)
        except PolicyUnavailable as exc:
            raise Unavailable(
                "策略引擎不可用，无法判定", "policy engine unavailable; no decision"
            ) from exc
