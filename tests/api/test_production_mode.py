"""Production mode: no GraphiQL, no introspection, no demo."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from api.services import ConfigurationError, build_services
from api.settings import Mode, Settings
from catalog.principal import Role


def test_production_needs_keys_made_once_by_keys_init(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="irs keys init"):
        build_services(Settings(data_dir=tmp_path, mode=Mode.PRODUCTION))
    made = CliRunner().invoke(cli, ["keys", "init"], env={"IRS_DATA_DIR": str(tmp_path)})
    assert made.exit_code == 0, made.output
    assert "audit log verifier key: irs.xm.gov.cn/audit+" in made.output
    build_services(Settings(data_dir=tmp_path, mode=Mode.PRODUCTION)).close()


async def test_production_turns_off_the_ide_and_introspection(tmp_path: Path) -> None:
    CliRunner().invoke(cli, ["keys", "init"], env={"IRS_DATA_DIR": str(tmp_path)})
    services = build_services(Settings(data_dir=tmp_path, mode=Mode.PRODUCTION))
    token = services.clients.create(name="a", role=Role.ADMIN).token
    transport = httpx.ASGITransport(app=create_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://irs.test") as client:
        r = await client.get("/graphql", headers={"Accept": "text/html"})
        assert r.status_code == 401
        r = await client.post(
            "/graphql",
            json={"query": "{ __schema { types { name } } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert "introspection" in r.json()["errors"][0]["message"].lower()
        r = await client.post(
            "/graphql",
            json={"query": "{ me { role } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.json() == {"data": {"me": {"role": "admin"}}}
    services.close()


def test_demo_is_refused_in_production(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["serve", "--demo"], env={"IRS_MODE": "production", "IRS_DATA_DIR": str(tmp_path)}
    )
    assert result.exit_code == 2
    assert "production" in result.output


def test_cli_creates_a_client_whose_token_works(tmp_path: Path) -> None:
    env = {"IRS_DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    bad = runner.invoke(
        cli,
        [
            "clients",
            "create",
            "--name",
            "x",
            "--role",
            "department",
            "--department",
            "91350200MA2Y0Q1J3X",
        ],
        env=env,
    )
    assert bad.exit_code == 2 and "check character" in bad.output
    made = runner.invoke(cli, ["clients", "create", "--name", "审计", "--role", "auditor"], env=env)
    assert made.exit_code == 0, made.output
    token = made.output.strip().splitlines()[-1]
    services = build_services(Settings(data_dir=tmp_path))
    principal = services.clients.authenticate(token)
    assert principal is not None and principal.role is Role.AUDITOR
    listed = runner.invoke(cli, ["clients", "list"], env=env)
    assert token not in listed.output and "auditor" in listed.output
    client_id = principal.client_id
    assert runner.invoke(cli, ["clients", "revoke", client_id], env=env).exit_code == 0
    assert services.clients.authenticate(token) is None
    services.close()
