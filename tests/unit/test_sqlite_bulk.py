"""Background row inserts of the embedded store: in order, failures reach the caller, and a
bulk change set that fails after them leaves nothing behind."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from graph.port import ChangeSet, Direction, EdgeReplace, EdgeTarget, NodeQuery, NodeRef, NodeWrite
from graph.sqlite_bulk import RowInsert, background_inserts
from graph.sqlite_store import SqliteGraphStore

ROWS = RowInsert("INSERT INTO t (k, v) VALUES ", "(?, ?)")


def _db() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    db.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, k INTEGER NOT NULL, v TEXT)")
    return db


def test_batches_are_inserted_in_the_order_given() -> None:
    db = _db()
    with background_inserts(db) as inserts:
        for start in range(0, 1000, 100):
            inserts.insert(ROWS, [(k, f"值{k}") for k in range(start, start + 100)])
        inserts.insert(ROWS, [])
    assert db.execute("SELECT k, v FROM t ORDER BY n").fetchall() == [
        (k, f"值{k}") for k in range(1000)
    ]


def test_a_failed_batch_is_raised_and_later_batches_are_skipped() -> None:
    db = _db()

    def insert_three() -> None:
        with background_inserts(db) as inserts:
            inserts.insert(ROWS, [(1, "a")])
            inserts.insert(ROWS, [(None, "bad")])
            inserts.insert(ROWS, [(2, "b")])

    with pytest.raises(sqlite3.IntegrityError):
        insert_three()
    assert db.execute("SELECT k FROM t").fetchall() == [(1,)]


def test_a_bulk_change_set_failing_after_its_background_inserts_writes_nothing(
    tmp_path: Path,
) -> None:
    """The text rows inserted by the background thread are rolled back with the rest."""
    store = SqliteGraphStore(tmp_path / "graph.db")
    dept = NodeRef("Department", "D1")
    systems = [NodeRef("System", f"S-{i:05d}") for i in range(2500)]
    nodes = [NodeWrite(dept, {"name": "部门"}, None, "", "tester")]
    nodes += [NodeWrite(s, {"name": f"系统{i}"}, "D1", "", "tester") for i, s in enumerate(systems)]
    edges = [EdgeReplace(s, "OWNS", [EdgeTarget(dept)], Direction.IN) for s in systems]
    broken = EdgeTarget(dept, key=None)  # type: ignore[arg-type]  # a NOT NULL column
    edges.append(EdgeReplace(systems[-1], "USES", [broken]))
    with pytest.raises(sqlite3.IntegrityError):
        store.apply(changes=ChangeSet(nodes=nodes, edges=edges))
    assert store.count_nodes(query=NodeQuery("System")) == 0
    assert store.search(text="系统", labels=[], limit=5) == []
    store.apply(changes=ChangeSet(nodes=nodes[:2]))  # the connection is usable again
    assert store.count_nodes(query=NodeQuery("System")) == 1
    store.close()
