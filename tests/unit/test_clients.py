"""Bearer tokens: created once, stored hashed, checked on every request, revocable."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from access.clients import ClientRegistry
from access.records import migrate, records_engine
from catalog.principal import Role


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


def test_revocation_is_immediate_here_and_in_every_other_process(engine: Engine) -> None:
    here = ClientRegistry(engine=engine)
    elsewhere = ClientRegistry(engine=engine)  # another worker or replica
    issued = here.create(name="集成商", role=Role.INTEGRATOR)
    assert here.authenticate(issued.token) is not None
    assert elsewhere.authenticate(issued.token) is not None
    assert here.revoke(issued.client.id)
    assert here.authenticate(issued.token) is None
    assert elsewhere.authenticate(issued.token) is None


def test_recreating_a_client_retires_its_old_token_at_once(engine: Engine) -> None:
    registry = ClientRegistry(engine=engine)
    old = registry.create(name="旧", role=Role.INTEGRATOR, client_id="fixed")
    assert registry.authenticate(old.token) is not None
    new = registry.create(name="新", role=Role.AUDITOR, client_id="fixed")
    assert registry.authenticate(old.token) is None
    principal = registry.authenticate(new.token)
    assert principal is not None and principal.role is Role.AUDITOR
