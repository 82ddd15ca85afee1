"""The SQL-backed audit log on SQLite and PostgreSQL: appends in the caller's transaction,
gap-free seqs, proofs that check offline against signed checkpoints, search, rollback."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from access.audit.errors import AuditOutOfRange, InvalidAuditRecord
from access.audit.log import MAX_PAGE, AuditLog, RecordFilter
from access.audit.merkle import MemoryNodeStore, leaf_hash, root_at
from access.audit.records import AuditDecision, AuditKind
from access.audit.verify import verify_extension, verify_record
from tests.integration.audit_support import T0, draft, drop_guards, open_log

COUNT_ROWS = text(
    "SELECT (SELECT count(*) FROM audit_record), (SELECT count(*) FROM audit_node), "
    "(SELECT size FROM audit_head WHERE id = 1)"
)


@pytest.fixture
def log(records_url: str, tmp_path: Path) -> Iterator[tuple[Engine, AuditLog]]:
    engine, audit = open_log(records_url, tmp_path / "keys")
    yield engine, audit
    engine.dispose()


def test_appends_are_gap_free_and_every_proof_checks_offline(log: tuple[Engine, AuditLog]) -> None:
    _, audit = log
    seqs = [r.seq for r in audit.append_now([draft(0)])]
    seqs += [r.seq for r in audit.append_now([draft(i) for i in range(1, 33)])]
    first = audit.checkpoint()
    for i in range(33, 45):
        seqs += [r.seq for r in audit.append_now([draft(i)])]
    second = audit.checkpoint(T0 + timedelta(days=1))
    assert seqs == list(range(45))
    assert (first.checkpoint.size, second.checkpoint.size) == (33, 45)
    assert audit.checkpoint().note == second.note  # same head: the stored note, not a new one
    assert [c.checkpoint.size for c in audit.checkpoints()] == [33, 45]
    assert audit.latest_checkpoint() == second

    leaves = []
    for seq in range(45):
        proof = audit.prove(seq) if seq % 2 or seq >= 33 else audit.prove(seq, 33)
        assert proof.checkpoint == (second.note if proof.size == 45 else first.note)
        checked = verify_record(
            checkpoint=proof.checkpoint,
            public_key=audit.public_key,
            record=proof.record,
            proof=proof.proof,
            origin=audit.origin,
        )
        assert checked.record == audit.record(seq)
        leaves.append(leaf_hash(proof.record))
    assert root_at(MemoryNodeStore.from_leaf_hashes(leaves), size=45) == second.checkpoint.root
    verify_extension(
        old=first.note,
        new=second.note,
        public_key=audit.public_key,
        proof=audit.consistency_proof(33, 45),
    )
    assert audit.inclusion_proof(3, 33) == audit.prove(3, 33).proof
    assert audit.root_at(33) == first.checkpoint.root
    with pytest.raises(AuditOutOfRange):
        audit.inclusion_proof(45)
    with pytest.raises(AuditOutOfRange):
        audit.consistency_proof(3, 46)
    assert audit.record(45) is None
    report = audit.verify()
    assert report.ok, report.to_json()
    assert (report.records, report.checkpoints) == (45, 2)


def test_append_commits_with_the_callers_transaction_or_not_at_all(
    log: tuple[Engine, AuditLog],
) -> None:
    engine, audit = log
    audit.append_now([draft(0), draft(1)])
    with Session(engine) as session:
        placed = audit.append(session, [draft(2), draft(3), draft(4)])
        assert [r.seq for r in placed] == [2, 3, 4]
        session.rollback()
    with engine.connect() as connection:
        assert tuple(connection.execute(COUNT_ROWS).one()) == (2, 3, 2)
    # the process's cached right edge belonged to the rolled-back head: it must not be used
    assert [r.seq for r in audit.append_now([draft(5)])] == [2]
    with Session(engine) as session, pytest.raises(InvalidAuditRecord):
        audit.append(session, [draft(6), replace(draft(7), actor="")])
    with engine.connect() as connection:
        assert tuple(connection.execute(COUNT_ROWS).one()) == (3, 4, 3)
    assert audit.verify().ok


def test_two_replicas_share_one_log(log: tuple[Engine, AuditLog], tmp_path: Path) -> None:
    engine, audit = log
    other = AuditLog(engine, audit._key, origin=audit.origin)  # a second process's object
    for i in range(20):
        writer = audit if i % 3 else other
        assert [r.seq for r in writer.append_now([draft(i)])] == [i]
    assert other.checkpoint().checkpoint.root == audit.root_at(20)
    assert audit.verify().ok


def left_behind(log: tuple[Engine, AuditLog]) -> AuditLog:
    """`log`'s own object knows 2 leaves; another process's object has appended 3 more."""
    engine, audit = log
    other = AuditLog(engine, audit._key, origin=audit.origin)
    audit.append_now([draft(0), draft(1)])
    other.append_now([draft(2), draft(3), draft(4)])
    assert audit._edge is not None and audit._edge[0] == 2  # what it knows is behind
    return other


def test_a_replica_catches_up_from_the_leaves_another_appended(
    log: tuple[Engine, AuditLog],
) -> None:
    _, audit = log
    other = left_behind(log)
    assert [r.seq for r in audit.append_now([draft(5)])] == [5]
    assert audit._edge is not None and audit._edge[0] == 6
    assert other.checkpoint().checkpoint.root == audit.root_at(6)
    assert audit.verify().ok


def test_a_tampered_leaf_node_is_not_caught_up_from(log: tuple[Engine, AuditLog]) -> None:
    engine, audit = log
    other = left_behind(log)
    with engine.begin() as connection:  # committed first: DROP TRIGGER locks the tables
        drop_guards(connection)
    with engine.begin() as connection:  # someone rewrites the stored hash of leaf 3
        connection.execute(
            text("UPDATE audit_node SET hash = :h WHERE level = 0 AND idx = 3"), {"h": b"x" * 32}
        )
    # the leaves no longer give the head's root, so the edge is read from the stored edge
    # nodes instead (leaf 3 is not one of them: node [2, 0] covers it), and the append goes
    # on from the true edge
    assert [r.seq for r in audit.append_now([draft(5)])] == [5]
    assert other.checkpoint().checkpoint.root == audit.root_at(6)
    assert audit.verify().ok  # the head is the root of the stored records: nothing poisoned


def test_search_filters_and_pages_by_seq(log: tuple[Engine, AuditLog]) -> None:
    _, audit = log
    audit.append_now([draft(i) for i in range(60)])
    page = audit.search(RecordFilter(actor="app-1"), limit=7)
    got = [r.seq for r in page.records]
    assert got == [i for i in range(60) if i % 3 == 1][:7]
    seen = list(got)
    while page.next_after is not None:
        page = audit.search(RecordFilter(actor="app-1"), limit=7, after=page.next_after)
        seen += [r.seq for r in page.records]
    assert seen == [i for i in range(60) if i % 3 == 1]
    newest = audit.search(RecordFilter(actor="app-1"), limit=3, newest_first=True)
    assert [r.seq for r in newest.records] == [58, 55, 52]
    window = audit.search(
        RecordFilter(
            time_from=T0 + timedelta(seconds=10),
            time_until=T0 + timedelta(seconds=20),
            decision=AuditDecision.ALLOW,
            kind=AuditKind.LICENSED_CALL,
        )
    )
    assert [r.seq for r in window.records] == [i for i in range(10, 20) if i % 6 != 5 and i % 4]
    assert [r.seq for r in audit.search(RecordFilter(holder_blind_index=f"{3:064x}")).records] == [
        3,
        10,
        17,
        24,
        31,
        38,
        45,
        52,
        59,
    ]
    assert [
        r.seq
        for r in audit.search(
            RecordFilter(request_id="req-2", grant_id="g-0", matter="350200-000-XK-0002")
        ).records
    ][:3] == [2, 6, 10]
    assert [
        r.seq
        for r in audit.search(
            RecordFilter(consent_id="c-42", resource="R-000002", purpose="办理食品经营许可")
        ).records
    ] == [42]
    assert len(audit.search(limit=10**6).records) == 60
    assert MAX_PAGE >= 60
