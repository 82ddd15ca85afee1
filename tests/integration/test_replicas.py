"""Two API replicas against one Neo4j and one PostgreSQL, writing at once: no lost update,
no duplicate (real processes, real servers)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from api.services import build_services
from api.settings import Settings
from catalog.ledger import ListFilter
from catalog.model import Kind
from catalog.principal import SYSTEM_PRINCIPAL, Role
from tests.conftest import fresh_postgres_database, wiped_neo4j
from tests.factories import SCJG, small_ledger

pytestmark = [pytest.mark.neo4j, pytest.mark.postgres, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[tuple[list[str], str, Settings]]:
    url, password = wiped_neo4j()
    with fresh_postgres_database() as records:
        settings = Settings(
            data_dir=tmp_path, graph_url=url, neo4j_password=password, records_url=records
        )
        services = build_services(settings)
        services.ledger.load(principal=SYSTEM_PRINCIPAL, entities=small_ledger())  # type: ignore[arg-type]
        token = services.clients.create(
            name="市场监管 业务员", role=Role.DEPARTMENT, department=SCJG
        ).token
        services.close()
        env = {
            **os.environ,
            "IRS_GRAPH_URL": url,
            "IRS_NEO4J_PASSWORD": password,
            "IRS_RECORDS_URL": records,
            "IRS_DATA_DIR": str(tmp_path),
        }
        ports = [_free_port(), _free_port()]
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--factory",
                    "api.asgi:app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for port in ports
        ]
        try:
            bases = [f"http://127.0.0.1:{p}" for p in ports]
            deadline = time.monotonic() + 60
            for base in bases:
                while True:
                    try:
                        if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    assert time.monotonic() < deadline, "replica did not start"
                    time.sleep(0.3)
            yield bases, token, settings
        finally:
            for proc in procs:
                proc.terminate()
                proc.communicate(timeout=30)


REGISTER = """mutation($code: String!, $d: String!) { registerSystem(input: {code: $code, name: "并发登记系统",
  department: $d}) { __typename ... on Problem { code } } }"""
PATCH = """mutation($field: String!) { updateSystem(code: "SYS-SCJG-1", patch: {summary: $field}) {
  __typename ... on System { version } ... on Problem { code } } }"""


def test_two_replicas_lose_nothing_and_duplicate_nothing(
    replicas: tuple[list[str], str, Settings],
) -> None:
    bases, token, settings = replicas
    clients = [
        httpx.Client(base_url=b, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        for b in bases
    ]

    def register(i: int) -> str:
        # every code is sent to both replicas at once: exactly one must win
        code = f"SYS-RACE-{i // 2:03d}"
        r = clients[i % 2].post(
            "/graphql", json={"query": REGISTER, "variables": {"code": code, "d": SCJG}}
        )
        return str(r.json()["data"]["registerSystem"]["__typename"])

    def patch(i: int) -> str:
        r = clients[i % 2].post("/graphql", json={"query": PATCH, "variables": {"field": f"v{i}"}})
        return str(r.json()["data"]["updateSystem"]["__typename"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(register, range(60)))
        patched = list(pool.map(patch, range(40)))
    for c in clients:
        c.close()
    assert outcomes.count("System") == 30
    assert outcomes.count("Conflict") == 30
    assert patched == ["System"] * 40

    services = build_services(settings)
    try:
        systems = services.ledger.count(
            kind=Kind.SYSTEM, filter=ListFilter(name_contains="并发登记")
        )
        assert systems == 30
        shared = services.ledger.get(kind=Kind.SYSTEM, code="SYS-SCJG-1")
        assert shared is not None
        assert shared.version == 1 + 40  # every patch applied once, none lost
    finally:
        services.close()
