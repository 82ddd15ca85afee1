"""`irs audit verify`: recompute the audit log from the stored records and report the first
place where the store contradicts its signed checkpoints, its head or itself.

What is checked, in one streaming pass over `audit_record` (ordered by seq):

* every stored checkpoint: signed by the log key for this origin, stored under its own size;
* every record's bytes: canonical JSON (RFC 8785) of the record shape — `strict` also re-runs
  the domain validation, which costs ~55 µs a record;
* every record's query columns (and its seq key) against its bytes;
* the recomputed tree against every signed checkpoint, with `first_divergence` locating and
  labelling the first tampered record (exact when the node table is intact; see
  `access.audit.verify`), then against the head row for the unsigned tail beyond the latest
  checkpoint (evidence the database could forge, so reported as unsigned);
* the node table against the head's root (what proofs are served from).

Problems name positions, sizes and column names only — never a record's content.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from operator import itemgetter
from typing import Any, Final

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Connection

from access.audit import merkle
from access.audit.checkpoint import Checkpoint, verify_checkpoint
from access.audit.errors import AuditError
from access.audit.records import AuditKind, AuditRecord, format_time, record_seq
from access.audit.sql import (
    QUERY_COLUMNS,
    SELECT_CHECKPOINTS,
    SqlNodeReader,
    as_utc,
    read_head,
    scan_records,
)
from access.audit.verify import first_divergence

STREAM_ROWS: Final = 10_000
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
# every key of the record shape (a canonical leaf has exactly these)
# the keys of the record shape in canonical (sorted) order: a canonical leaf has exactly these
_KEY_ORDER: Final = sorted(
    AuditRecord(seq=0, time=_EPOCH, kind=AuditKind.CATALOG_CHANGED, actor="-").to_json()
)
_QUERY_VALUES: Final = itemgetter(*QUERY_COLUMNS)  # a parsed leaf's values of the query columns
_LEAF_PREFIX: Final = b"\x00"  # RFC 9162 leaf hash: SHA-256(0x00 || leaf), as merkle.leaf_hash


class ProblemKind(StrEnum):
    """What is wrong; the first six are `DivergenceKind`s (the tree disagrees)."""

    MODIFIED = "MODIFIED"
    DELETED = "DELETED"
    INSERTED = "INSERTED"
    REORDERED = "REORDERED"
    TRUNCATED = "TRUNCATED"
    UNKNOWN = "UNKNOWN"
    NOT_CANONICAL = "NOT_CANONICAL"
    COLUMN_MISMATCH = "COLUMN_MISMATCH"
    FORGED_CHECKPOINT = "FORGED_CHECKPOINT"
    HEAD_MISMATCH = "HEAD_MISMATCH"
    NODE_MISMATCH = "NODE_MISMATCH"


_MESSAGES: Final[dict[ProblemKind, tuple[str, str]]] = {
    ProblemKind.MODIFIED: ("审计记录被修改", "an audit record was modified"),
    ProblemKind.DELETED: ("审计记录被删除", "an audit record was deleted"),
    ProblemKind.INSERTED: ("插入了未经签名的审计记录", "an audit record was inserted"),
    ProblemKind.REORDERED: ("审计记录顺序被调换", "audit records were reordered"),
    ProblemKind.TRUNCATED: ("审计日志被截断", "the audit log was truncated"),
    ProblemKind.UNKNOWN: (
        "审计记录与签名检查点不符（仅能定位到区间）",
        "audit records disagree with a signed checkpoint (located to a window only)",
    ),
    ProblemKind.NOT_CANONICAL: (
        "审计记录字节不是规范格式",
        "an audit record's bytes are not in canonical form",
    ),
    ProblemKind.COLUMN_MISMATCH: (
        "审计记录的查询列与记录内容不一致",
        "an audit record's query columns disagree with its bytes",
    ),
    ProblemKind.FORGED_CHECKPOINT: (
        "检查点签名无效（伪造或损坏）",
        "a checkpoint is not validly signed by the log key (forged or damaged)",
    ),
    ProblemKind.HEAD_MISMATCH: (
        "日志头与记录或检查点不一致",
        "the log head disagrees with the records or the checkpoints",
    ),
    ProblemKind.NODE_MISMATCH: (
        "默克尔树节点表与日志头不一致（证明将无法验证）",
        "the Merkle node table disagrees with the head (proofs would fail)",
    ),
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding. `seq` is the first bad record (the window [seq, end) when not `exact`);
    `signed` says whether a signed checkpoint is the evidence (else only the database's own
    head or columns, which a tamperer could have rewritten consistently)."""

    kind: ProblemKind
    seq: int | None
    end: int | None
    exact: bool
    signed: bool
    detail: str
    checkpoint_size: int | None = None

    @property
    def message(self) -> str:
        """What happened, in Chinese."""
        return _MESSAGES[self.kind][0]

    @property
    def message_en(self) -> str:
        """What happened, in English."""
        return _MESSAGES[self.kind][1]

    def to_json(self) -> dict[str, Any]:
        """The problem as JSON (for the CLI and the API)."""
        return {
            "kind": self.kind.value,
            "seq": self.seq,
            "end": self.end,
            "exact": self.exact,
            "signed": self.signed,
            "checkpointSize": self.checkpoint_size,
            "detail": self.detail,
            "message": self.message,
            "messageEn": self.message_en,
        }


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The outcome of a full verification: `ok` iff no problem was found."""

    records: int
    head_size: int
    checkpoints: int
    latest_checkpoint_size: int | None
    seconds: float
    problems: tuple[Problem, ...] = field(default=())
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the store is exactly what was signed and appended."""
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        """The problem at the lowest seq, signed evidence first (checkpoint-only problems,
        which have no seq, last)."""
        if not self.problems:
            return None
        return min(self.problems, key=_order)

    @property
    def message(self) -> str:
        """A one-line summary in Chinese."""
        first = self.first_problem
        if first is None:
            return f"审计日志完整：{self.records} 条记录，{self.checkpoints} 个签名检查点均一致"
        where = "" if first.seq is None else f"，首个问题位于序号 {first.seq}"
        return f"审计日志校验失败：{first.message}{where}"

    @property
    def message_en(self) -> str:
        """A one-line summary in English."""
        first = self.first_problem
        if first is None:
            return (
                f"audit log intact: {self.records} records match "
                f"{self.checkpoints} signed checkpoints"
            )
        where = "" if first.seq is None else f" at seq {first.seq}"
        return f"audit log verification failed: {first.message_en}{where}"

    def to_json(self) -> dict[str, Any]:
        """The report as JSON (what `irs audit verify` prints)."""
        first = self.first_problem
        return {
            "ok": self.ok,
            "records": self.records,
            "headSize": self.head_size,
            "checkpoints": self.checkpoints,
            "latestCheckpointSize": self.latest_checkpoint_size,
            "seconds": round(self.seconds, 3),
            "message": self.message,
            "messageEn": self.message_en,
            "firstProblem": None if first is None else first.to_json(),
            "problems": [p.to_json() for p in self.problems],
            "problemCounts": self.counts,
        }


