"""Request → approval → grant → dry run → revoke through GraphQL, and who may do what."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api
from tests.factories import SCJG

SUBMIT = """mutation($items: [RequestItemInput!]!, $matters: [String!]!) {
  submitAccessRequest(input: {purpose: "食品经营许可审批", legalBasis: "《食品经营许可和备案管理办法》",
    matterCodes: $matters, validFrom: "2026-01-01T00:00:00+08:00", validUntil: "2028-12-31T00:00:00+08:00",
    items: $items}) {
    __typename
    ... on AccessRequest { id items { id resourceCode state reason grantId fields ownerDepartmentCode } }
    ... on Problem { code message messageEn }
    ... on ValidationProblem { issues { path code } }
  }
}"""
DRY_RUN = """query($code: String!, $purpose: String!, $fields: [String!]!) {
  policyDecision(call: {kind: DATASET, code: $code, purpose: $purpose, matterCode: "MAT-SCJG-1", fields: $fields}) {
    __typename
    ... on PolicyDecision { allow grantId reasons { code message messageEn } fields maskedFields }
    ... on Problem { code }
  }
}"""
BASKET = [
    {"kind": "DATASET", "code": "DS-SCJG-1", "fields": ["统一社会信用代码", "企业名称"]},
    {"kind": "DATASET", "code": "DS-GAJ-1", "fields": []},
    {"kind": "DATASET", "code": "DS-GAJ-2", "fields": []},
    {"kind": "CERTIFICATE_TYPE", "code": SCJG + "001", "fields": []},
]


async def submit(
    api: Api, items: list[dict[str, Any]] = BASKET, as_: str = "integrator"
) -> dict[str, Any]:
    body = await api.gql(SUBMIT, {"items": items, "matters": ["MAT-SCJG-1"]}, as_=as_)
    result: dict[str, Any] = body["data"]["submitAccessRequest"]
    return result


async def test_a_basket_is_routed_granted_and_refused_by_sharing_type(api: Api) -> None:
    request = await submit(api)
    assert request["__typename"] == "AccessRequest"
    states = {i["resourceCode"]: (i["state"], i["ownerDepartmentCode"]) for i in request["items"]}
    assert states["DS-SCJG-1"][0] == "APPROVED"  # 无条件共享: granted at once
    assert states["DS-GAJ-1"][0] == "PENDING"  # 有条件共享: waits for its owner
    assert states["DS-GAJ-2"][0] == "REFUSED"  # 不予共享: refused at submission
    assert states[SCJG + "001"] == ("PENDING", SCJG)
    refused = next(i for i in request["items"] if i["resourceCode"] == "DS-GAJ-2")
    assert "NOT_SHARED" in refused["reason"]

    queue = await api.gql(
        "{ approvalQueue { totalCount edges { node { id resourceCode } } } }", as_="gaj"
    )
    assert [e["node"]["resourceCode"] for e in queue["data"]["approvalQueue"]["edges"]] == [
        "DS-GAJ-1"
    ]
    item_id = queue["data"]["approvalQueue"]["edges"][0]["node"]["id"]

    # another department may not decide it; the owner may, narrowing the period
    body = await api.gql(
        "mutation($id: ID!) { approveRequestItem(itemId: $id) { __typename ... on Problem { code } } }",
        {"id": item_id},
        as_="scjg",
    )
    assert body["data"]["approveRequestItem"]["code"] == "FORBIDDEN"
    body = await api.gql(
        """mutation($id: ID!) { approveRequestItem(itemId: $id, validUntil: "2027-01-01T00:00:00+08:00",
        quotaPerDay: 500) { __typename ... on RequestItem { state grantId } } }""",
        {"id": item_id},
        as_="gaj",
    )
    assert body["data"]["approveRequestItem"]["state"] == "APPROVED"
    body = await api.gql(
        "mutation($id: ID!) { approveRequestItem(itemId: $id) { __typename ... on Problem { code } } }",
        {"id": item_id},
        as_="gaj",
    )
    assert body["data"]["approveRequestItem"]["code"] == "CONFLICT"

    grants = await api.gql(
        "{ grants { edges { node { resourceCode status fields quotaPerDay validUntil } } } }"
    )
    by_code = {e["node"]["resourceCode"]: e["node"] for e in grants["data"]["grants"]["edges"]}
    assert by_code["DS-SCJG-1"]["fields"] == ["统一社会信用代码", "企业名称"]
    assert by_code["DS-GAJ-1"]["quotaPerDay"] == 500
    assert by_code["DS-GAJ-1"]["validUntil"].startswith("2026-12-31T16:00:00")

    mine = await api.gql(
        "{ accessRequests { edges { node { items { resourceCode state } } } } }", as_="integrator"
    )
    assert len(mine["data"]["accessRequests"]["edges"]) == 1
    other = await api.gql("{ accessRequests { totalCount } }", as_="scjg")
    assert other["data"]["accessRequests"]["totalCount"] == 1  # it has an item of SCJG's


async def test_dry_run_explains_and_revocation_takes_effect_on_the_next_call(api: Api) -> None:
    await submit(api)
    ok = await api.gql(
        DRY_RUN,
        {"code": "DS-SCJG-1", "purpose": "食品经营许可审批", "fields": ["企业名称"]},
        as_="integrator",
    )
    decision = ok["data"]["policyDecision"]
    assert decision["allow"] is True and decision["fields"] == ["企业名称"] and decision["grantId"]

    bad = await api.gql(
        DRY_RUN,
        {"code": "DS-SCJG-1", "purpose": "营销推广", "fields": ["企业名称", "注册资本"]},
        as_="integrator",
    )
    reasons = {r["code"] for r in bad["data"]["policyDecision"]["reasons"]}
    assert bad["data"]["policyDecision"]["allow"] is False
    assert {"PURPOSE_NOT_GRANTED", "FIELDS_NOT_GRANTED"} <= reasons
    assert all(r["message"] and r["messageEn"] for r in bad["data"]["policyDecision"]["reasons"])

    nobody = await api.gql(
        DRY_RUN, {"code": "DS-SCJG-1", "purpose": "食品经营许可审批", "fields": []}, as_="auditor"
    )
    assert [r["code"] for r in nobody["data"]["policyDecision"]["reasons"]] == ["NO_GRANT"]

    grant_id = decision["grantId"]
    revoke = "mutation($id: ID!, $r: String!) { revokeGrant(grantId: $id, reason: $r) { __typename ... on Grant { status revokeReason } ... on Problem { code } } }"
    body = await api.gql(revoke, {"id": grant_id, "r": "超范围使用"}, as_="integrator")
    assert body["data"]["revokeGrant"]["code"] == "FORBIDDEN"
    body = await api.gql(revoke, {"id": grant_id, "r": "超范围使用"}, as_="scjg")
    assert body["data"]["revokeGrant"] == {
        "__typename": "Grant",
        "status": "REVOKED",
        "revokeReason": "超范围使用",
    }
    after = await api.gql(
        DRY_RUN,
        {"code": "DS-SCJG-1", "purpose": "食品经营许可审批", "fields": ["企业名称"]},
        as_="integrator",
    )
    assert after["data"]["policyDecision"]["allow"] is False
    assert "GRANT_REVOKED" in {r["code"] for r in after["data"]["policyDecision"]["reasons"]}


async def test_bad_requests_are_typed_and_write_nothing(api: Api) -> None:
    result = await submit(
        api,
        [
            {"kind": "DATASET", "code": "DS-NOPE", "fields": []},
            {"kind": "DATASET", "code": "DS-SCJG-1", "fields": ["不存在的字段"]},
        ],
    )
    assert result["__typename"] == "ValidationProblem"
    assert {(i["path"], i["code"]) for i in result["issues"]} == {
        ("items[0].code", "UNKNOWN_DATASET"),
        ("items[1].fields", "UNKNOWN_FIELD"),
    }
    empty = await api.gql("{ accessRequests { totalCount } }")
    assert empty["data"]["accessRequests"]["totalCount"] == 0
    refuse = 'mutation { refuseRequestItem(itemId: "ITEM-nope", reason: "x") { __typename ... on Problem { code } } }'
    assert (await api.gql(refuse, as_="gaj"))["data"]["refuseRequestItem"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("role", "operation", "allowed"),
    [
        (role, op, allowed)
        for op, allowed_roles in {
            "submit": {"integrator", "admin"},
            "queue": {"scjg", "gaj", "admin"},
            "approve": {"gaj", "admin"},
            "refuse": {"gaj", "admin"},
            "revoke": {"scjg", "admin"},
        }.items()
        for role in ("admin", "scjg", "gaj", "integrator", "auditor")
        for allowed in [role in allowed_roles]
    ],
)
async def test_role_operation_matrix(api: Api, role: str, operation: str, allowed: bool) -> None:
    request = await submit(api)
    pending = next(i["id"] for i in request["items"] if i["resourceCode"] == "DS-GAJ-1")
    granted = next(i["grantId"] for i in request["items"] if i["resourceCode"] == "DS-SCJG-1")
    if operation == "submit":
        outcome = (await submit(api, as_=role))["__typename"]
        assert (outcome == "AccessRequest") is allowed
        return
    if operation == "queue":
        body = await api.gql(
            "{ approvalQueue { totalCount } }", as_=role, expect_errors=not allowed
        )
        assert ("errors" not in body) is allowed
        return
    calls = {
        "approve": (
            "mutation($id: ID!) { r: approveRequestItem(itemId: $id) { __typename } }",
            pending,
        ),
        "refuse": (
            'mutation($id: ID!) { r: refuseRequestItem(itemId: $id, reason: "依据不足") { __typename } }',
            pending,
        ),
        "revoke": (
            'mutation($id: ID!) { r: revokeGrant(grantId: $id, reason: "到期前收回") { __typename } }',
            granted,
        ),
    }
    query, target = calls[operation]
    outcome = (await api.gql(query, {"id": target}, as_=role))["data"]["r"]["__typename"]
    assert (outcome in ("RequestItem", "Grant")) is allowed, outcome
    if not allowed:
        assert outcome == "Forbidden"


async def test_unreachable_policy_engine_refuses_and_changes_nothing(
    api: Api, services: Any
) -> None:
    from access.policy_opa import OpaPolicyEngine

    request = await submit(api)
    pending = next(i["id"] for i in request["items"] if i["resourceCode"] == "DS-GAJ-1")
    services.policy.close()
    services.sharing._policy = OpaPolicyEngine(
        url="http://127.0.0.1:9", timeout=0.2
    )  # nothing listens
    body = await api.gql(
        "mutation($id: ID!) { approveRequestItem(itemId: $id) { __typename ... on Problem { code message messageEn } } }",
        {"id": pending},
        as_="gaj",
    )
    assert body["data"]["approveRequestItem"]["code"] == "UNAVAILABLE"
    dry = await api.gql(
        DRY_RUN,
        {"code": "DS-SCJG-1", "purpose": "食品经营许可审批", "fields": []},
        as_="integrator",
    )
    assert dry["data"]["policyDecision"]["code"] == "UNAVAILABLE"
    queue = await api.gql("{ approvalQueue { totalCount } }", as_="gaj")
    assert queue["data"]["approvalQueue"]["totalCount"] == 1  # still pending: nothing was granted
    services.sharing._policy.close()
