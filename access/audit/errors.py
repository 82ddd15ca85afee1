"""Typed failures of the audit log's pure core.

Every failure carries a stable `code`, a Chinese `message` and an English `message_en` (what the
API maps to a typed problem) and a `detail` for logs and the verifier's report. Details name
sizes, indices and hashes only — never a record's content, which is why no exception here takes
a record as an argument.
"""

from __future__ import annotations

from typing import ClassVar


class AuditError(Exception):
    """Base of every expected audit failure: catch this to report instead of crash."""

    code: ClassVar[str] = "AUDIT_ERROR"
    message: ClassVar[str] = "审计日志校验失败"
    message_en: ClassVar[str] = "audit log verification failed"

    def __init__(self, detail: str) -> None:
        super().__init__(f"{self.message_en}: {detail}")
        self.detail = detail


class InvalidProof(AuditError):
    """An inclusion or consistency proof does not lead to the claimed root(s)."""

    code = "AUDIT_INVALID_PROOF"
    message = "证明无效：记录不在该检查点的树中，或两个检查点不一致"
    message_en = (
        "invalid proof: the record is not in that checkpoint's tree, or the checkpoints disagree"
    )


class InvalidCheckpoint(AuditError):
    """A checkpoint's text is not a well-formed signed note with our checkpoint body."""

    code = "AUDIT_INVALID_CHECKPOINT"
    message = "检查点格式错误"
    message_en = "malformed checkpoint"


class CheckpointSignatureError(AuditError):
    """No signature by the trusted key verifies over the checkpoint (or one by it fails)."""

    code = "AUDIT_BAD_SIGNATURE"
    message = "检查点签名无效或不是由受信任的密钥签发"
    message_en = "the checkpoint is not validly signed by the trusted key"


class InvalidAuditRecord(AuditError, ValueError):
    """An audit record is out of its domain (wrong shape, or a value that looks personal)."""

    code = "AUDIT_INVALID_RECORD"
    message = "审计记录不合规"
    message_en = "invalid audit record"


class MissingNode(AuditError, LookupError):
    """A node store does not hold a complete-subtree hash the tree needs (gap or truncation)."""

    code = "AUDIT_MISSING_NODE"
    message = "默克尔树节点缺失"
    message_en = "a Merkle tree node is missing from the store"


class NodeConflict(AuditError):
    """A node store was asked to change a complete subtree's hash or to leave a gap: history
    is immutable, so this is a bug or a race the writer must not paper over."""

    code = "AUDIT_NODE_CONFLICT"
    message = "默克尔树节点冲突：已完成的子树不可更改"
    message_en = "Merkle node conflict: a completed subtree cannot change"


class AuditStoreCorrupt(AuditError):
    """The stored log contradicts itself (head, node table, records or checkpoints disagree):
    the log refuses to append or sign on top of it — fail closed — until an auditor runs
    `irs audit verify`."""

    code = "AUDIT_STORE_CORRUPT"
    message = "审计日志存储不一致（可能被篡改），已拒绝写入；请运行 irs audit verify"
    message_en = "the audit store is inconsistent (possibly tampered with); refusing to write"


class AuditOutOfRange(AuditError, ValueError):
    """A seq or tree size the log does not (yet) hold."""

    code = "AUDIT_OUT_OF_RANGE"
    message = "序号或树大小超出审计日志范围"
    message_en = "the seq or tree size is outside the audit log"