def _order(problem: Problem) -> tuple[bool, int, bool]:
    return (problem.seq is None, problem.seq or 0, not problem.signed)


class _Findings:
    """Problems as they are found: the first of each kind kept, all counted."""

    def __init__(self) -> None:
        self.first: dict[tuple[ProblemKind, bool], Problem] = {}
        self.counts: dict[str, int] = {}

    def add(self, problem: Problem) -> None:
        self.counts[problem.kind.value] = self.counts.get(problem.kind.value, 0) + 1
        self.first.setdefault((problem.kind, problem.signed), problem)

    def at(self, kind: ProblemKind, seq: int, detail: str) -> None:
        self.add(Problem(kind, seq, seq + 1, exact=True, signed=False, detail=detail))


def check_store(
    connection: Connection, *, public_key: Ed25519PublicKey, origin: str, strict: bool = False
) -> VerifyReport:
    """Verify the stored log on `connection` (see the module docstring)."""
    started = time.perf_counter()
    found = _Findings()
    head_size, head_root = read_head(connection)
    signed = _checkpoints(connection, public_key, origin, found)
    hashes, seqs = _scan_records(connection, found, strict=strict)
    n = len(hashes)
    nodes = SqlNodeReader(connection)
    tree = merkle.MemoryNodeStore.from_leaf_hashes(hashes)  # once, for checkpoints and head
    divergence = first_divergence(hashes, signed, nodes=nodes, seqs=seqs, tree=tree)
    if divergence is not None:
        found.add(_divergence_problem(divergence, signed=True))
    latest = max((c.size for c in signed), default=None)
    if latest is not None and head_size < latest:
        found.add(
            Problem(
                ProblemKind.HEAD_MISMATCH,
                head_size,
                latest,
                exact=False,
                signed=True,
                detail=f"head size {head_size} is below signed checkpoint {latest}",
            )
        )
    elif divergence is None:
        _check_tail(hashes, seqs, tree, nodes, signed, origin, head_size, head_root, found)
    if n > head_size and divergence is None:
        beyond = f"{n - head_size} records beyond head {head_size}"
        found.at(ProblemKind.INSERTED, head_size, beyond)
    _check_node_table(nodes, head_size, head_root, found)
    return VerifyReport(
        records=n,
        head_size=head_size,
        checkpoints=len(signed),
        latest_checkpoint_size=latest,
        seconds=time.perf_counter() - started,
        problems=tuple(sorted(found.first.values(), key=_order)),
        counts=found.counts,
    )


