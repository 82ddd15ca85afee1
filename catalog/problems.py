"""Expected failures of the ledger, each with a stable code and a bilingual message.

Use cases raise these; the API turns them into typed GraphQL results. They never carry
personal data: messages name the field and the rule, not the value of an ID number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldIssue:
    """One invalid input value: where it is (`path`), what rule it breaks, how to fix it."""

    path: str
    code: str
    message: str
    message_en: str


class Problem(Exception):
    """Base of every expected failure; `code` is stable and machine-readable."""

    code: str = "PROBLEM"

    def __init__(self, message: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message = message
        self.message_en = message_en


class ValidationFailed(Problem):
    """The input breaks one or more rules; every broken rule is listed, nothing was written."""

    code = "VALIDATION_FAILED"

    def __init__(self, issues: Sequence[FieldIssue]) -> None:
        first = issues[0]
        more = f"（另有 {len(issues) - 1} 处问题）" if len(issues) > 1 else ""
        more_en = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
        super().__init__(
            f"输入有误：{first.path}：{first.message}{more}",
            f"Invalid input: {first.path}: {first.message_en}{more_en}",
        )
        self.issues: tuple[FieldIssue, ...] = tuple(issues)


class NotFound(Problem):
    """A code or id names nothing in the ledger."""

    code = "NOT_FOUND"

    def __init__(self, kind: str, code: str, *, path: str = "") -> None:
        super().__init__(
            f"未找到{kind}：{code}，请核对编码",
            f"No {kind} with code {code!r}; check the code",
        )
        self.kind = kind
        self.missing_code = code
        self.path = path


class Forbidden(Problem):
    """The principal may not do this (wrong role, or another department's resource)."""

    code = "FORBIDDEN"


class Conflict(Problem):
    """The write clashes with the ledger's current state (duplicate code, stale version)."""

    code = "CONFLICT"


class Unavailable(Problem):
    """A backend the operation needs is down; nothing was written. Retry later."""

    code = "UNAVAILABLE"


@dataclass
class IssueCollector:
    """Gathers every broken rule of one input so the caller sees all of them at once."""

    issues: list[FieldIssue] = field(default_factory=list)

    def add(self, path: str, code: str, message: str, message_en: str) -> None:
        self.issues.append(FieldIssue(path, code, message, message_en))

    def raise_if_any(self) -> None:
        if self.issues:
            raise ValidationFailed(self.issues)
