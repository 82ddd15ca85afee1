"""The audit log as auditors and holders see it: what is recorded, filters, links, proofs."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from access.audit.checkpoint import parse_verifier_key
from access.audit.verify import verify_record
from api.app import create_app
from api.cli import app as cli
from api.graphql.schema import build_schema
from api.services import Services, build_services
from api.settings import Settings
from catalog.model import DataElement
from catalog.principal import Role
from tests.api.conftest import Api
from tests.api.test_elicenses_api import CALL, call_input, consent_code, grant_to
from tests.elicense_fixtures import OTHER_PERSON, PERSON, World, build_world, residence

SEARCH = """query($filter: AuditFilter, $first: Int = 50) {
  auditRecords(filter: $filter, first: $first) {
    totalCount
    edges { node { seq kind actor resource decision reasons fieldsReleased requestId grantId
                   consentId holderBlindIndex responseDigest afterDigest
                   grant { id status } } }
  }
}"""
TRAIL = """query($holder: String!) {
  myAuditTrail(holderCode: $holder) {
    totalCount
    edges { node { seq kind actor purpose decision fieldsReleased record
      proof { treeSize auditPath rootHash checkpoint } } }
  }
}"""


@pytest.fixture
def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    monkeypatch.setenv("IRS_DATA_DIR", str(tmp_path))
    made = build_services(Settings(data_dir=tmp_path, public_url="https://irs.test"))
    yield made
    made.close()


@pytest.fixture
def world(services: Services) -> World:
    made = build_world(services)
    services.elicenses.issue(principal=made.gaj, item=residence())
    return made


@pytest.fixture
async def api(services: Services, world: World) -> AsyncIterator[Api]:
    tokens = {
        "app": services.clients.create(name="i厦门", role=Role.HOLDER_APP).token,
        "auditor": services.clients.create(name="审计", role=Role.AUDITOR).token,
        "integrator": services.clients.create(name="集成商 2", role=Role.INTEGRATOR).token,
        "gaj": services.clients.create(
            name="公安", role=Role.DEPARTMENT, department=world.gaj.department
        ).token,
    }
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(services)), base_url="https://irs.test"
    ) as client:
        api = Api(client, tokens)
        api.world = world  # type: ignore[attr-defined]
        yield api


async def search(api: Api, **filter: Any) -> dict[str, Any]:
    body = await api.gql(SEARCH, {"filter": filter}, as_="auditor")
    return dict(body["data"]["auditRecords"])


async def test_every_sharing_consent_and_call_event_is_recorded(
    api: Api, services: Services
) -> None:
    caller = await grant_to(api, services, api.world)  # type: ignore[attr-defined]
    code = await consent_code(api, caller)
    answer = (await api.gql(CALL, call_input(code), as_="integrator"))["data"]["callELicense"]
    await api.gql(CALL, call_input(code), as_="integrator")  # the code again: denied
    kinds = {e["node"]["kind"] for e in (await search(api))["edges"]}
    assert {
        "REQUEST_SUBMITTED",
        "REQUEST_APPROVED",
        "CONSENT_GIVEN",
        "LICENSED_CALL",
        "CATALOG_CHANGED",
    } <= kinds
    calls = await search(api, kind="LICENSED_CALL", actor=caller)
    assert calls["totalCount"] == 2
    denied, allowed = (e["node"] for e in calls["edges"])  # newest first
    assert allowed["decision"] == "ALLOW" and denied["decision"] == "DENY"
    assert allowed["fieldsReleased"] == ["姓名", "公民身份号码"]
    assert denied["reasons"] == ["CONSENT_INVALID"]
    assert allowed["seq"] == answer["auditSeq"]
    assert allowed["grant"]["id"] == allowed["grantId"]
    import hashlib

    assert allowed["responseDigest"] == hashlib.sha256(answer["jws"].encode()).hexdigest()
    by_request = await search(
        api, requestId=(await search(api, kind="REQUEST_APPROVED"))["edges"][0]["node"]["requestId"]
    )
    assert {e["node"]["kind"] for e in by_request["edges"]} >= {"REQUEST_SUBMITTED"}


async def test_refusals_revocations_and_catalog_changes_are_recorded(
    api: Api, services: Services, world: World
) -> None:
    caller = await grant_to(api, services, world)
    grants = [
        g for g in services.sharing.grants(principal=world.gaj) if g.caller_client_id == caller
    ]
    services.sharing.revoke(principal=world.gaj, grant_id=grants[0].id, reason="合同到期")
    revoked = await search(api, kind="GRANT_REVOKED")
    assert revoked["edges"][0]["node"]["reasons"] == ["合同到期"]
    services.ledger.register(
        principal=world.gaj,
        entity=DataElement(code="DE9999", name="测试元素", department=world.gaj.department),  # type: ignore[arg-type]
    )
    changed = await search(api, kind="CATALOG_CHANGED", resource="DataElement:DE9999")
    assert changed["totalCount"] == 1
    assert changed["edges"][0]["node"]["afterDigest"]


async def test_holders_see_who_used_their_license_and_can_check_each_entry(
    api: Api, services: Services
) -> None:
    caller = await grant_to(api, services, api.world)  # type: ignore[attr-defined]
    await api.gql(CALL, call_input(await consent_code(api, caller)), as_="integrator")
    services.audit.checkpoint()
    trail = (await api.gql(TRAIL, {"holder": PERSON}, as_="app"))["data"]["myAuditTrail"]
    kinds = [e["node"]["kind"] for e in trail["edges"]]
    assert "LICENSED_CALL" in kinds and "CONSENT_GIVEN" in kinds
    call = next(e["node"] for e in trail["edges"] if e["node"]["kind"] == "LICENSED_CALL")
    assert call["actor"] == caller and call["fieldsReleased"] == ["姓名", "公民身份号码"]
    _name, key = parse_verifier_key(services.audit.verifier_key)
    proof = call["proof"]
    verified = verify_record(
        checkpoint=proof["checkpoint"],
        public_key=key,
        record=call["record"].encode(),
        proof=[base64.b64decode(h) for h in proof["auditPath"]],
    )
    assert verified.record.kind.value == "LICENSED_CALL"
    assert PERSON not in call["record"]
    others = (await api.gql(TRAIL, {"holder": OTHER_PERSON}, as_="app"))["data"]["myAuditTrail"]
    assert others["totalCount"] == 0


async def test_only_auditors_search_and_nothing_edits_the_log(api: Api) -> None:
    body = await api.gql(SEARCH, {}, as_="integrator", expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    trail = await api.gql(TRAIL, {"holder": PERSON}, as_="integrator", expect_errors=True)
    assert trail["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    mutation = build_schema()._schema.mutation_type
    assert mutation is not None
    assert not [name for name in mutation.fields if "audit" in name.lower()]


async def test_the_log_verifies_after_all_of_it(api: Api, services: Services) -> None:
    caller = await grant_to(api, services, api.world)  # type: ignore[attr-defined]
    await api.gql(CALL, call_input(await consent_code(api, caller)), as_="integrator")
    done = CliRunner().invoke(cli, ["audit", "verify"])
    assert done.exit_code == 0, done.output
