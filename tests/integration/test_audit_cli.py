"""`irs audit verify | checkpoint | prove | vkey` on the configured records database."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from access.audit.checkpoint import parse_verifier_key
from access.audit.log import open_audit_log
from access.audit.verify import verify_record
from access.records import migrate, records_engine
from api.cli import app
from tests.integration.audit_support import draft, drop_guards


def test_checkpoint_prove_and_verify_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IRS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("IRS_RECORDS_URL", raising=False)
    engine = records_engine(f"sqlite:///{tmp_path / 'records.db'}")
    migrate(engine)
    open_audit_log(engine, tmp_path / "keys").append_now([draft(i) for i in range(12)])
    runner = CliRunner()

    made = runner.invoke(app, ["audit", "checkpoint"])
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["size"] == 12
    vkey = runner.invoke(app, ["audit", "vkey"]).stdout.strip()
    _, public_key = parse_verifier_key(vkey)

    proved = runner.invoke(app, ["audit", "prove", "5"])
    assert proved.exit_code == 0, proved.output
    proof = json.loads(proved.stdout)
    assert proof["verifierKey"] == vkey
    checked = verify_record(
        checkpoint=proof["checkpoint"],
        public_key=public_key,
        record=proof["record"].encode(),
        proof=[base64.b64decode(h) for h in proof["proof"]],
    )
    assert checked.record.seq == 5
    assert runner.invoke(app, ["audit", "prove", "12"]).exit_code == 2

    saved = tmp_path / "proof.json"
    saved.write_text(proved.stdout)
    offline = runner.invoke(app, ["audit", "check", str(saved), "--vkey", vkey])
    assert offline.exit_code == 0, offline.output
    assert json.loads(offline.stdout) | {"checkpointTime": None} == {
        "valid": True,
        "seq": 5,
        "treeSize": 12,
        "checkpointTime": None,
    }
    forged = json.loads(proved.stdout)
    forged["record"] = forged["record"].replace('"actor":"app-2"', '"actor":"app-0"')
    saved.write_text(json.dumps(forged))
    refused = runner.invoke(app, ["audit", "check", str(saved), "--vkey", vkey])
    assert refused.exit_code == 1
    assert json.loads(refused.stdout)["valid"] is False

    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout)["ok"] is True

    with engine.begin() as connection:
        drop_guards(connection)  # a DBA set on it; the app's connection cannot delete
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_record WHERE seq = 4"))
    engine.dispose()
    failed = runner.invoke(app, ["audit", "verify"])
    assert failed.exit_code == 1
    report = json.loads(failed.stdout)
    assert report["ok"] is False
    assert report["firstProblem"]["seq"] == 4
    assert report["firstProblem"]["kind"] == "DELETED"
    assert "审计" in failed.stderr and "seq 4" in failed.stderr