def _checkpoints(
    connection: Connection, public_key: Ed25519PublicKey, origin: str, found: _Findings
) -> list[Checkpoint]:
    good: list[Checkpoint] = []
    for size, note in connection.execute(SELECT_CHECKPOINTS):
        try:
            checkpoint = verify_checkpoint(str(note), public_key, origin=origin)
        except AuditError as err:
            found.add(_forged(int(size), err.detail))
            continue
        if checkpoint.size != size:
            found.add(_forged(int(size), f"note says size {checkpoint.size}"))
            continue
        good.append(checkpoint)
    return good


def _forged(size: int, detail: str) -> Problem:
    return Problem(
        ProblemKind.FORGED_CHECKPOINT,
        None,
        None,
        exact=False,
        signed=True,
        detail=f"checkpoint stored at size {size}: {detail}",
        checkpoint_size=size,
    )


def _scan_records(
    connection: Connection, found: _Findings, *, strict: bool
) -> tuple[list[bytes], list[int]]:
    """One pass over the records: leaf hashes and seqs for the tree, shape and columns checked.

    The hot loop of `irs audit verify` (10^6 iterations, ~2 µs of Python each beyond reading
    and hashing): the driver's tuples in big chunks; SHA-256 straight from hashlib; one JSON
    parse and one re-encode per record, without key sorting (a parse keeps the keys in their
    stored order, so the bytes re-encode to themselves iff the stored keys were already in
    the one canonical order, checked by comparing the key list); the columns compared as one
    tuple and the time as text, named only when something differs."""
    hashes: list[bytes] = []
    seqs: list[int] = []
    add_hash, add_seq = hashes.append, seqs.append
    sha256, prefix = hashlib.sha256, _LEAF_PREFIX
    loads, dumps, decode_error = orjson.loads, orjson.dumps, orjson.JSONDecodeError
    keys, columns_of = _KEY_ORDER, _QUERY_VALUES
    sqlite = connection.dialect.name == "sqlite"
    position = -1
    for rows in scan_records(connection, chunk=STREAM_ROWS):
        for row in rows:
            position += 1
            leaf = row[1]
            if type(leaf) is not bytes:
                leaf = _as_bytes(leaf)
            add_hash(sha256(prefix + leaf).digest())
            try:
                obj = loads(leaf)
                canonical = (
                    type(obj) is dict
                    and list(obj) == keys
                    and obj["v"] == 1
                    and type(obj["seq"]) is int
                    and dumps(obj) == leaf
                )
                if canonical and strict:
                    AuditRecord.from_canonical(leaf)
            except (decode_error, AuditError):
                canonical = False
            if not canonical:
                add_seq(record_seq(leaf))
                found.at(ProblemKind.NOT_CANONICAL, position, f"record at position {position}")
                continue
            seq = obj["seq"]
            add_seq(seq)
            leaf_time = obj["time"]
            stored_time = row[2]
            if sqlite:
                time_ok = type(leaf_time) is str and (
                    stored_time == leaf_time[:10] + " " + leaf_time[11:-1]
                    or _same_time(stored_time, leaf_time)
                )
            else:
                time_ok = stored_time == leaf_time
            if row[0] != seq or not time_ok or row[3:] != columns_of(obj):
                _column_mismatch(found, position, row, obj, time_ok=time_ok)
    return hashes, seqs


