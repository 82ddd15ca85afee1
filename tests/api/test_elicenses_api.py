"""The licensed call over HTTP: consent, call, JWKS, status lists, verification, trust, logs."""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from access.crypto.keys import KeyRing
from access.crypto.status_list import StatusList
from access.crypto.vc import build_credential, sign_credential
from api.app import create_app
from api.services import Services, build_services
from api.settings import Settings
from catalog.principal import Role
from tests.api.conftest import Api
from tests.elicense_fixtures import (
    MATTER,
    PERSON,
    PURPOSE,
    RESIDENCE,
    World,
    build_world,
    residence,
)
from tests.unit.test_crypto_interop import INTEROP, node  # noqa: F401  (the fixture)

GIVE = """mutation($holder: String!, $caller: String!, $until: DateTime!) {
  giveConsent(holderCode: $holder, certificateType: "RESIDENCE", callerClientId: $caller,
              purpose: "PURPOSE", validUntil: $until) {
    __typename ... on Consent { id active } ... on Problem { code }
  }
}""".replace("RESIDENCE", RESIDENCE).replace("PURPOSE", PURPOSE)
CODE = """mutation($id: ID!) {
  consentCode(consentId: $id) { __typename ... on ConsentCode { code expiresAt } ... on Problem { code } }
}"""
CALL = """mutation($input: LicensedCallInput!) {
  callELicense(input: $input) {
    __typename
    ... on LicensedResponse { jws credential licenseId grantId fields maskedFields auditSeq }
    ... on CallDenied { code reasons { code message messageEn } auditSeq }
    ... on ValidationProblem { code issues { path code message messageEn } }
    ... on Problem { code message messageEn }
  }
}"""
REVOKE = """mutation($id: String!) {
  revokeELicense(licenseId: $id, reason: "持证人迁出本市") {
    __typename ... on ELicense { status statusListCredential statusListIndex } ... on Problem { code }
  }
}"""
VERIFY = """query($jws: String!) {
  verifyCredential(jws: $jws) { valid issuer kid code messageEn credential }
}"""


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
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
        name: services.clients.create(name=name, role=role, department=dept, client_id=cid).token
        for name, role, dept, cid in (
            ("app", Role.HOLDER_APP, None, world.holder_app.client_id + "x"),
            ("gaj", Role.DEPARTMENT, world.gaj.department, None),
            ("admin", Role.ADMIN, None, None),
        )
    }
    # the integrator of the world (it holds the grants) gets a token of its own
    tokens["integrator"] = services.clients.create(
        name="集成商 2", role=Role.INTEGRATOR, client_id=world.integrator.client_id + "b"
    ).token
    app = create_app(services)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://irs.test"
    ) as client:
        api = Api(client, tokens)
        api.world = world  # type: ignore[attr-defined]
        yield api


async def grant_to(api: Api, services: Services, world: World) -> str:
    """Submit and approve a residence-permit request for the HTTP integrator; its client id."""
    from access.policy import ResourceKind
    from access.sharing import RequestInput, WantedItem

    caller = services.clients.authenticate(api.tokens["integrator"])
    assert caller is not None
    now = datetime.now(UTC)
    submitted = services.sharing.submit(
        principal=caller,
        request=RequestInput(
            purpose=PURPOSE,
            legal_basis="《居住证暂行条例》",
            matters=(MATTER,),
            valid_from=now - timedelta(days=1),
            valid_until=now + timedelta(days=30),
            items=(WantedItem(ResourceKind.CERTIFICATE_TYPE, RESIDENCE, ("姓名", "公民身份号码")),),
        ),
    )
    services.sharing.approve(
        principal=world.gaj,
        item_id=submitted.items[0].id,
        fields=None,
        valid_until=None,
        quota_per_day=None,
    )
    return caller.client_id


async def consent_code(api: Api, caller: str) -> str:
    until = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    given = await api.gql(GIVE, {"holder": PERSON, "caller": caller, "until": until}, as_="app")
    consent = given["data"]["giveConsent"]
    assert consent["__typename"] == "Consent", consent
    code = await api.gql(CODE, {"id": consent["id"]}, as_="app")
    return str(code["data"]["consentCode"]["code"])


def call_input(code: str | None, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "certificateType": RESIDENCE,
        "holder": PERSON,
        "purpose": PURPOSE,
        "matterCode": MATTER,
        "fields": ["姓名", "公民身份号码"],
        "consent": code,
    }
    values.update(changes)
    return {"input": values}


async def licensed_call(api: Api, services: Services) -> tuple[str, dict[str, Any]]:
    caller = await grant_to(api, services, api.world)  # type: ignore[attr-defined]
    code = await consent_code(api, caller)
    body = await api.gql(CALL, call_input(code), as_="integrator")
    result: dict[str, Any] = body["data"]["callELicense"]
    assert result["__typename"] == "LicensedResponse", result
    return caller, result


