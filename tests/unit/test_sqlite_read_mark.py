"""The embedded store's read mark also moves when another connection writes (another store
object on the same file stands for another process: both are other SQLite connections)."""

from __future__ import annotations

import threading
from pathlib import Path

from graph.port import ChangeSet, NodeRef, NodeWrite
from graph.sqlite_store import SqliteGraphStore


def one_node(code: str) -> ChangeSet:
    write = NodeWrite(ref=NodeRef("Department", code), props={"name": code}, owner=None,
                      search_text="", by="t", expect_version=None)  # fmt: skip
    return ChangeSet(nodes=(write,))


def test_writes_by_another_connection_move_the_mark(tmp_path: Path) -> None:
    reader = SqliteGraphStore(tmp_path / "g.db")
    writer = SqliteGraphStore(tmp_path / "g.db")
    try:
        mark = reader.read_mark()
        writer.apply(changes=one_node("D1"))
        assert reader.read_mark() != mark
        mark = reader.read_mark()
        done = threading.Thread(target=lambda: reader.apply(changes=one_node("D2")))
        done.start()
        done.join()  # the same store written from another thread (its own connection)
        assert reader.read_mark() != mark
    finally:
        reader.close()
        writer.close()
