"""The embedded store survives restarts and SIGKILL, and several processes writing at once
lose nothing (the server and the CLI may write to one data folder together)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from catalog.ledger import Ledger, ListFilter
from catalog.model import Kind
from catalog.principal import SYSTEM_PRINCIPAL
from graph.sqlite_store import SqliteGraphStore
from tests.factories import small_ledger

ROOT = Path(__file__).resolve().parents[2]


def _seeded(path: Path) -> None:
    store = SqliteGraphStore(path)
    Ledger(store=store).load(principal=SYSTEM_PRINCIPAL, entities=small_ledger())  # type: ignore[arg-type]
    store.close()


def _writer(path: Path, prefix: str, count: int, field: str = "") -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.writer", str(path), prefix, str(count), field],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_everything_is_there_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    _seeded(path)
    reopened = Ledger(store=SqliteGraphStore(path))
    summary = reopened.summary()
    assert summary.totals[Kind.DATASET] == 3
    assert summary.totals[Kind.DEPARTMENT] == 3
    assert reopened.search(text="营业执照", kinds=[], first=1)[0].entity.name == "营业执照"


def test_sigkill_loses_no_committed_write(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    _seeded(path)
    child = _writer(path, "KILL", 100_000)
    assert child.stdout is not None
    committed: list[str] = []
    deadline = time.monotonic() + 60
    while len(committed) < 50 and time.monotonic() < deadline:
        line = child.stdout.readline()
        if not line:
            break
        committed.append(line.strip())
    child.send_signal(signal.SIGKILL)
    _out, err = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert len(committed) >= 50, err
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    ledger = Ledger(store=SqliteGraphStore(path))
    found = ledger.get_many(refs=[(Kind.SYSTEM, c) for c in committed])
    assert len(found) == len(committed)
    # and the store is writable again after the crash
    _writer(path, "AFTER", 1).communicate(timeout=60)
    assert ledger.get(kind=Kind.SYSTEM, code="SYS-AFTER-00000") is not None


def test_concurrent_writer_processes_lose_no_update(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    _seeded(path)
    fields = ["summary", "functions", "network"]
    children = [_writer(path, f"P{i}", 30, fields[i]) for i in range(3)]
    for child in children:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err
        assert len(out.split()) == 30
    ledger = Ledger(store=SqliteGraphStore(path))
    assert ledger.count(kind=Kind.SYSTEM, filter=ListFilter()) == 2 + 90
    shared = ledger.get(kind=Kind.SYSTEM, code="SYS-SCJG-1")
    assert shared is not None
    assert shared.version == 1 + 90
    for i, field in enumerate(fields):
        assert getattr(shared.entity, field) == f"P{i}-29"
