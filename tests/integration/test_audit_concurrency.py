"""Several OS processes appending to one audit log at once, on SQLite and PostgreSQL: every
record lands exactly once, seqs are gap-free, and the tree verifies."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.integration.audit_support import open_log

ROOT = Path(__file__).resolve().parents[2]
WRITERS = 4
PER_WRITER = 60
ALL_SEQS = text("SELECT seq, consent_id FROM audit_record ORDER BY seq")


@pytest.mark.slow  # four Python processes starting up
def test_concurrent_processes_get_gap_free_unique_seqs(records_url: str, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    engine, log = open_log(records_url, keys)  # migrated and keyed before the writers start
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.integration.audit_writer",
                records_url,
                str(keys),
                f"w{w}",
                str(PER_WRITER),
            ],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for w in range(WRITERS)
    ]
    for proc in procs:  # all imported and connected: start them together
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"ready\n"
    for proc in procs:
        _, err = proc.communicate(b"go\n", timeout=120)
        assert proc.returncode == 0, err.decode()
    with engine.connect() as connection:
        rows = connection.execute(ALL_SEQS).all()
    total = WRITERS * PER_WRITER
    assert [seq for seq, _ in rows] == list(range(total))
    assert sorted(consent for _, consent in rows) == sorted(
        f"w{w}-{i}" for w in range(WRITERS) for i in range(PER_WRITER)
    )
    for w in range(WRITERS):  # each writer's records keep its own order
        mine = [int(c.split("-")[1]) for _, c in rows if c.startswith(f"w{w}-")]
        assert mine == sorted(mine)
    assert log.size() == total
    log.checkpoint()
    report = log.verify()
    assert report.ok, report.to_json()
    engine.dispose()
