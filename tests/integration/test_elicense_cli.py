"""`irs elicenses issue FILE`, `irs verify FILE` (offline and with status lists), `irs keys`."""

from __future__ import annotations

import csv
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from access.elicenses.calls import CallRequest, Released
from api.app import create_app
from api.cli import app
from api.services import Services, build_services
from api.settings import Settings
from tests.elicense_fixtures import (
    MATTER,
    OTHER_PERSON,
    PERSON,
    PURPOSE,
    RESIDENCE,
    World,
    build_world,
    residence,
)

runner = CliRunner()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def services(tmp_path: Path, port: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    monkeypatch.setenv("IRS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("IRS_PUBLIC_URL", f"http://127.0.0.1:{port}")
    made = build_services(Settings())
    yield made
    made.close()


@pytest.fixture
def world(services: Services) -> World:
    return build_world(services)


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="gb18030", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def row(person: str, serial: int) -> dict[str, str]:
    item = residence(person, serial)
    return {
        "证照类型代码": item.type_code,
        "颁发机构代码": item.issuer_code,
        "流水号": str(serial),
        "证照编号": item.number,
        "持证主体": item.holder_name,
        "持证主体代码": person,
        "签发日期": "2025-03-01",
        **dict(item.surface),
    }


def test_bulk_issuance_checks_every_row_and_writes_all_or_nothing(
    world: World, tmp_path: Path
) -> None:
    bad = row(PERSON[:-1] + ("1" if PERSON[-1] != "1" else "2"), 3)
    path = write_csv(tmp_path / "证照.csv", [row(PERSON, 1), row(OTHER_PERSON, 2), bad])
    failed = runner.invoke(app, ["elicenses", "issue", str(path)])
    assert failed.exit_code == 1
    assert "row 4: holderCode" in failed.output
    assert bad["持证主体代码"] not in failed.output
    assert world.services.elicenses.issued(principal=world.gaj) == []
    good = write_csv(tmp_path / "ok.csv", [row(PERSON, 1), row(OTHER_PERSON, 2)])
    done = runner.invoke(app, ["elicenses", "issue", str(good)])
    assert done.exit_code == 0, done.output
    assert len(world.services.elicenses.issued(principal=world.gaj)) == 2


def saved_response(world: World, tmp_path: Path) -> tuple[Path, Path, Released]:
    services = world.services
    services.elicenses.issue(principal=world.gaj, item=residence())
    consent = services.consents.give(
        principal=world.holder_app,
        holder_code=PERSON,
        certificate_type=RESIDENCE,
        caller_client_id=world.integrator.client_id,
        purpose=PURPOSE,
        valid_until=datetime.now(UTC) + timedelta(days=3),
    )
    code = services.consents.one_time_code(principal=world.holder_app, consent_id=consent.id)
    result = services.calls.call(
        principal=world.integrator,
        request=CallRequest(
            certificate_type=RESIDENCE,
            holder_code=PERSON,
            purpose=PURPOSE,
            matter=MATTER,
            fields=("姓名",),
            consent_code=code.code,
        ),
    )
    assert isinstance(result, Released)
    response = tmp_path / "response.json"
    response.write_text(json.dumps({"data": {"callELicense": {"jws": result.token}}}))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(services.keys.public_jwks()))
    return response, jwks, result


def test_verify_offline_accepts_the_response_and_rejects_a_tampered_one(
    world: World, tmp_path: Path
) -> None:
    response, jwks, result = saved_response(world, tmp_path)
    ok = runner.invoke(app, ["verify", str(response), "--jwks", str(jwks)])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["licenseId"] == result.license_id
    head, payload, signature = result.token.split(".")
    forged = tmp_path / "forged.jws"
    forged.write_text(f"{head}.{payload[:-4]}AAAA.{signature}")
    bad = runner.invoke(app, ["verify", str(forged), "--jwks", str(jwks)])
    assert bad.exit_code == 1
    assert json.loads(bad.stdout)["valid"] is False


@pytest.fixture
def server(services: Services, port: int) -> Iterator[None]:
    config = uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_level="error")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield
    instance.should_exit = True
    thread.join(timeout=10)


def test_verify_with_status_sees_a_revocation(world: World, tmp_path: Path, server: None) -> None:
    response, jwks, result = saved_response(world, tmp_path)
    fine = runner.invoke(app, ["verify", str(response), "--jwks", str(jwks), "--status"])
    assert fine.exit_code == 0, fine.output
    assert [s["revoked"] for s in json.loads(fine.stdout)["status"]] == [False, False]
    world.services.elicenses.revoke(
        principal=world.gaj, license_id=result.license_id, reason="持证人迁出"
    )
    world.services.status.forget()
    revoked = runner.invoke(app, ["verify", str(response), "--jwks", str(jwks), "--status"])
    assert revoked.exit_code == 1
    assert [s["revoked"] for s in json.loads(revoked.stdout)["status"]] == [True, False]


def test_key_rotation_and_reencryption_from_the_cli(world: World) -> None:
    world.services.elicenses.issue(principal=world.gaj, item=residence())
    rotated = runner.invoke(app, ["keys", "rotate", "--data", "--signing"])
    assert rotated.exit_code == 0, rotated.output
    moved = runner.invoke(app, ["keys", "reencrypt"])
    assert moved.exit_code == 0, moved.output
    assert "re-encrypted 1" in moved.output
