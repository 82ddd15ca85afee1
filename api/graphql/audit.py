"""The audit log over GraphQL: auditors search it and follow records to their request and
grant; holders (through their app) see who used their e-licenses, when and why; anyone with a
record can check it against a signed checkpoint. Read-only: there is no mutation on the log.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import strawberry

from access.audit import records as audit_records
from access.audit.errors import AuditError
from access.audit.log import RecordFilter
from access.audit.merkle import leaf_hash
from access.audit.records import AuditDecision as DomainDecision
from access.audit.records import AuditKind as DomainKind
from access.audit.records import AuditRecord
from api.graphql.connection import Connection, bad_input, check_first, connection, forbidden
from api.graphql.context import Info
from api.graphql.sharing import Grant, PolicyReason
from catalog.model import HolderKind
from catalog.principal import Role
from catalog.problems import ValidationFailed

if TYPE_CHECKING:
    from access.audit.records import AuditDecision, AuditKind
else:
    AuditKind = strawberry.enum(audit_records.AuditKind, name="AuditKind")
    AuditDecision = strawberry.enum(audit_records.AuditDecision, name="AuditDecision")

AUDITORS = (Role.AUDITOR, Role.ADMIN)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@strawberry.type(
    description="An inclusion proof: the record is leaf `seq` of the tree of `treeSize`."
)
class InclusionProof:
    seq: int
    tree_size: int
    leaf_hash: str = strawberry.field(description="SHA-256(0x00 ‖ record), base64.")
    audit_path: list[str] = strawberry.field(description="RFC 9162 audit path, base64 hashes.")
    root_hash: str
    checkpoint: str | None = strawberry.field(
        description="The signed note (C2SP tlog-checkpoint) of this tree size, if one was signed."
    )


@strawberry.type(description="One entry of the tamper-evident audit log.")
class AuditEntry:
    seq: int
    time: datetime
    kind: AuditKind
    actor: str
    resource: str | None
    holder_blind_index: str | None
    purpose: str | None
    matter_code: str | None
    decision: AuditDecision | None
    reasons: list[str]
    fields_released: list[str]
    response_digest: str | None
    request_id: str | None
    grant_id: str | None
    consent_id: str | None
    before_digest: str | None
    after_digest: str | None
    record: str = strawberry.field(description="The canonical (RFC 8785) bytes, as text.")

    @classmethod
    def of(cls, r: AuditRecord) -> AuditEntry:
        return cls(
            seq=r.seq,
            time=r.time,
            kind=DomainKind(r.kind),
            actor=r.actor,
            resource=r.resource,
            holder_blind_index=r.holder_blind_index,
            purpose=r.purpose,
            matter_code=r.matter,
            decision=DomainDecision(r.decision) if r.decision else None,
            reasons=list(r.reasons),
            fields_released=list(r.fields_released),
            response_digest=r.response_digest,
            request_id=r.request_id,
            grant_id=r.grant_id,
            consent_id=r.consent_id,
            before_digest=r.before_digest,
            after_digest=r.after_digest,
            record=r.canonical_bytes().decode(),
        )

    @strawberry.field(
        description="Proof that this record is in the log (default: latest checkpoint)."
    )
    def proof(self, info: Info, tree_size: int | None = None) -> InclusionProof:
        try:
            proved = info.context.audit.prove(self.seq, tree_size)
        except AuditError:
            raise bad_input(
                "treeSize",
                "OUT_OF_RANGE",
                "该树大小下没有这条记录",
                "no such record in a tree of that size",
            ) from None
        return InclusionProof(
            seq=proved.seq,
            tree_size=proved.size,
            leaf_hash=_b64(leaf_hash(proved.record)),
            audit_path=[_b64(h) for h in proved.proof],
            root_hash=_b64(proved.root),
            checkpoint=proved.checkpoint,
        )

    @strawberry.field(description="The grant this record acted under or changed (auditors).")
    def grant(self, info: Info) -> Grant | None:
        if self.grant_id is None or info.context.principal.role not in AUDITORS:
            return None
        for row in info.context.sharing.grants(principal=info.context.principal):
            if row.id == self.grant_id:
                return Grant.of(row, datetime.now(UTC))
        return None

    @strawberry.field(description="The reasons as the policy words them, where it has words.")
    def reason_texts(self) -> list[PolicyReason]:
        from access.elicenses.calls import LOCAL_REASONS

        return [
            PolicyReason(code=c, message=LOCAL_REASONS[c][0], message_en=LOCAL_REASONS[c][1])
            for c in self.reasons
            if c in LOCAL_REASONS
        ]


@strawberry.type(description="The latest signed tree head and how to check it.")
class AuditCheckpoint:
    tree_size: int
    root_hash: str
    note: str = strawberry.field(description="The C2SP signed note; verify with verifierKey.")
    verifier_key: str = strawberry.field(
        description="The log's Ed25519 key as a note verifier key."
    )


@strawberry.input(
    description="Every given field must match; time: from inclusive, until exclusive."
)
class AuditFilter:
    time_from: datetime | None = None
    time_until: datetime | None = None
    kind: AuditKind | None = None
    actor: str | None = None
    resource: str | None = None
    purpose: str | None = None
    matter_code: str | None = None
    decision: AuditDecision | None = None
    request_id: str | None = None
    grant_id: str | None = None
    consent_id: str | None = None
    holder_blind_index: str | None = None

    def to_domain(self) -> RecordFilter:
        return RecordFilter(
            time_from=self.time_from,
            time_until=self.time_until,
            kind=DomainKind(self.kind) if self.kind else None,
            actor=self.actor,
            resource=self.resource,
            purpose=self.purpose,
            matter=self.matter_code,
            decision=DomainDecision(self.decision) if self.decision else None,
            request_id=self.request_id,
            grant_id=self.grant_id,
            consent_id=self.consent_id,
            holder_blind_index=self.holder_blind_index,
        )


def _seq_cursor(after: str | None) -> int | None:
    from api.graphql.connection import decode_cursor

    value = decode_cursor(after)
    if value is None:
        return None
    if not value.isdigit():
        raise bad_input("after", "BAD_CURSOR", "分页游标无效", "invalid cursor")
    return int(value)


def _page(info: Info, where: RecordFilter, first: int, after: str | None) -> Connection[AuditEntry]:
    from api.graphql.connection import encode_cursor

    check_first(first)
    audit = info.context.audit
    page = audit.search(where, after=_seq_cursor(after), limit=max(first, 1), newest_first=True)
    records = page.records[:first]
    return connection(
        [(encode_cursor(str(r.seq)), AuditEntry.of(r)) for r in records],
        has_next=page.next_after is not None and first > 0,
        after=after,
        count=lambda: audit.count(where),
    )


@strawberry.type
class AuditQuery:
    @strawberry.field(description="Search the audit log, newest first (auditors and admins).")
    def audit_records(
        self,
        info: Info,
        filter: AuditFilter | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[AuditEntry]:
        if info.context.principal.role not in AUDITORS:
            raise forbidden("只有审计人员可以查询审计日志", "only auditors search the audit log")
        return _page(info, (filter or AuditFilter()).to_domain(), first, after)

    @strawberry.field(description="One record by its sequence number (auditors and admins).")
    def audit_record(self, info: Info, seq: int) -> AuditEntry | None:
        if info.context.principal.role not in AUDITORS:
            raise forbidden("只有审计人员可以查询审计日志", "only auditors read the audit log")
        found = info.context.audit.record(seq)
        return None if found is None else AuditEntry.of(found)

    @strawberry.field(description="The latest signed checkpoint of the log (everyone).")
    def audit_checkpoint(self, info: Info) -> AuditCheckpoint | None:
        latest = info.context.audit.latest_checkpoint()
        if latest is None:
            return None
        return AuditCheckpoint(
            tree_size=latest.checkpoint.size,
            root_hash=_b64(latest.checkpoint.root),
            note=latest.note,
            verifier_key=info.context.audit.verifier_key,
        )

    @strawberry.field(description="Proof that the tree of newSize extends the tree of oldSize.")
    def audit_consistency(self, info: Info, old_size: int, new_size: int) -> list[str]:
        try:
            return [_b64(h) for h in info.context.audit.consistency_proof(old_size, new_size)]
        except (AuditError, ValueError):
            raise bad_input(
                "oldSize", "OUT_OF_RANGE", "树大小超出范围", "tree sizes out of range"
            ) from None

    @strawberry.field(
        description="持证人: who used my e-licenses, when and why (the holder app only)."
    )
    def my_audit_trail(
        self,
        info: Info,
        holder_code: str,
        holder_kind: str = "PERSON",
        first: int = 50,
        after: str | None = None,
    ) -> Connection[AuditEntry]:
        if info.context.principal.role is not Role.HOLDER_APP:
            raise forbidden(
                "只有持证人应用可以查看持证人的用证记录", "only the holder app sees this"
            )
        try:
            kind = HolderKind(holder_kind)
        except ValueError:
            raise bad_input(
                "holderKind",
                "UNKNOWN",
                "持证主体类型应为 PERSON 或 ENTERPRISE",
                "PERSON or ENTERPRISE",
            ) from None
        try:
            index = info.context.elicenses.holder_index_of(kind, holder_code)
        except ValidationFailed as exc:
            issue = exc.issues[0]
            raise bad_input(issue.path, issue.code, issue.message, issue.message_en) from None
        return _page(info, RecordFilter(holder_blind_index=index), first, after)
