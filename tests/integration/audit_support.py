"""Shared pieces of the audit-log tests: realistic drafts and a migrated log on any backend."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Connection, Engine

from access.audit.log import AuditLog, open_audit_log
from access.audit.records import AuditDecision, AuditDraft, AuditKind
from access.records import migrate, records_engine

T0 = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)
ORIGIN = "irs.test/audit"


def draft(i: int, *, actor: str | None = None, consent: str | None = None) -> AuditDraft:
    """A licensed-call draft; every field derived from `i` so tests can predict filters."""
    return AuditDraft(
        time=T0 + timedelta(seconds=i),
        kind=AuditKind.LICENSED_CALL if i % 4 else AuditKind.CONSENT_USED,
        actor=actor or f"app-{i % 3}",
        resource=f"R-{i % 5:06d}",
        holder_blind_index=f"{i % 7:064x}",
        purpose="办理食品经营许可",
        matter="350200-000-XK-0001" if i % 2 else "350200-000-XK-0002",
        decision=AuditDecision.DENY if i % 6 == 5 else AuditDecision.ALLOW,
        reasons=("grant.valid",),
        fields_released=("证照编号",),
        response_digest=hashlib.sha256(str(i).encode()).hexdigest(),
        request_id=f"req-{i % 4}",
        grant_id=f"g-{i % 2}",
        consent_id=consent or f"c-{i}",
    )


def open_log(url: str, keys: Path) -> tuple[Engine, AuditLog]:
    """A migrated records database and its audit log."""
    engine = records_engine(url)
    migrate(engine)
    return engine, open_audit_log(engine, keys, origin=ORIGIN)


def drop_guards(connection: Connection) -> None:
    """Act as a database administrator: drop the append-only triggers (migration 0005), as
    someone set on rewriting the log would; what remains to catch them is the tree."""
    if connection.dialect.name == "postgresql":
        for table in ("audit_record", "audit_node", "audit_checkpoint"):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_head_no_delete ON audit_head")
        return
    for table in ("audit_record", "audit_node", "audit_checkpoint"):
        for action in ("update", "delete"):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
    connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_head_no_delete")
