"""Bearer tokens: created once, stored hashed, remembered briefly, revocable."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from access.clients import ClientRegistry
from access.records import migrate, records_engine
from catalog.principal import Role


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def engine(records_url: str) -> Iterator[Engine]:
    made = records_engine(records_url)
    migrate(made)
    yield made
    made.dispose()


def test_a_token_is_checked_against_its_hash(engine: Engine) -> None:
    registry = ClientRegistry(engine=engine)
    token = registry.create(name="集成商", role=Role.INTEGRATOR).token
    principal = registry.authenticate(token)
    assert principal is not None and principal.role is Role.INTEGRATOR
    assert registry.authenticate(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert registry.authenticate("not-a-token") is None


def test_revocation_is_immediate_here_and_within_the_cache_window_elsewhere(
    engine: Engine,
) -> None:
    clock = Clock()
    here = ClientRegistry(engine=engine, clock=clock)
    elsewhere = ClientRegistry(engine=engine, clock=clock)  # another worker or replica
    issued = here.create(name="集成商", role=Role.INTEGRATOR)
    assert here.authenticate(issued.token) is not None
    assert elsewhere.authenticate(issued.token) is not None
    assert here.revoke(issued.client.id)
    assert here.authenticate(issued.token) is None  # at once where it was revoked
    assert elsewhere.authenticate(issued.token) is not None  # remembered for up to 2 s
    clock.now += 2.01
    assert elsewhere.authenticate(issued.token) is None
    uncached = ClientRegistry(engine=engine, cache_seconds=0)
    assert uncached.authenticate(issued.token) is None


def test_recreating_a_client_retires_its_old_token_at_once(engine: Engine) -> None:
    registry = ClientRegistry(engine=engine)
    old = registry.create(name="旧", role=Role.INTEGRATOR, client_id="fixed")
    assert registry.authenticate(old.token) is not None
    new = registry.create(name="新", role=Role.AUDITOR, client_id="fixed")
    assert registry.authenticate(old.token) is None
    principal = registry.authenticate(new.token)
    assert principal is not None and principal.role is Role.AUDITOR
