"""Catalog changes in the audit log: who changed which resource, from what to what.

The catalog lives in the graph, the log in the records database, so the two writes cannot share
a transaction: the change is written first and its record right after. If the record cannot be
written, the caller gets an error (the change is then in the graph without its record, and the
error is logged with the resource's code so an operator can re-record it); this is the one
place where the log may trail the catalog.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from access.audit.errors import AuditError
from access.audit.log import AuditLog
from access.audit.port import content_digest
from access.audit.records import AuditDraft, AuditKind
from catalog.ledger import Ledger, utc_now
from catalog.model import KIND_OF, Entity, Kind, Lifecycle, Stored
from catalog.principal import Principal
from catalog.problems import Unavailable
from graph.port import GraphStore

log = logging.getLogger("irs.audit")
BATCH = 5_000


class AuditedLedger(Ledger):
    """The ledger, with every write it makes recorded in the audit log."""

    def __init__(
        self, *, store: GraphStore, audit: AuditLog, clock: Callable[[], datetime] = utc_now
    ) -> None:
        super().__init__(store=store, clock=clock)
        self._audit = audit
        self._now = clock

    def _record(
        self,
        principal: Principal,
        changes: Sequence[tuple[Kind, str, Entity | None, Entity | None]],
    ) -> None:
        drafts = [
            AuditDraft(
                time=self._now(),
                kind=AuditKind.CATALOG_CHANGED,
                actor=principal.client_id,
                resource=f"{kind.value}:{code}"[:512],
                before_digest=content_digest(before) if before is not None else None,
                after_digest=content_digest(after) if after is not None else None,
            )
            for kind, code, before, after in changes
        ]
        try:
            for start in range(0, len(drafts), BATCH):
                self._audit.append_now(drafts[start : start + BATCH])
        except (SQLAlchemyError, AuditError) as exc:
            log.error(
                "catalog change written but not audited",
                extra={"codes": [c[1] for c in changes[:20]], "error": type(exc).__name__},
            )
            raise Unavailable(
                "审计日志不可用：变更已写入目录但未记入审计日志，请联系管理员补记",
                "the audit log is unavailable: the change is in the catalog but not yet audited; "
                "ask an administrator to re-record it",
            ) from exc

    def register(self, *, principal: Principal, entity: Entity) -> Stored[Entity]:
        stored = super().register(principal=principal, entity=entity)
        self._record(principal, [(KIND_OF[type(entity)], entity.code, None, stored.entity)])
        return stored

    def update(
        self,
        *,
        principal: Principal,
        kind: Kind,
        code: str,
        changes: Mapping[str, Any],
        expected_version: int | None = None,
    ) -> Stored[Entity]:
        before = self.get(kind=kind, code=code)
        stored = super().update(
            principal=principal,
            kind=kind,
            code=code,
            changes=changes,
            expected_version=expected_version,
        )
        self._record(principal, [(kind, code, before.entity if before else None, stored.entity)])
        return stored

    def move_lifecycle(
        self,
        *,
        principal: Principal,
        code: str,
        to: Lifecycle,
        note: str = "",
        expected_version: int | None = None,
        force: bool = False,
    ) -> Stored[Entity]:
        before = self.get(kind=Kind.SYSTEM, code=code)
        stored = super().move_lifecycle(
            principal=principal,
            code=code,
            to=to,
            note=note,
            expected_version=expected_version,
            force=force,
        )
        self._record(
            principal, [(Kind.SYSTEM, code, before.entity if before else None, stored.entity)]
        )
        return stored

    def load(self, *, principal: Principal, entities: Sequence[Entity]) -> int:
        """Bulk loads record each entity's new state (the previous one is not read back: a
        census import of 100k rows would double its cost)."""
        loaded = super().load(principal=principal, entities=entities)
        self._record(principal, [(KIND_OF[type(e)], e.code, None, e) for e in entities])
        return loaded