async def test_a_licensed_call_verifies_with_an_independent_jose(
    api: Api,
    services: Services,
    node: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    _caller, result = await licensed_call(api, services)
    assert result["maskedFields"] == ["公民身份号码"]
    jwks = (await api.client.get("/.well-known/jwks.json")).json()
    (tmp_path / "jwks.json").write_text(json.dumps(jwks))
    (tmp_path / "tokens.txt").write_text(result["jws"] + "\n")
    done = subprocess.run(
        [node, str(INTEROP / "verify.mjs"), "--jwks", str(tmp_path / "jwks.json"),
         "--tokens", str(tmp_path / "tokens.txt"), "--issuer", "https://irs.test",
         "--typ", "vc+jwt"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    payload = json.loads(done.stdout.splitlines()[0])["payload"]
    assert payload["credentialSubject"]["surface"]["姓名"] == "林晓梅"
    assert payload["credentialSubject"]["licenseId"] == result["licenseId"]


async def test_revoking_sets_the_status_bit_and_refuses_later_calls(
    api: Api, services: Services
) -> None:
    caller, result = await licensed_call(api, services)
    revoked = (await api.gql(REVOKE, {"id": result["licenseId"]}, as_="gaj"))["data"]
    entry = revoked["revokeELicense"]
    assert entry["status"] == "REVOKED"
    status = await api.client.get(entry["statusListCredential"].removeprefix("https://irs.test"))
    assert status.status_code == 200 and status.headers["content-type"].startswith(
        "application/vc+jwt"
    )
    listed = await api.gql(VERIFY, {"jws": status.text}, as_="integrator")
    credential = listed["data"]["verifyCredential"]["credential"]
    bits = StatusList.decode(credential["credentialSubject"]["encodedList"])
    assert bits.get(entry["statusListIndex"])
    license_status = result["credential"]["credentialStatus"][0]
    assert license_status["statusListCredential"] == entry["statusListCredential"]
    later = await api.gql(CALL, call_input(await consent_code(api, caller)), as_="integrator")
    denied = later["data"]["callELicense"]
    assert denied["__typename"] == "CallDenied"
    assert [r["code"] for r in denied["reasons"]] == ["ELICENSE_REVOKED"]
    assert (await api.client.get("/status/grants/0")).status_code == 200
    assert (await api.client.get("/status/grants/7")).status_code == 404
    assert (await api.client.get("/status/other/0")).status_code == 404


async def test_denials_list_every_reason_and_bad_input_is_typed(
    api: Api, services: Services
) -> None:
    caller = await grant_to(api, services, api.world)  # type: ignore[attr-defined]
    body = await api.gql(
        CALL, call_input(None, fields=["居住地址"], purpose="别的用途"), as_="integrator"
    )
    denied = body["data"]["callELicense"]
    assert denied["__typename"] == "CallDenied"
    codes = {r["code"] for r in denied["reasons"]}
    assert {"CONSENT_REQUIRED", "FIELDS_NOT_GRANTED", "PURPOSE_NOT_GRANTED"} <= codes
    assert all(r["message"] and r["messageEn"] for r in denied["reasons"])
    bad = PERSON[:-1] + ("0" if PERSON[-1] != "0" else "1")
    wrong = await api.gql(
        CALL, call_input(await consent_code(api, caller), holder=bad), as_="integrator"
    )
    problem = wrong["data"]["callELicense"]
    assert problem["__typename"] == "ValidationProblem"
    assert problem["issues"][0]["path"] == "holder"
    assert bad not in json.dumps(wrong, ensure_ascii=False)
    unknown = await api.gql(
        CALL, call_input(None, certificateType=RESIDENCE[:-3] + "998"), as_="integrator"
    )
    assert unknown["data"]["callELicense"]["code"] == "NOT_FOUND"


async def test_foreign_issuers_are_trusted_only_once_added(api: Api) -> None:
    foreign = KeyRing.generate()
    now = datetime.now(UTC)
    token = sign_credential(
        build_credential(
            issuer="https://zwfw.fujian.gov.cn",
            subject={"licenseId": "demo", "surface": {"名称": "泉州某公司"}},
            valid_from=now - timedelta(days=1),
            valid_until=now + timedelta(days=30),
        ),
        foreign.active_signing_key,
    )
    before = (await api.gql(VERIFY, {"jws": token}, as_="integrator"))["data"]["verifyCredential"]
    assert before["valid"] is False and before["code"] == "JWS_UNKNOWN_ISSUER"
    added = await api.gql(
        """mutation($jwks: JSON!) { trustIssuer(issuer: "https://zwfw.fujian.gov.cn", name: "福建省",
           jwks: $jwks) { __typename ... on TrustedIssuer { keyIds } ... on Problem { code } } }""",
        {"jwks": foreign.public_jwks()},
        as_="admin",
    )
    assert added["data"]["trustIssuer"]["__typename"] == "TrustedIssuer"
    after = (await api.gql(VERIFY, {"jws": token}, as_="integrator"))["data"]["verifyCredential"]
    assert after["valid"] is True and after["issuer"] == "https://zwfw.fujian.gov.cn"
    refused = await api.gql(
        """mutation($jwks: JSON!) { trustIssuer(issuer: "https://x.example", name: "x", jwks: $jwks)
           { __typename ... on Problem { code } } }""",
        {"jwks": foreign.public_jwks()},
        as_="integrator",
    )
    assert refused["data"]["trustIssuer"]["code"] == "FORBIDDEN"


async def test_rotated_signing_keys_stay_published(api: Api, services: Services) -> None:
    _caller, result = await licensed_call(api, services)
    services.keys.rotate_signing_key()
    jwks = (await api.client.get("/.well-known/jwks.json")).json()
    assert len(jwks["keys"]) == 2
    still = (await api.gql(VERIFY, {"jws": result["jws"]}, as_="integrator"))["data"]
    assert still["verifyCredential"]["valid"] is True


async def test_holder_id_numbers_never_reach_logs_or_errors(
    api: Api, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caller, _ = await licensed_call(api, services)
    await api.gql(CALL, call_input("no-such-code"), as_="integrator")
    await api.gql(CALL, call_input(None, holder=PERSON[:-1] + "Y"), as_="integrator")
    await api.gql(
        CALL, call_input(await consent_code(api, caller), purpose=f"查 {PERSON}"), as_="integrator"
    )
    assert PERSON not in caplog.text
    assert PERSON[:-1] not in caplog.text
