"""No N+1: the number of store round trips for a page does not grow with the page size."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.services import Services
from catalog.model import Dataset, DatasetField
from catalog.principal import SYSTEM_PRINCIPAL
from graph.port import GraphStore
from tests.factories import SCJG

pytestmark = pytest.mark.asyncio


class CountingStore:
    """Delegates to a real store and counts calls per method (instrumentation, not a mock)."""

    def __init__(self, inner: GraphStore) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return target(*args, **kwargs)

        return counted


PAGE = """query($n: Int!) { datasets(first: $n) { edges { node { code department { name }
    sourceSystem { code department { name } } fields { name dataElement { name department { code } } } } } } }"""


@pytest.fixture
async def counted(
    services: Services, tokens: dict[str, str]
) -> AsyncIterator[tuple[httpx.AsyncClient, CountingStore]]:
    services.ledger.load(
        principal=SYSTEM_PRINCIPAL,
        entities=[
            Dataset(
                code=f"DS-MANY-{i:03d}",
                name=f"批量资源{i}",
                department=SCJG,
                summary="s",
                source_system="SYS-SCJG-1",
                sharing_condition="按需",
                fields=(
                    DatasetField(name="统一社会信用代码", data_element="DE0001"),
                    DatasetField(name=f"f{i}"),
                ),
            )
            for i in range(60)
        ],
    )
    counting = CountingStore(services.store)
    services.store = counting  # type: ignore[assignment]
    services.ledger._store = counting  # type: ignore[assignment]
    transport = httpx.ASGITransport(app=create_app(services))
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://irs.test",
        headers={"Authorization": f"Bearer {tokens['admin']}"},
    ) as client:
        yield client, counting


async def test_store_round_trips_do_not_grow_with_page_size(
    counted: tuple[httpx.AsyncClient, CountingStore],
) -> None:
    client, store = counted
    totals = []
    for n in (2, 50):
        store.calls.clear()
        r = await client.post("/graphql", json={"query": PAGE, "variables": {"n": n}})
        assert "errors" not in r.json()
        assert len(r.json()["data"]["datasets"]["edges"]) == n
        totals.append(sum(store.calls.values()))
    assert totals[0] == totals[1] <= 6, totals


async def test_a_page_fetches_its_owners_in_one_query_only_when_asked(
    counted: tuple[httpx.AsyncClient, CountingStore],
) -> None:
    client, store = counted
    with_owner = "{ datasets(first: 50) { edges { node { code department { name } } } } }"
    without = "{ datasets(first: 50) { edges { node { code } } } }"
    for query, owner_queries in ((with_owner, 1), (without, 0)):
        store.calls.clear()
        r = await client.post("/graphql", json={"query": query})
        assert "errors" not in r.json()
        assert store.calls == Counter(find_nodes=1, get_nodes=owner_queries), store.calls
