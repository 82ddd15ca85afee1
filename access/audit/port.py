"""What the use cases need of the audit log: append inside their own transaction.

Sharing, consents and issuance write their change and its audit record in one transaction, so
the log holds exactly the changes that happened (a crash leaves both or neither).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, Protocol

import orjson
from sqlalchemy.orm import Session

from access.audit.errors import AuditError
from access.audit.records import MAX_TEXT, AuditDraft, AuditRecord
from catalog.problems import FieldIssue, ValidationFailed


class AuditAppender(Protocol):
    """Appends records inside the caller's open transaction (the caller commits)."""

    def append(self, session: Session, drafts: Sequence[AuditDraft]) -> list[AuditRecord]: ...


def _plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return str(value)


def content_digest(value: Any) -> str:
    """SHA-256 of a row or entity as sorted JSON: pins before/after states without copying
    them (they may hold personal data) into the log. orjson walks dataclasses, enums and
    dates natively (a catalog load digests every entity, so this is on a hot path)."""
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json")
    data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=_plain)
    return hashlib.sha256(data).hexdigest()


def short(text: str) -> str:
    """Free text cut to what a record holds."""
    return text[:MAX_TEXT]


def check_draft(draft: AuditDraft, path: str) -> None:
    """Refuse input the log cannot hold (an ID number typed into a reason) before writing."""
    try:
        draft.at(0)
    except AuditError:
        raise ValidationFailed(
            [
                FieldIssue(
                    path,
                    "NOT_LOGGABLE",
                    "内容不得包含身份证号等个人信息或控制字符（会写入审计日志）",
                    "must not contain ID numbers or control characters (it is audited)",
                )
            ]
        ) from None
