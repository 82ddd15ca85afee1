"""Tampering with the stored audit log directly in SQL, on SQLite and PostgreSQL: `verify()`
finds every kind and names the first bad seq; proofs of tampered records fail offline.

The log: 16 records → checkpoint, 16 more → checkpoint (32), 8 more unsigned (head 40)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from access.audit.checkpoint import Checkpoint, sign_checkpoint
from access.audit.errors import AuditStoreCorrupt, CheckpointSignatureError, InvalidProof
from access.audit.log import AuditLog, RecordFilter
from access.audit.store_check import ProblemKind
from access.audit.verify import verify_record
from tests.integration.audit_support import ORIGIN, T0, draft, drop_guards, open_log

SET_LEAF = text("UPDATE audit_record SET leaf = :leaf WHERE seq = :seq")
SET_ACTOR = text("UPDATE audit_record SET actor = :actor WHERE seq = :seq")
SET_TIME = text("UPDATE audit_record SET time = :time WHERE seq = :seq").bindparams(
    bindparam("time", type_=DateTime(timezone=True))
)
GET_LEAF = text("SELECT leaf FROM audit_record WHERE seq = :seq")
DELETE_RECORD = text("DELETE FROM audit_record WHERE seq = :seq")
DELETE_FROM = text("DELETE FROM audit_record WHERE seq >= :seq")
MOVE_SEQ = text("UPDATE audit_record SET seq = :to WHERE seq = :seq")
SHIFT_UP = text("UPDATE audit_record SET seq = seq + 1000 WHERE seq >= :seq")
SHIFT_BACK = text("UPDATE audit_record SET seq = seq - 999 WHERE seq >= 1000")
INSERT_RECORD = text(
    "INSERT INTO audit_record (seq, leaf, time, kind, actor, resource, holder_blind_index, "
    "purpose, matter, decision, request_id, grant_id, consent_id) VALUES (:seq, :leaf, :time, "
    ":kind, :actor, :resource, :holder_blind_index, :purpose, :matter, :decision, :request_id, "
    ":grant_id, :consent_id)"
).bindparams()
SET_HEAD_SIZE = text("UPDATE audit_head SET size = :size WHERE id = 1")
SET_NOTE = text("UPDATE audit_checkpoint SET note = :note WHERE size = :size")
ADD_CHECKPOINT = text(
    "INSERT INTO audit_checkpoint (size, note, created_at) VALUES (:size, :note, :at)"
)


@dataclass(frozen=True)
class Tamper:
    name: str
    change: Callable[[Connection, AuditLog], None]
    seq: int | None  # the first bad seq the report must name
    kinds: frozenset[ProblemKind]  # the kind of the first problem must be one of these
    signed: bool = True


def _leaf(connection: Connection, seq: int) -> bytes:
    return bytes(connection.execute(GET_LEAF, {"seq": seq}).scalar_one())


def change_leaf_byte(connection: Connection, _: AuditLog) -> None:
    leaf = _leaf(connection, 10).replace(b'"actor":"app-1"', b'"actor":"app-7"')
    connection.execute(SET_LEAF, {"leaf": leaf, "seq": 10})


def change_unsigned_leaf(connection: Connection, _: AuditLog) -> None:
    leaf = _leaf(connection, 36).replace(b'"decision":"ALLOW"', b'"decision":"DENY"')
    connection.execute(SET_LEAF, {"leaf": leaf, "seq": 36})


def change_column(connection: Connection, _: AuditLog) -> None:
    connection.execute(SET_ACTOR, {"actor": "app-9", "seq": 12})


def change_time_column(connection: Connection, _: AuditLog) -> None:
    connection.execute(SET_TIME, {"time": T0 + timedelta(days=3), "seq": 14})


def delete_record(connection: Connection, _: AuditLog) -> None:
    connection.execute(DELETE_RECORD, {"seq": 7})


def insert_record(connection: Connection, _: AuditLog) -> None:
    forged = draft(99).at(5)
    connection.execute(SHIFT_UP, {"seq": 5})
    connection.execute(SHIFT_BACK)
    connection.execute(INSERT_RECORD, _row(forged))


def insert_beyond_head(connection: Connection, _: AuditLog) -> None:
    connection.execute(INSERT_RECORD, _row(draft(99).at(40)))


def swap_records(connection: Connection, _: AuditLog) -> None:
    connection.execute(MOVE_SEQ, {"seq": 3, "to": 1003})
    connection.execute(MOVE_SEQ, {"seq": 9, "to": 3})
    connection.execute(MOVE_SEQ, {"seq": 1003, "to": 9})


def truncate_below_checkpoint(connection: Connection, _: AuditLog) -> None:
    connection.execute(DELETE_FROM, {"seq": 25})
    connection.execute(SET_HEAD_SIZE, {"size": 25})


def forge_checkpoint_root(connection: Connection, log: AuditLog) -> None:
    note = log.checkpoints()[0].note.splitlines(keepends=True)
    note[2] = "A" * 43 + "=\n"  # another root, same signature
    connection.execute(SET_NOTE, {"note": "".join(note), "size": 16})


def forge_checkpoint_key(connection: Connection, log: AuditLog) -> None:
    other = Ed25519PrivateKey.generate()
    fake = Checkpoint(origin=ORIGIN, size=40, root=log.root_at(40), time=T0)
    connection.execute(
        ADD_CHECKPOINT, {"size": 40, "note": sign_checkpoint(fake, private_key=other), "at": T0}
    )


def _row(record: object) -> dict[str, object]:
    from access.audit.sql import record_row

    assert hasattr(record, "canonical_bytes")
    return record_row(record, record.canonical_bytes())  # type: ignore[arg-type]


TAMPERS = [
    Tamper(
        "leaf byte",
        change_leaf_byte,
        10,
        frozenset({ProblemKind.MODIFIED, ProblemKind.COLUMN_MISMATCH}),
    ),
    Tamper(
        "unsigned tail",
        change_unsigned_leaf,
        36,
        frozenset({ProblemKind.MODIFIED, ProblemKind.COLUMN_MISMATCH}),
        signed=False,
    ),
    Tamper(
        "query column", change_column, 12, frozenset({ProblemKind.COLUMN_MISMATCH}), signed=False
    ),
    Tamper(
        "time column",
        change_time_column,
        14,
        frozenset({ProblemKind.COLUMN_MISMATCH}),
        signed=False,
    ),
    Tamper("delete", delete_record, 7, frozenset({ProblemKind.DELETED})),
    Tamper("insert", insert_record, 5, frozenset({ProblemKind.INSERTED})),
    Tamper(
        "insert beyond head",
        insert_beyond_head,
        40,
        frozenset({ProblemKind.INSERTED}),
        signed=False,
    ),
    Tamper("swap seqs", swap_records, 3, frozenset({ProblemKind.REORDERED})),
    Tamper(
        "truncate",
        truncate_below_checkpoint,
        25,
        frozenset({ProblemKind.TRUNCATED, ProblemKind.HEAD_MISMATCH}),
    ),
    Tamper("forged root", forge_checkpoint_root, None, frozenset({ProblemKind.FORGED_CHECKPOINT})),
    Tamper("forged key", forge_checkpoint_key, None, frozenset({ProblemKind.FORGED_CHECKPOINT})),
]


@pytest.fixture
def signed_log(records_url: str, tmp_path: Path) -> Iterator[tuple[Engine, AuditLog]]:
    engine, log = open_log(records_url, tmp_path / "keys")
    log.append_now([draft(i) for i in range(16)])
    log.checkpoint(T0)
    for i in range(16, 32):
        log.append_now([draft(i)])
    log.checkpoint(T0 + timedelta(hours=1))
    log.append_now([draft(i) for i in range(32, 40)])
    assert log.verify().ok
    yield engine, log
    engine.dispose()


@pytest.mark.parametrize("tamper", TAMPERS, ids=[t.name for t in TAMPERS])
def test_verify_names_the_first_tampered_record(
    signed_log: tuple[Engine, AuditLog], tamper: Tamper
) -> None:
    engine, log = signed_log
    with engine.begin() as connection:  # committed first: DROP TRIGGER locks the tables
        drop_guards(connection)
    with engine.begin() as connection:
        tamper.change(connection, log)
    report = log.verify()
    assert not report.ok
    first = report.first_problem
    assert first is not None, report.to_json()
    assert first.kind in tamper.kinds, report.to_json()
    assert first.seq == tamper.seq, report.to_json()
    assert first.message and first.message_en
    assert any(p.signed == tamper.signed for p in report.problems), report.to_json()
    assert report.to_json()["firstProblem"]["seq"] == tamper.seq
    if first.kind is ProblemKind.FORGED_CHECKPOINT:
        assert first.checkpoint_size in (16, 40)


def test_a_modified_record_fails_its_proof_offline(signed_log: tuple[Engine, AuditLog]) -> None:
    engine, log = signed_log
    with engine.begin() as connection:  # committed first: DROP TRIGGER locks the tables
        drop_guards(connection)
    with engine.begin() as connection:
        change_leaf_byte(connection, log)
    proof = log.prove(10, 32)
    assert proof.checkpoint is not None
    with pytest.raises(InvalidProof):
        verify_record(
            checkpoint=proof.checkpoint,
            public_key=log.public_key,
            record=proof.record,
            proof=proof.proof,
        )
    with pytest.raises(AuditStoreCorrupt):
        log.search(RecordFilter(actor="app-1"))  # the columns no longer describe the leaf


def test_a_forged_checkpoint_is_refused_everywhere(signed_log: tuple[Engine, AuditLog]) -> None:
    engine, log = signed_log
    with engine.begin() as connection:  # committed first: DROP TRIGGER locks the tables
        drop_guards(connection)
    with engine.begin() as connection:
        forge_checkpoint_root(connection, log)
    with pytest.raises(CheckpointSignatureError):
        log.checkpoints()
    proof = log.prove(3, 16)
    assert proof.checkpoint is not None
    with pytest.raises(CheckpointSignatureError):
        verify_record(
            checkpoint=proof.checkpoint,
            public_key=log.public_key,
            record=proof.record,
            proof=proof.proof,
        )


def test_the_log_refuses_to_sign_over_a_rewritten_tree(
    signed_log: tuple[Engine, AuditLog],
) -> None:
    engine, log = signed_log
    with engine.begin() as connection:  # committed first: DROP TRIGGER locks the tables
        drop_guards(connection)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_node SET hash = :h WHERE level = 5 AND idx = 0"), {"h": b"\x00" * 32}
        )
    fresh = AuditLog(engine, log._key, origin=log.origin)  # no cached edge: reads the nodes
    with pytest.raises(AuditStoreCorrupt):
        fresh.checkpoint()
    report = log.verify()
    assert any(p.kind is ProblemKind.NODE_MISMATCH for p in report.problems)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_record SET actor = 'x' WHERE seq = 3",
        "DELETE FROM audit_record WHERE seq = 39",
        "UPDATE audit_node SET hash = hash WHERE level = 0 AND idx = 0",
        "DELETE FROM audit_checkpoint",
        "DELETE FROM audit_head",
    ],
)
def test_the_database_itself_refuses_edits_of_the_log(
    signed_log: tuple[Engine, AuditLog], statement: str
) -> None:
    engine, log = signed_log
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.exec_driver_sql(statement)
    assert log.verify().ok