def _as_bytes(value: object) -> bytes:
    """A leaf the driver did not hand back as bytes (a memoryview, or text a tamperer wrote)."""
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


def _column_mismatch(
    found: _Findings, position: int, row: Any, obj: dict[str, Any], *, time_ok: bool
) -> None:
    wrong = [] if row[0] == obj["seq"] else ["seq"]
    wrong += [] if time_ok else ["time"]
    wrong += [n for n, v in zip(QUERY_COLUMNS, row[3:], strict=True) if v != obj[n]]
    found.at(
        ProblemKind.COLUMN_MISMATCH, position, f"record at position {position}: {', '.join(wrong)}"
    )


def _same_time(stored: object, leaf_time: str) -> bool:
    """A stored SQLite time written in another text form than SQLAlchemy's (slow path)."""
    try:
        return format_time(as_utc(datetime.fromisoformat(str(stored)))) == leaf_time
    except ValueError:
        return False


def _divergence_problem(divergence: Any, *, signed: bool) -> Problem:
    cp = divergence.checkpoint
    evidence = f"signed checkpoint of size {cp.size}" if signed else f"head of size {cp.size}"
    return Problem(
        ProblemKind(divergence.kind.value),
        divergence.index,
        divergence.end,
        exact=divergence.exact,
        signed=signed,
        detail=(
            f"records disagree with the {evidence}; records below {divergence.intact_size} "
            f"match a signed checkpoint"
        ),
        checkpoint_size=cp.size if signed else None,
    )


def _check_tail(
    hashes: list[bytes],
    seqs: list[int],
    tree: merkle.MemoryNodeStore,
    nodes: SqlNodeReader,
    signed: list[Checkpoint],
    origin: str,
    head_size: int,
    head_root: bytes,
    found: _Findings,
) -> None:
    """Records beyond the latest checkpoint, against the (unsigned) head row."""
    if head_size == 0 or any(c.size == head_size and c.root == head_root for c in signed):
        return  # nothing beyond the latest checkpoint, which already held
    head = Checkpoint(origin=origin, size=head_size, root=head_root, time=_EPOCH)
    divergence = first_divergence(hashes, [*signed, head], nodes=nodes, seqs=seqs, tree=tree)
    if divergence is not None:
        found.add(_divergence_problem(divergence, signed=False))


def _check_node_table(
    nodes: SqlNodeReader, head_size: int, head_root: bytes, found: _Findings
) -> None:
    try:
        stored = merkle.root_at(nodes, size=head_size)
    except AuditError as err:
        stored, why = b"", err.detail
    else:
        why = "stored right edge does not give the head's root"
    if stored != head_root:
        found.add(
            Problem(ProblemKind.NODE_MISMATCH, None, None, exact=False, signed=False, detail=why)
        )
