"""Sharing authorizations over GraphQL: requests, the approval queue, grants, policy dry runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

import strawberry

from access import policy as policy_types
from access.sharing import RequestInput, Submitted, WantedItem, grant_status, utc
from access.tables import AccessRequestRow, GrantRow, RequestItemRow
from api.graphql.connection import Connection, forbidden, offset_connection
from api.graphql.context import Info
from api.graphql.nodes import Department, Node, to_node
from api.graphql.problems import AnyProblem, attempt
from catalog.model import Kind
from catalog.principal import Role

if TYPE_CHECKING:
    from access.policy import ResourceKind as SharedResourceKind
else:
    SharedResourceKind = strawberry.enum(policy_types.ResourceKind, name="SharedResourceKind")

CATALOG_KIND = {
    "DATASET": Kind.DATASET,
    "CERTIFICATE_TYPE": Kind.CERTIFICATE_TYPE,
    "COMPONENT": Kind.COMPONENT,
}


@strawberry.enum(description="State of a request item.")
class ItemState(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REFUSED = "REFUSED"


@strawberry.enum(description="State of a grant, read off the clock: expiry needs no job.")
class GrantStatus(StrEnum):
    ACTIVE = "ACTIVE"
    NOT_YET_VALID = "NOT_YET_VALID"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


async def _resource(info: Info, kind: str, code: str) -> Any:
    stored = await info.context.loaders.entity.load((CATALOG_KIND[kind], code))
    return None if stored is None else to_node(stored)


@strawberry.type(description="授权: what an approved item allows.")
class Grant:
    id: strawberry.ID
    resource_kind: SharedResourceKind
    resource_code: str
    caller_client_id: str
    owner_department_code: str
    fields: list[str]
    purpose: str
    matter_codes: list[str]
    valid_from: datetime
    valid_until: datetime
    quota_per_day: int
    max_grade: str
    status: GrantStatus
    created_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    revoke_reason: str

    @classmethod
    def of(cls, row: GrantRow, now: datetime) -> Grant:
        return cls(
            id=strawberry.ID(row.id),
            resource_kind=policy_types.ResourceKind(row.resource_kind),
            resource_code=row.resource_code,
            caller_client_id=row.caller_client_id,
            owner_department_code=row.owner_department,
            fields=list(row.fields),
            purpose=row.purpose,
            matter_codes=list(row.matters),
            valid_from=utc(row.valid_from),
            valid_until=utc(row.valid_until),
            quota_per_day=row.quota_per_day,
            max_grade=row.max_grade,
            status=GrantStatus(grant_status(row, now)),
            created_at=utc(row.created_at),
            revoked_at=utc(row.revoked_at) if row.revoked_at else None,
            revoked_by=row.revoked_by,
            revoke_reason=row.revoke_reason,
        )

    @strawberry.field(description="The shared catalog resource.")
    async def resource(self, info: Info) -> Node | None:
        return await _resource(info, self.resource_kind.value, self.resource_code)


@strawberry.type(description="One resource of a request and its decision.")
class RequestItem:
    id: strawberry.ID
    request_id: str
    resource_kind: SharedResourceKind
    resource_code: str
    owner_department_code: str
    fields: list[str]
    state: ItemState
    decided_by: str | None
    decided_at: datetime | None
    reason: str
    grant_id: str | None

    @classmethod
    def of(cls, row: RequestItemRow) -> RequestItem:
        return cls(
            id=strawberry.ID(row.id),
            request_id=row.request_id,
            resource_kind=policy_types.ResourceKind(row.resource_kind),
            resource_code=row.resource_code,
            owner_department_code=row.owner_department,
            fields=list(row.fields),
            state=ItemState(row.state),
            decided_by=row.decided_by,
            decided_at=utc(row.decided_at) if row.decided_at else None,
            reason=row.reason,
            grant_id=row.grant_id,
        )

    @strawberry.field
    async def resource(self, info: Info) -> Node | None:
        return await _resource(info, self.resource_kind.value, self.resource_code)

    @strawberry.field(description="The department that decides this item.")
    async def owner_department(self, info: Info) -> Department | None:
        stored = await info.context.loaders.entity.load(
            (Kind.DEPARTMENT, self.owner_department_code)
        )
        return None if stored is None else Department.of(stored)


@strawberry.type(description="一揽子申请: one request for several resources.")
class AccessRequest:
    id: strawberry.ID
    requester_client_id: str
    requester_name: str
    purpose: str
    legal_basis: str
    matter_codes: list[str]
    valid_from: datetime
    valid_until: datetime
    created_at: datetime
    items: list[RequestItem]

    @classmethod
    def of(cls, submitted: Submitted) -> AccessRequest:
        r: AccessRequestRow = submitted.request
        return cls(
            id=strawberry.ID(r.id),
            requester_client_id=r.requester_client_id,
            requester_name=r.requester_name,
            purpose=r.purpose,
            legal_basis=r.legal_basis,
            matter_codes=list(r.matters),
            valid_from=utc(r.valid_from),
            valid_until=utc(r.valid_until),
            created_at=utc(r.created_at),
            items=[RequestItem.of(i) for i in submitted.items],
        )


@strawberry.type
class PolicyReason:
    code: str
    message: str
    message_en: str


@strawberry.type(description="What the policy decided: allow, every failed condition, obligations.")
class PolicyDecision:
    allow: bool
    grant_id: str | None
    reasons: list[PolicyReason]
    fields: list[str]
    masked_fields: list[str]


@strawberry.input
class RequestItemInput:
    kind: SharedResourceKind
    code: str
    fields: list[str] = strawberry.field(default_factory=list)


@strawberry.input
class AccessRequestInput:
    purpose: str
    legal_basis: str
    matter_codes: list[str]
    valid_from: datetime
    valid_until: datetime
    items: list[RequestItemInput]


@strawberry.input(description="A licensed call to judge without making it.")
class CallInput:
    kind: SharedResourceKind
    code: str
    purpose: str
    matter_code: str
    fields: list[str] = strawberry.field(default_factory=list)


AccessRequestResult: TypeAlias = Annotated[
    AccessRequest | AnyProblem, strawberry.union("AccessRequestResult")
]
RequestItemResult: TypeAlias = Annotated[
    RequestItem | AnyProblem, strawberry.union("RequestItemResult")
]
GrantResult: TypeAlias = Annotated[Grant | AnyProblem, strawberry.union("GrantResult")]
PolicyDecisionResult: TypeAlias = Annotated[
    PolicyDecision | AnyProblem, strawberry.union("PolicyDecisionResult")
]


def _attempt(info: Info, action: Callable[[], Any]) -> Any:
    return attempt(action, backend_error=info.context.backend_error)


def _page(items: list[Any], first: int, after: str | None) -> Connection[Any]:
    return offset_connection(items, first=first, after=after)


@strawberry.type
class SharingQuery:
    @strawberry.field(
        description="Requests: your own (integrator), with your resources (department), all."
    )
    def access_requests(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[AccessRequest]:
        found = info.context.sharing.requests(principal=info.context.principal)
        return _page([AccessRequest.of(s) for s in reversed(found)], first, after)

    @strawberry.field(description="Pending items your department decides (admins: all).")
    def approval_queue(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[RequestItem]:
        p = info.context.principal
        if p.role not in (Role.DEPARTMENT, Role.ADMIN):
            raise forbidden(
                "只有资源所属部门可以查看审批队列", "only owning departments see the approval queue"
            )
        rows = info.context.sharing.queue(principal=p)
        return _page([RequestItem.of(item) for _r, item in rows], first, after)

    @strawberry.field(
        description="Grants: yours (integrator), on your resources (department), all."
    )
    def grants(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        status: GrantStatus | None = None,
    ) -> Connection[Grant]:
        now = datetime.now(UTC)
        rows = [
            Grant.of(g, now) for g in info.context.sharing.grants(principal=info.context.principal)
        ]
        if status is not None:
            rows = [g for g in rows if g.status is status]
        return _page(rows, first, after)

    @strawberry.field(description="Dry run: would this licensed call be allowed, and if not, why.")
    def policy_decision(self, info: Info, call: CallInput) -> PolicyDecisionResult:
        def decide() -> PolicyDecision:
            d = info.context.sharing.dry_run(
                principal=info.context.principal,
                kind=call.kind,
                code=call.code,
                purpose=call.purpose,
                matter=call.matter_code,
                fields=call.fields,
            )
            return PolicyDecision(
                allow=d.allow,
                grant_id=d.grant_id,
                reasons=[
                    PolicyReason(code=r.code, message=r.message, message_en=r.message_en)
                    for r in d.reasons
                ],
                fields=list(d.obligations.fields),
                masked_fields=list(d.obligations.mask),
            )

        return _attempt(info, decide)


@strawberry.type
class SharingMutation:
    @strawberry.mutation(description="一揽子申请: apply for several resources at once.")
    def submit_access_request(self, info: Info, input: AccessRequestInput) -> AccessRequestResult:
        request = RequestInput(
            purpose=input.purpose,
            legal_basis=input.legal_basis,
            matters=tuple(input.matter_codes),
            valid_from=utc(input.valid_from),
            valid_until=utc(input.valid_until),
            items=tuple(WantedItem(i.kind, i.code, tuple(i.fields)) for i in input.items),
        )
        return _attempt(
            info,
            lambda: AccessRequest.of(
                info.context.sharing.submit(principal=info.context.principal, request=request)
            ),
        )

    @strawberry.mutation(description="Approve an item of your department, optionally narrowing it.")
    def approve_request_item(
        self,
        info: Info,
        item_id: strawberry.ID,
        fields: list[str] | None = None,
        valid_until: datetime | None = None,
        quota_per_day: int | None = None,
    ) -> RequestItemResult:
        return _attempt(
            info,
            lambda: RequestItem.of(
                info.context.sharing.approve(
                    principal=info.context.principal,
                    item_id=str(item_id),
                    fields=fields,
                    valid_until=utc(valid_until) if valid_until else None,
                    quota_per_day=quota_per_day,
                )
            ),
        )

    @strawberry.mutation(description="Refuse an item of your department, with a reason.")
    def refuse_request_item(
        self, info: Info, item_id: strawberry.ID, reason: str
    ) -> RequestItemResult:
        return _attempt(
            info,
            lambda: RequestItem.of(
                info.context.sharing.refuse(
                    principal=info.context.principal, item_id=str(item_id), reason=reason
                )
            ),
        )

    @strawberry.mutation(description="Revoke a grant (owner or admin); the next call is refused.")
    def revoke_grant(self, info: Info, grant_id: strawberry.ID, reason: str) -> GrantResult:
        return _attempt(
            info,
            lambda: Grant.of(
                info.context.sharing.revoke(
                    principal=info.context.principal, grant_id=str(grant_id), reason=reason
                ),
                datetime.now(UTC),
            ),
        )
