"""The licensed call's JSON endpoint (POST /api/v1/elicenses/calls): the same use case as the
GraphQL mutation, with HTTP statuses and the plain routes' error shape."""

# The e-license API tests' fixtures are imported, so their names are parameters here too.
# ruff: noqa: F811

from __future__ import annotations

import gzip
import json
from typing import Any

import httpx

from api.call_route import CALLS_PATH
from api.services import Services
from tests.api.conftest import Api
from tests.api.test_elicenses_api import (  # noqa: F401  (fixtures)
    api,
    call_input,
    consent_code,
    grant_to,
    services,
    world,
)
from tests.elicense_fixtures import PERSON, RESIDENCE


async def post(
    api: Api, body: object, *, as_: str = "integrator", **headers: str
) -> httpx.Response:
    return await api.client.post(
        CALLS_PATH,
        content=body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False),
        headers={
            "Authorization": f"Bearer {api.tokens[as_]}",
            "Content-Type": "application/json",
            **headers,
        },
    )


def rest_input(code: str | None, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = call_input(code, **changes)["input"]
    return values


async def test_a_call_is_released_signed_and_not_cached(api: Api, services: Services) -> None:
    caller = await grant_to(api, services, api.world)  # type: ignore[attr-defined]
    answer = await post(api, rest_input(await consent_code(api, caller)))
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["fields"] == ["姓名", "公民身份号码"]
    assert body["maskedFields"] == ["公民身份号码"]
    assert body["credential"]["credentialSubject"]["surface"]["姓名"] == "林晓梅"
    verified = services.trust.verify(body["jws"])
    assert verified.valid and verified.issuer == "https://irs.test"
    assert verified.credential is not None
    assert verified.credential["credentialSubject"] == body["credential"]["credentialSubject"]
    record = services.audit.record(body["auditSeq"])
    assert record is not None and record.grant_id == body["grantId"]
    assert record.decision is not None and record.decision.value == "ALLOW"
    again = await post(api, rest_input(await consent_code(api, caller)))
    assert again.status_code == 200 and again.json()["auditSeq"] > body["auditSeq"]


async def test_a_used_code_is_denied_with_every_reason_and_audited(
    api: Api, services: Services
) -> None:
    caller = await grant_to(api, services, api.world)  # type: ignore[attr-defined]
    code = await consent_code(api, caller)
    assert (await post(api, rest_input(code))).status_code == 200
    reused = await post(api, rest_input(code, fields=["居住地址"]))
    assert reused.status_code == 403
    body = reused.json()
    assert body["code"] == "CALL_DENIED"
    assert {r["code"] for r in body["reasons"]} >= {"CONSENT_INVALID", "FIELDS_NOT_GRANTED"}
    assert all(r["message"] and r["messageEn"] for r in body["reasons"])
    record = services.audit.record(body["auditSeq"])
    assert record is not None and record.decision is not None
    assert record.decision.value == "DENY"
    assert "credential" not in body and "jws" not in body


async def test_bad_input_lists_every_problem_without_echoing_the_holder(api: Api) -> None:
    bad_holder = PERSON[:-1] + ("0" if PERSON[-1] != "0" else "1")
    wrong = await post(api, rest_input(None, holder=bad_holder))
    assert wrong.status_code == 400
    assert wrong.json()["issues"][0]["path"] == "holder"
    assert bad_holder not in wrong.text
    malformed = await post(
        api, {"holder": PERSON, "purpose": 7, "fields": "姓名", "matter": "x", "consent": 5}
    )
    assert malformed.status_code == 400
    body = malformed.json()
    assert body["code"] == "VALIDATION_FAILED" and body["message"] and body["messageEn"]
    paths = {i["path"] for i in body["issues"]}
    assert paths == {"certificateType", "purpose", "matterCode", "fields", "consent", "matter"}
    assert PERSON not in malformed.text
    assert (await post(api, [1, 2])).json()["issues"][0]["code"] == "NOT_AN_OBJECT"
    unknown = await post(api, rest_input(None, certificateType=RESIDENCE[:-3] + "998"))
    assert unknown.status_code == 404 and unknown.json()["code"] == "NOT_FOUND"


async def test_http_refusals_have_their_status_and_shape(api: Api) -> None:
    anonymous = await api.client.post(CALLS_PATH, json=rest_input(None))
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    assert anonymous.json()["code"] == "UNAUTHENTICATED"
    assert (await post(api, b"{not json")).json()["code"] == "INVALID_JSON"
    form = await post(api, b"a=b", **{"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 415
    huge = await post(api, rest_input(None, purpose="用" * 20_000))
    assert huge.status_code == 413
    packed = await post(
        api, gzip.compress(json.dumps(rest_input(None)).encode()), **{"Content-Encoding": "gzip"}
    )
    assert packed.status_code == 403  # read and decided: no consent code was given
    assert (await api.client.get(CALLS_PATH)).status_code == 405
