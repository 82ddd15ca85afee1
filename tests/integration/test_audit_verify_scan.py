"""The verifier's fast scan (`store_check._scan_records`) against what it must still catch, on
SQLite and PostgreSQL: it re-encodes leaves without sorting keys, reads the driver's tuples
and compares times as text, so each shortcut gets a case that would slip through it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from access.audit.log import AuditLog
from access.audit.sql import QUERY_COLUMNS, SCAN_RECORDS_POSTGRES, SCAN_RECORDS_SQLITE
from access.audit.store_check import ProblemKind
from tests.integration.audit_support import draft, drop_guards, open_log

GET_LEAF = text("SELECT leaf FROM audit_record WHERE seq = :seq")
SET_LEAF = text("UPDATE audit_record SET leaf = :leaf WHERE seq = :seq")


def _log_with_tail(url: str, tmp_path: Path) -> Iterator[tuple[Engine, AuditLog]]:
    """20 signed records and 5 beyond the checkpoint, the store's guards dropped."""
    engine, log = open_log(url, tmp_path / "keys")
    log.append_now([draft(i) for i in range(20)])
    log.checkpoint()
    log.append_now([draft(i) for i in range(20, 25)])
    with engine.begin() as connection:
        drop_guards(connection)
    yield engine, log
    engine.dispose()


@pytest.fixture
def log_with_tail(records_url: str, tmp_path: Path) -> Iterator[tuple[Engine, AuditLog]]:
    """On every records backend."""
    yield from _log_with_tail(records_url, tmp_path)


@pytest.fixture
def sqlite_log_with_tail(tmp_path: Path) -> Iterator[tuple[Engine, AuditLog]]:
    """SQLite only: it stores times as text, which the next test rewrites."""
    yield from _log_with_tail(f"sqlite:///{tmp_path / 'records.db'}", tmp_path)


def test_the_scan_reads_the_query_columns_in_their_order() -> None:
    for sql in (SCAN_RECORDS_SQLITE, SCAN_RECORDS_POSTGRES):
        assert ", ".join(QUERY_COLUMNS) + " FROM audit_record ORDER BY seq" in sql


def test_an_intact_log_with_an_unsigned_tail_verifies(
    log_with_tail: tuple[Engine, AuditLog],
) -> None:
    report = log_with_tail[1].verify()
    assert report.ok, report.to_json()
    assert (report.records, report.head_size, report.latest_checkpoint_size) == (25, 25, 20)


def test_keys_out_of_canonical_order_are_not_canonical(
    log_with_tail: tuple[Engine, AuditLog],
) -> None:
    engine, log = log_with_tail
    with engine.begin() as connection:
        leaf = bytes(connection.execute(GET_LEAF, {"seq": 22}).scalar_one())
        obj = orjson.loads(leaf)
        shuffled = orjson.dumps(dict(reversed(list(obj.items()))))  # same content, keys reversed
        assert shuffled != leaf and orjson.loads(shuffled) == obj
        connection.execute(SET_LEAF, {"leaf": shuffled, "seq": 22})
    report = log.verify()
    found = {(p.kind, p.seq) for p in report.problems}
    assert (ProblemKind.NOT_CANONICAL, 22) in found, report.to_json()
    assert report.first_problem is not None and report.first_problem.seq == 22


def test_a_leaf_that_is_not_json_is_reported_not_raised(
    log_with_tail: tuple[Engine, AuditLog],
) -> None:
    engine, log = log_with_tail
    with engine.begin() as connection:
        connection.execute(SET_LEAF, {"leaf": b"\xff not json", "seq": 3})
    report = log.verify()
    assert (ProblemKind.NOT_CANONICAL, 3) in {(p.kind, p.seq) for p in report.problems}
    assert report.first_problem is not None and report.first_problem.seq == 3


def test_a_sqlite_time_stored_in_another_spelling_of_the_same_instant_agrees(
    sqlite_log_with_tail: tuple[Engine, AuditLog],
) -> None:
    engine, log = sqlite_log_with_tail
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_record SET time = replace(time, ' ', 'T') WHERE seq = 4")
        )
        connection.execute(text("UPDATE audit_record SET time = time || 'x' WHERE seq = 6"))
    report = log.verify()
    assert {(p.kind, p.seq, p.detail) for p in report.problems} == {
        (ProblemKind.COLUMN_MISMATCH, 6, "record at position 6: time")
    }, report.to_json()
