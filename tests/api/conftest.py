"""An API over a small ledger in a temporary data dir, and clients for each role."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.services import Services, build_services
from api.settings import Settings
from catalog.principal import SYSTEM_PRINCIPAL, Role
from tests.factories import GAJ, SCJG, small_ledger


class Api:
    """Posts GraphQL as a given role and returns the decoded body."""

    def __init__(self, client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
        self.client = client
        self.tokens = tokens

    async def gql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        as_: str = "admin",
        expect_errors: bool = False,
    ) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {self.tokens[as_]}"},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if not expect_errors:
            assert "errors" not in body, body
        return body


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    services = build_services(settings)
    services.ledger.load(principal=SYSTEM_PRINCIPAL, entities=small_ledger())  # type: ignore[arg-type]
    yield services
    services.close()


@pytest.fixture
def tokens(services: Services) -> dict[str, str]:
    made = {
        "admin": services.clients.create(name="admin", role=Role.ADMIN),
        "scjg": services.clients.create(
            name="市场监管 业务员", role=Role.DEPARTMENT, department=SCJG
        ),
        "gaj": services.clients.create(name="公安 业务员", role=Role.DEPARTMENT, department=GAJ),
        "integrator": services.clients.create(name="集成商", role=Role.INTEGRATOR),
        "auditor": services.clients.create(name="审计", role=Role.AUDITOR),
    }
    return {k: v.token for k, v in made.items()}


@pytest.fixture
async def api(services: Services, tokens: dict[str, str]) -> AsyncIterator[Api]:
    app = create_app(services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://irs.test") as client:
        yield Api(client, tokens)
