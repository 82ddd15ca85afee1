"""A backend that goes down and comes back: clear UNAVAILABLE answers, nothing half-written,
recovery without restarting the API. Uses its own Neo4j and PostgreSQL, stopped and started
for real by the repo's scripts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.services import Services, build_services
from api.settings import Settings
from catalog.model import Kind
from catalog.principal import SYSTEM_PRINCIPAL, Role
from tests.conftest import IN_CI, require_service
from tests.factories import SCJG, small_ledger

pytestmark = [pytest.mark.neo4j, pytest.mark.postgres, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Service:
    """Start/stop one of our service scripts with its own port and data folder."""

    def __init__(self, script: str, env: dict[str, str]) -> None:
        self.script = str(ROOT / "scripts" / script)
        self.env = {**os.environ, **env}

    def run(self, action: str) -> str:
        done = subprocess.run(
            ["bash", self.script, action],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.strip()


@pytest.fixture
def backends(tmp_path: Path) -> Iterator[tuple[Service, Service, Settings]]:
    if not IN_CI:  # these start their own servers: only where the others are configured
        require_service("Neo4j", "IRS_TEST_NEO4J_URL")
        require_service("PostgreSQL", "IRS_TEST_POSTGRES_URL")
    neo_port, pg_port = _port(), _port()
    neo4j = Service(
        "neo4j.sh",
        {
            "IRS_NEO4J_PORT": str(neo_port),
            "IRS_NEO4J_DATA": str(tmp_path / "neo4j"),
            "IRS_NEO4J_PYTHON": sys.executable,
            "IRS_NEO4J_PASSWORD": "outage-test-pw",
        },
    )
    postgres = Service(
        "postgres.sh",
        {
            "IRS_PG_PORT": str(pg_port),
            "IRS_PG_DATA": str(tmp_path / "pg"),
            "IRS_PG_PASSWORD": "outage-test-pw",
        },
    )
    neo4j.run("start")
    try:
        records = postgres.run("start").splitlines()[-1]
        try:
            yield (
                neo4j,
                postgres,
                Settings(
                    data_dir=tmp_path,
                    graph_url=f"bolt://127.0.0.1:{neo_port}",
                    neo4j_password="outage-test-pw",
                    records_url=records,
                    neo4j_timeout_s=10,
                ),
            )
        finally:
            postgres.run("stop")
    finally:
        neo4j.run("stop")


@pytest.fixture
async def api(
    backends: tuple[Service, Service, Settings],
) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    services = build_services(backends[2])
    services.ledger.load(principal=SYSTEM_PRINCIPAL, entities=small_ledger())  # type: ignore[arg-type]
    token = services.clients.create(
        name="市场监管 业务员", role=Role.DEPARTMENT, department=SCJG
    ).token
    transport = httpx.ASGITransport(app=create_app(services))
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://irs.test",
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        yield client, services
    services.close()


async def _gql(client: httpx.AsyncClient, query: str) -> tuple[int, dict[str, Any]]:
    r = await client.post("/graphql", json={"query": query})
    return r.status_code, r.json()


MOVE = 'mutation { updateSystem(code: "SYS-SCJG-1", patch: {summary: "停机期间"}) { __typename ... on Problem { code messageEn } } }'
READ = "{ systems(filter: {lifecycle: OPERATING}) { totalCount } }"


async def test_graph_outage_is_unavailable_and_recovers(
    backends: tuple[Service, Service, Settings],
    api: tuple[httpx.AsyncClient, Services],
) -> None:
    neo4j, _postgres, _settings = backends
    client, services = api
    assert (await _gql(client, READ))[1] == {"data": {"systems": {"totalCount": 1}}}
    neo4j.run("stop")
    _status, body = await _gql(client, READ)
    assert body["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
    _status, body = await _gql(client, MOVE)
    assert body["data"]["updateSystem"]["code"] == "UNAVAILABLE"
    assert (await client.get("/readyz")).status_code == 503
    neo4j.run("start")
    assert (await _gql(client, READ))[1] == {"data": {"systems": {"totalCount": 1}}}
    stored = services.ledger.get(kind=Kind.SYSTEM, code="SYS-SCJG-1")
    assert stored is not None and stored.version == 1  # nothing was written half-way
    assert stored.entity.summary != "停机期间"  # type: ignore[union-attr]
    assert (await client.get("/readyz")).status_code == 200
    assert 'irs_backend_errors_total{backend="graph"}' in (await client.get("/metrics")).text


async def test_records_outage_refuses_and_recovers(
    backends: tuple[Service, Service, Settings],
    api: tuple[httpx.AsyncClient, Services],
) -> None:
    _neo4j, postgres, _settings = backends
    client, _services = api
    assert (await _gql(client, READ))[0] == 200
    postgres.run("stop")
    status, body = await _gql(client, READ)
    assert status == 503
    assert body["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
    postgres.run("start")
    assert (await _gql(client, READ))[1] == {"data": {"systems": {"totalCount": 1}}}
